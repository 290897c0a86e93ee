/**
 * Heatmap latency through the real engine process: dist/server.js started as a language server over
 * stdio, documents opened and edited by LSP text sync, scores asked with electra/heatmapScores — what
 * the editor pays, round trip included. Checkpoints `tiny` and `small` (ELECTRA-Small) are made by the
 * CLI (one training step: latency does not depend on the weights' values).
 *
 * Baselines, measured in the same run: the previous scoring (bench/baseline-fixed-stride.ts: fixed
 * token-index windows, every document version scored whole, as the engine did before the window cache)
 * in this process on the same backend, and a cold whole-document request to the new engine.
 *
 *   npm run build && node --import tsx bench/heatmap-server.ts [--presets tiny,small]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { loadCheckpoint } from '../src/engine/checkpoint/model-io';
import { scoreText as fixedStrideScore } from './baseline-fixed-stride';
import { Engine, makeCheckpoint, median, READMES } from './engine-client';

function proseLines(): string[] {
  return READMES.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
}

/** The previous path, in this process: whole-document scoring with fixed windows (median of 3, after a warm-up). */
async function baseline(checkpoint: string, whole: string, visible: string): Promise<{ whole: number; visible: number }> {
  const loaded = await loadCheckpoint(checkpoint);
  const time = (text: string) => {
    const started = performance.now();
    fixedStrideScore(loaded.model, loaded.tokenizer, text);
    return performance.now() - started;
  };
  time(visible);
  const result = { whole: median([time(whole), time(whole), time(whole)]), visible: median([time(visible), time(visible), time(visible)]) };
  loaded.model.dispose();
  return result;
}

/** Offset of the end of line `line` (0-based) in `text`. */
function lineEnd(text: string, line: number): number {
  let at = -1;
  for (let i = 0; i <= line; i++) at = text.indexOf('\n', at + 1);
  return at;
}

async function benchPreset(preset: string, checkpoint: string, whole: string, big: string) {
  const engine = new Engine();
  const backend = await engine.start();
  // Loads the checkpoint and sets up the kernels, on text that shares no window with what is measured.
  await engine.open('file:///warmup.md', Array.from({ length: 40 }, (_, i) => `warming up line ${i} of the engine`).join('\n'));
  await engine.score('file:///warmup.md', checkpoint);

  // First (so no window of it is cached yet) a 10,000-line file, too big for whole-document requests: 60 visible lines in the middle.
  await engine.open('file:///big.md', big);
  const lineStarts = [0];
  for (let i = 0; i < big.length; i++) if (big[i] === '\n') lineStarts.push(i + 1);
  const first = 5_000;
  const visible = { start: lineStarts[first], end: lineStarts[first + 60] };
  const visibleCold = await engine.score('file:///big.md', checkpoint, visible);
  const visibleWarm: number[] = [];
  for (let i = 0; i < 5; i++) visibleWarm.push((await engine.score('file:///big.md', checkpoint, visible)).ms);
  // Ten one-line edits in view: the first five answered exactly in one request, the next five as the editor
  // asks now — a provisional answer (the edited chunk's window only), then the exact one.
  const visibleEdits: { ms: number; scored: number }[] = [];
  const visibleTwoStep: { firstMs: number; firstScored: number; totalMs: number; laterScored: number }[] = [];
  let bigText = big;
  for (let i = 0; i < 10; i++) {
    const at = lineStarts[first + 5 + 5 * i] - 1 + i * 12; // end of a visible line (earlier inserts shift by 12 chars each)
    const insert = ` typed word${i}`;
    await engine.insert('file:///big.md', bigText, at, insert);
    bigText = bigText.slice(0, at) + insert + bigText.slice(at);
    const range = { start: visible.start, end: visible.end + 12 * (i + 1) };
    if (i < 5) {
      const r = await engine.score('file:///big.md', checkpoint, range);
      visibleEdits.push({ ms: r.ms, scored: r.result.windowsScored });
    } else {
      const fast = await engine.score('file:///big.md', checkpoint, range, true);
      const exact = await engine.score('file:///big.md', checkpoint, range);
      visibleTwoStep.push({ firstMs: fast.ms, firstScored: fast.result.windowsScored, totalMs: fast.ms + exact.ms, laterScored: exact.result.windowsScored });
    }
  }
  // Five more, as the editor sends them: after its default debounce (300 ms), by which time the engine has
  // scored the edit ahead (it starts once typing pauses, SCORE_AHEAD_QUIET_MS after the change).
  await engine.score('file:///big.md', checkpoint, { start: visible.start, end: visible.end + 12 * 10 }, true, true);
  const visibleAhead: { firstMs: number; totalMs: number; ranByRequests: number; ahead: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const at = lineEnd(bigText, first + 7 + 5 * i);
    const insert = ` typed again${i}`;
    await engine.insert('file:///big.md', bigText, at, insert);
    bigText = bigText.slice(0, at) + insert + bigText.slice(at);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const range = { start: visible.start, end: lineEnd(bigText, first + 60) };
    const fast = await engine.score('file:///big.md', checkpoint, range, true, true);
    const exact = fast.result.provisional > 0 ? await engine.score('file:///big.md', checkpoint, range, false, true) : undefined;
    visibleAhead.push({
      firstMs: fast.ms, totalMs: fast.ms + (exact?.ms ?? 0),
      ranByRequests: fast.result.windowsScored + (exact?.result.windowsScored ?? 0), ahead: fast.result.scoredAhead,
    });
  }
  // A whole 10k-token file (blank lines dropped, so its chunks and windows differ from the file above), cold, then after one-line edits.
  await engine.open('file:///whole.md', whole);
  const cold = await engine.score('file:///whole.md', checkpoint);
  const wholeEdits: { ms: number; scored: number }[] = [];
  let wholeText = whole;
  for (let i = 0; i < 3; i++) {
    const at = wholeText.indexOf('\n', Math.floor(wholeText.length * (0.3 + 0.2 * i)));
    const insert = ` edit number ${i} here`;
    await engine.insert('file:///whole.md', wholeText, at, insert);
    wholeText = wholeText.slice(0, at) + insert + wholeText.slice(at);
    const r = await engine.score('file:///whole.md', checkpoint);
    wholeEdits.push({ ms: r.ms, scored: r.result.windowsScored });
  }

  await engine.stop();
  return { preset, backend, cold, wholeEdits, visibleCold, visibleWarm, visibleEdits, visibleTwoStep, visibleAhead };
}

async function main() {
  const presetFlag = process.argv.indexOf('--presets');
  const presets = presetFlag > 0 ? process.argv[presetFlag + 1].split(',') : ['tiny', 'small'];
  const lines = proseLines().filter((l) => l.trim());
  let big = '';
  while (big.split('\n').length < 10_000) big += proseLines().join('\n') + '\n';
  big = big.split('\n').slice(0, 10_000).join('\n');
  await initBackend('auto');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-bench-heatmap-'));
  try {
    for (const preset of presets) {
      const checkpoint = makeCheckpoint(tmp, preset);
      // ~10,000 tokens with this checkpoint's tokenizer: count them through the engine itself.
      let whole = lines.join('\n');
      const probe = new Engine();
      await probe.start();
      await probe.open('file:///probe.md', whole);
      const count = (await probe.score('file:///probe.md', checkpoint)).result.tokens.length;
      await probe.stop();
      whole = whole.slice(0, whole.lastIndexOf('\n', Math.round(whole.length * Math.min(1, 10_000 / count))));
      const bigLines = big.split('\n');
      const old = await baseline(checkpoint, whole, bigLines.slice(5_000, 5_060).join('\n'));
      const r = await benchPreset(preset, checkpoint, whole, big);
      const wholeTokens = r.cold.result.tokens.length;
      const base = old.whole;
      const fmt = (ms: number) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;
      const ratio = (ms: number) => (ms < base ? `${(base / ms).toFixed(base / ms < 10 ? 1 : 0)}× faster than baseline` : `${(ms / base).toFixed(2)}× the baseline`);
      console.log(`\n${preset} — ${r.backend}`);
      console.log(`  baseline (previous path, in process): whole ${wholeTokens}-token file ${fmt(old.whole)} per version; the 60 lines alone as a document ${fmt(old.visible)}`);
      console.log(`  whole file, cold:                                 ${fmt(r.cold.ms)} (${r.cold.result.windowsScored} of ${r.cold.result.windows} windows run) — ${ratio(r.cold.ms)}`);
      console.log(`  whole file after a one-line edit (median of 3):  ${fmt(median(r.wholeEdits.map((e) => e.ms)))}, windows re-scored ${r.wholeEdits.map((e) => e.scored).join('/')} — ${ratio(median(r.wholeEdits.map((e) => e.ms)))}`);
      console.log(`  10,000-line file (${big.length.toLocaleString('en')} chars), 60 visible lines (${r.visibleCold.result.tokens.length} tokens):`);
      console.log(`    first scoring:                              ${fmt(r.visibleCold.ms)} (${r.visibleCold.result.windowsScored} of ${r.visibleCold.result.windows} windows run) — ${ratio(r.visibleCold.ms)}`);
      console.log(`    again, cached (median of 5):                ${fmt(median(r.visibleWarm))} — ${ratio(median(r.visibleWarm))}`);
      const exactEdit = median(r.visibleEdits.map((e) => e.ms));
      console.log(`    after a one-line edit in view, one exact answer (median of 5): ${fmt(exactEdit)}, windows re-scored ${r.visibleEdits.map((e) => e.scored).join('/')} — ${ratio(exactEdit)}`);
      const firstPaint = median(r.visibleTwoStep.map((e) => e.firstMs));
      const allExact = median(r.visibleTwoStep.map((e) => e.totalMs));
      console.log(`    after a one-line edit in view, asked at once (median of 5): edited text painted in ${fmt(firstPaint)} (windows ${r.visibleTwoStep.map((e) => e.firstScored).join('/')}; ${(exactEdit / firstPaint).toFixed(1)}× sooner than one exact answer), all exact after ${fmt(allExact)} (windows ${r.visibleTwoStep.map((e) => e.laterScored).join('/')} more)`);
      const aheadFirst = median(r.visibleAhead.map((e) => e.firstMs));
      const aheadExact = median(r.visibleAhead.map((e) => e.totalMs));
      console.log(`    after a one-line edit in view, asked after the editor's 300 ms debounce (median of 5): edited text painted ${fmt(aheadFirst)} after the request (slowest ${fmt(Math.max(...r.visibleAhead.map((e) => e.firstMs)))}; ${(firstPaint / aheadFirst).toFixed(1)}× sooner than asked at once), all exact ${fmt(aheadExact)} after it; windows run ahead ${r.visibleAhead.map((e) => e.ahead).join('/')}, by the requests ${r.visibleAhead.map((e) => e.ranByRequests).join('/')}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
