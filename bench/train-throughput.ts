/**
 * Training throughput: tokens/s of one full ELECTRA step (generator + sampling + discriminator +
 * AdamW) at batch 8 × 128, per preset and backend. The baseline, measured in the same run, is stock
 * tfjs-backend-wasm (our kernel fixes uninstalled, one thread) — what a plain tfjs program gets here.
 *
 *   npm run bench:train [-- --presets tiny,small --steps 3]
 */
import * as os from 'node:os';
import { initBackend, shutdownBackend, type BackendRequest } from '../src/engine/backend';
import { uninstallWasmKernelFixes } from '../src/engine/backend/wasm-kernels';
import { ElectraModel } from '../src/engine/model/electra';
import { generatorConfig, presetConfig, type PresetName } from '../src/engine/model/config';
import { isDecayed } from '../src/engine/model/names';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { pretrainingStep } from '../src/engine/pretrain/step';
import { OBJECTIVES } from '../src/engine/pretrain/objectives';
import { AdamW } from '../src/engine/pretrain/optimizer';
import { Rng } from '../src/engine/data/rng';
import { padBatch } from '../src/engine/pretrain/batch';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PRESETS = arg('presets', 'tiny,small').split(',') as PresetName[];
const STEPS = Number(arg('steps', '3'));
const BATCH = 8, LENGTH = 128;
const VOCAB: Record<PresetName, number> = { tiny: 4000, small: 30522, base: 30522 };

function fullBatch(vocab: number) {
  const rng = new Rng(1);
  const sequences = Array.from({ length: BATCH }, () => {
    const ids = Int32Array.from({ length: LENGTH }, (_, i) => (i === 0 ? 2 : i === 63 || i === LENGTH - 1 ? 3 : 5 + rng.nextInt(vocab - 5)));
    return { inputIds: ids, tokenTypeIds: Int32Array.from({ length: LENGTH }, (_, i) => (i > 63 ? 1 : 0)), length: LENGTH };
  });
  return padBatch(sequences, 0, LENGTH);
}

async function measure(preset: PresetName): Promise<number> {
  const disc = presetConfig(preset, VOCAB[preset]);
  const model = ElectraModel.initialise({ discriminator: disc, generator: generatorConfig(disc, 0.25, 1), embeddingSharing: 'tied' }, 1);
  const named = model.namedVariables();
  const variableNames = new Map([...named].map(([n, v]) => [v, n]));
  const optimizer = new AdamW(named, { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => isDecayed(n.slice(n.indexOf('/') + 1)) });
  const batch = fullBatch(VOCAB[preset]);
  const settings = { objective: OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };
  const step = (i: number) => {
    const masked = maskBatch(batch, new Rng(i), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, LENGTH), maskId: 4, isSpecial: (id) => id < 5 });
    pretrainingStep(model, batch, masked, settings, i, { variableNames, applyGradients: (g) => optimizer.apply(g, 1e-4) });
  };
  step(0); // warm-up: kernel setup and first allocations
  const start = performance.now();
  for (let i = 1; i <= STEPS; i++) step(i);
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  model.dispose();
  return (BATCH * LENGTH * STEPS) / seconds;
}

async function main() {
  console.log(`training throughput, full ELECTRA step, batch ${BATCH} × ${LENGTH}, ${STEPS} timed steps after 1 warm-up`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  const rows: { preset: PresetName; backend: string; tokensPerSec: number }[] = [];
  const configs: { label: string; request: BackendRequest; threads?: number; nativeThreads?: number; stock?: boolean }[] = [
    { label: 'wasm stock, 1 thread (baseline)', request: 'wasm', threads: 1, stock: true },
    { label: 'wasm + fixes, 1 thread', request: 'wasm', threads: 1 },
    { label: 'wasm + fixes, auto threads', request: 'wasm' },
    { label: 'native kernels, 1 BLAS thread', request: 'native', threads: 1, nativeThreads: 1 },
    { label: 'native kernels, 2 BLAS threads', request: 'native', threads: 1, nativeThreads: 2 },
  ];
  for (const config of configs) {
    shutdownBackend();
    const report = await initBackend(config.request, { threads: config.threads, nativeThreads: config.nativeThreads });
    if (config.stock) uninstallWasmKernelFixes();
    for (const preset of PRESETS) {
      const tokensPerSec = await measure(preset);
      rows.push({ preset, backend: `${config.label} [${report.threads} thr]`, tokensPerSec });
      console.log(`  ${preset.padEnd(6)} ${rows[rows.length - 1].backend.padEnd(44)} ${tokensPerSec.toFixed(0).padStart(7)} tokens/s`);
    }
  }
  console.log('\nratio against stock wasm in this run:');
  for (const preset of PRESETS) {
    const base = rows.find((r) => r.preset === preset && r.backend.startsWith('wasm stock'))!.tokensPerSec;
    for (const r of rows.filter((x) => x.preset === preset)) console.log(`  ${preset.padEnd(6)} ${r.backend.padEnd(44)} ${(r.tokensPerSec / base).toFixed(2)}×`);
  }
  const small = rows.filter((r) => r.preset === 'small').map((r) => r.tokensPerSec);
  if (small.length) console.log(`\ntarget: ELECTRA-Small full step ≥ 300 tokens/s on the default backend — best here ${Math.max(...small).toFixed(0)} tokens/s`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
