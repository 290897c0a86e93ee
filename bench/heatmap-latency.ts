/**
 * Heatmap latency: discriminator P(replaced) for a visible range (~60 lines of prose) and for a whole
 * 10,000-token file, with `tiny` and `small`, on the default backend. Baseline in the same run: the
 * same scoring on the pure-JS `cpu` backend for `tiny`.
 *
 *   npm run bench:heatmap
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, type BackendRequest } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { generatorConfig, presetConfig, type PresetName } from '../src/engine/model/config';
import { scoreText } from '../src/engine/inference/heatmap';
import { trainWordPiece } from '../src/engine/tokenizer';

const ROOT = path.resolve(__dirname, '..');

function proseLines(): string[] {
  const files = ['typescript', 'esbuild', '@tensorflow/tfjs-core', 'fast-glob'].map((p) => path.join(ROOT, 'node_modules', p, 'README.md'));
  return files.filter((f) => fs.existsSync(f)).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')).filter((l) => l.trim());
}

async function main() {
  const lines = proseLines();
  const tokenizer = await trainWordPiece(lines, { vocabSize: 4000 });
  const visible = lines.slice(0, 60).join('\n');
  let whole = '';
  while (tokenizer.encode(whole).length < 10_000) whole += lines.join('\n') + '\n';
  whole = whole.slice(0, Math.round(whole.length * (10_000 / tokenizer.encode(whole).length)));
  console.log(`heatmap latency: visible range = 60 lines (${tokenizer.encode(visible).length} tokens), whole file = ${tokenizer.encode(whole).length} tokens; windows of 128 around content-anchored chunks (src/engine/inference/layout.ts)`);
  const cases: { preset: PresetName; backend: BackendRequest }[] = [
    { preset: 'tiny', backend: 'cpu' }, { preset: 'tiny', backend: 'auto' }, { preset: 'small', backend: 'auto' },
  ];
  for (const c of cases) {
    const report = await initBackend(c.backend);
    const disc = presetConfig(c.preset, tokenizer.vocabSize);
    const model = ElectraModel.initialise({ discriminator: disc, generator: generatorConfig(disc, 0.25, 1), embeddingSharing: 'tied' }, 1);
    const time = (text: string, repeats: number) => {
      scoreText(model, tokenizer, text); // first scoring: allocations and kernel setup
      const start = performance.now();
      for (let i = 0; i < repeats; i++) scoreText(model, tokenizer, text);
      return (performance.now() - start) / repeats;
    };
    const visibleMs = time(visible, 5);
    const wholeMs = time(whole, 1);
    console.log(`  ${c.preset.padEnd(6)} ${report.backend.padEnd(5)} (${report.threads} thr)  visible range ${visibleMs.toFixed(0).padStart(6)} ms   whole 10k-token file ${wholeMs.toFixed(0).padStart(7)} ms`);
    model.dispose();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
