/**
 * How long the Lab page takes to render a whole-file heatmap of 5,000 and 20,000 tokens, in headless
 * Chromium, against a baseline measured in the same page and run: the same text as one plain text node.
 * Each figure is the median of several renders: message delivered, page guard, DOM built, style and layout.
 * Run: node esbuild.js && node --import tsx bench/webview-render.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startHarness } from '../test/webview/harness';

const REPEATS = 7;
const SIZES = [5_000, 20_000];

/** Tokens from a real file's words, repeated to size, with P(replaced) spread over all bands. */
function heatmapMessage(n: number) {
  const source = fs.readFileSync(path.join(__dirname, '..', 'node_modules', 'typescript', 'README.md'), 'utf8');
  const words = source.split(/\s+/).filter(Boolean);
  const tokens = [];
  let text = '';
  for (let i = 0; i < n; i++) {
    const w = words[i % words.length].slice(0, 40);
    const start = text.length;
    text += w + (i % 14 === 13 ? '\n' : ' ');
    tokens.push({ text: w, start, end: start + w.length, logit: 0, p: ((i * 7919) % 1000) / 1000 });
  }
  return { type: 'heatmap', source: { uri: 'file:///bench.md', fileName: 'bench.md', version: 1, start: 0, end: text.length }, checkpoint: '/bench', text, tokens };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const h = await startHarness();
  try {
    const p = await h.open('lab', { width: 1200, height: 800 });
    await p.page.click('#tab-heatmap');
    console.log(`webview heatmap render (Lab page, headless Chromium, median of ${REPEATS})`);
    for (const n of SIZES) {
      const message = heatmapMessage(n);
      const heat: number[] = [];
      const plain: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        heat.push(
          await p.page.evaluate(async (m) => {
            const t0 = performance.now();
            window.postMessage(m, '*');
            await new Promise((res) => setTimeout(res, 0));
            document.querySelector('pre.heat-text')!.getBoundingClientRect();
            return performance.now() - t0;
          }, message),
        );
        // Baseline: the same text, delivered the same way, as one text node in the same <pre>.
        plain.push(
          await p.page.evaluate(async (m) => {
            const t0 = performance.now();
            await new Promise<void>((res) => {
              // Inline and anonymous: the test runner's transpiler would wrap a named one in a helper the page lacks.
              window.addEventListener(
                'message',
                (e: MessageEvent) => {
                  e.stopImmediatePropagation();
                  const pre = document.querySelector('pre.heat-text')!;
                  pre.replaceChildren(document.createTextNode((e.data as { text: string }).text));
                  pre.getBoundingClientRect();
                  res();
                },
                { capture: true, once: true },
              );
              window.postMessage(m, '*');
            });
            return performance.now() - t0;
          }, message),
        );
      }
      const tHeat = median(heat);
      const tPlain = median(plain);
      console.log(
        `${String(n).padStart(6)} tokens (${(message.text.length / 1024).toFixed(0)} KB): heatmap ${tHeat.toFixed(1)} ms, plain text ${tPlain.toFixed(1)} ms, ` +
          `ratio ${(tHeat / tPlain).toFixed(1)}×, ${(tHeat / n * 1000).toFixed(1)} µs/token${n === 5_000 ? `; target < 1000 ms: ${tHeat < 1000 ? 'met' : 'NOT met'}` : ''}`,
      );
    }
  } finally {
    await h.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
