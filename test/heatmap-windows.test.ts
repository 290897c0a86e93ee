import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { trainWordPiece, type WordPieceTokenizer } from '../src/engine/tokenizer';
import { scoreAsync, scoreSync, scoreText, ScoringCancelled, windowContent, windowOfChunk, type ScoredToken } from '../src/engine/inference/heatmap';
import { chunkEnd, chunkLimits, layoutText } from '../src/engine/inference/layout';
import { LogitsCache } from '../src/engine/inference/logits-cache';
import { chunkOf, generatorTopK, tokenAt } from '../src/engine/inference/predictions';
import { ROOT, tinySpec } from './helpers';

const PROSE = ['typescript', 'esbuild', 'fast-glob'].map((p) => fs.readFileSync(path.join(ROOT, 'node_modules', p, 'README.md'), 'utf8')).join('\n\n');

let setup: Promise<{ tokenizer: WordPieceTokenizer; model: ElectraModel }> | undefined;
function fixture() {
  setup ??= (async () => {
    await initBackend('wasm');
    const tokenizer = await trainWordPiece(PROSE.split('\n').filter((l) => l.trim()), { vocabSize: 400 });
    const model = ElectraModel.initialise(tinySpec(tokenizer.vocabSize), 7);
    return { tokenizer, model };
  })();
  return setup;
}

/** Counts discriminator forward passes (batches) and the windows in them. */
function countPasses(model: ElectraModel) {
  const disc = model.discriminator;
  const original = disc.encode.bind(disc);
  const counts = { passes: 0, windows: 0 };
  disc.encode = (inputs, seeds) => {
    counts.passes++;
    counts.windows += inputs.inputIds.shape[0];
    return original(inputs, seeds);
  };
  return { counts, restore: () => (disc.encode = original) };
}

function assertSameScores(actual: ScoredToken[], expected: ScoredToken[]) {
  assert.equal(actual.length, expected.length);
  actual.forEach((t, i) => {
    assert.equal(t.start, expected[i].start);
    assert.equal(t.end, expected[i].end);
    assert.equal(t.text, expected[i].text);
    assert.ok(Math.abs(t.p - expected[i].p) < 1e-6, `token ${i} (${t.text}): ${t.p} vs ${expected[i].p}`);
  });
}

test('layout: line-by-line tokens equal encoding the whole text; chunks stay within bounds; each token has a quarter window of context', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const layout = layoutText(tokenizer, PROSE, content);
  const whole = tokenizer.encode(PROSE);
  assert.equal(layout.ids.length, whole.length);
  whole.forEach((t, i) => assert.ok(layout.ids[i] === t.id && layout.starts[i] === t.start && layout.ends[i] === t.end, `token ${i}`));
  const { max } = chunkLimits(content);
  const margin = Math.floor((content - max) / 2);
  for (let c = 0; c < layout.chunkStarts.length; c++) {
    const start = layout.chunkStarts[c];
    const end = chunkEnd(layout, c);
    assert.ok(end > start && end - start <= max, `chunk ${c} has ${end - start} tokens`);
    const w = windowOfChunk(layout, c, content);
    assert.equal(w.length, content);
    assert.ok(w.first <= start && w.first + w.length >= end, 'the window holds its chunk');
    assert.ok(start - w.first >= Math.min(margin, start), `left context of chunk ${c}`);
    assert.ok(w.first + w.length - end >= Math.min(margin, layout.ids.length - end), `right context of chunk ${c}`);
  }
});

test('layout: CRLF line ends, an empty text, and one long line (a minified file) are cut like any other text', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const crlf = PROSE.slice(0, 5000).replace(/\n/g, '\r\n');
  const layout = layoutText(tokenizer, crlf, content);
  assert.deepEqual(Array.from(layout.starts), tokenizer.encode(crlf).map((t) => t.start));
  assert.equal(layoutText(tokenizer, '', content).chunkStarts.length, 0);
  assert.deepEqual(scoreText(model, tokenizer, ''), []);
  const oneLine = PROSE.slice(0, 20_000).replace(/\s+/g, ' ');
  const long = layoutText(tokenizer, oneLine, content);
  const { max } = chunkLimits(content);
  for (let c = 0; c < long.chunkStarts.length; c++) assert.ok(chunkEnd(long, c) - long.chunkStarts[c] <= max);
  // An insertion in the middle of the line leaves the chunks before it, and most after it, as they were.
  const at = oneLine.indexOf(' ', 10_000);
  const edited = layoutText(tokenizer, oneLine.slice(0, at) + ' inserted words' + oneLine.slice(at), content);
  const key = (l: typeof long, c: number) => Array.from(l.ids.subarray(l.chunkStarts[c], chunkEnd(l, c))).join(',');
  const before = new Set(Array.from(long.chunkStarts, (_, c) => key(long, c)));
  const changed = Array.from(edited.chunkStarts, (_, c) => key(edited, c)).filter((k) => !before.has(k)).length;
  assert.ok(changed <= 4, `${changed} of ${edited.chunkStarts.length} chunks changed`);
});

test('an edit re-scores only the windows that contain it, and the result equals scoring the new text from scratch', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const cache = new LogitsCache();
  const before = layoutText(tokenizer, PROSE, content);
  const first = scoreSync(model, tokenizer, { layout: before, content, cache, modelKey: 'm' });
  assert.equal(first.windowsScored, first.windows, 'a cold cache scores every window');
  assert.ok(first.windows > 40, `${first.windows} windows`);

  const at = PROSE.indexOf('\n', Math.floor(PROSE.length / 2));
  const edited = PROSE.slice(0, at) + ' several freshly inserted words' + PROSE.slice(at);
  const after = layoutText(tokenizer, edited, content);
  const spy = countPasses(model);
  const second = scoreSync(model, tokenizer, { layout: after, content, cache, modelKey: 'm' });
  spy.restore();
  assert.ok(second.windowsScored >= 1 && second.windowsScored <= 4, `the edit re-scored ${second.windowsScored} of ${second.windows} windows`);
  assert.equal(spy.counts.windows, second.windowsScored, 'windows run through the model = windowsScored');
  assertSameScores(second.tokens, scoreText(model, tokenizer, edited));

  const again = scoreSync(model, tokenizer, { layout: after, content, cache, modelKey: 'm' });
  assert.equal(again.windowsScored, 0, 'the same version again comes from the cache');
  const otherModel = scoreSync(model, tokenizer, { layout: after, content, cache, modelKey: 'other' });
  assert.equal(otherModel.windowsScored, otherModel.windows, 'windows are cached per checkpoint');
});

test('after an edit a provisional scoring runs only the edited chunks\' windows; asking again without it gives the exact scores', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const cache = new LogitsCache();
  const chunks = new LogitsCache();
  const before = layoutText(tokenizer, PROSE, content);
  const first = scoreSync(model, tokenizer, { layout: before, content, cache, chunks, modelKey: 'm', provisional: true });
  assert.equal(first.provisional, 0, 'nothing scored before: every window runs');
  const old = new Map(first.tokens.map((t) => [t.start, t]));

  const at = PROSE.indexOf('\n', Math.floor(PROSE.length / 2));
  const insert = ' several freshly inserted words';
  const edited = PROSE.slice(0, at) + insert + PROSE.slice(at);
  const after = layoutText(tokenizer, edited, content);
  const exact = scoreText(model, tokenizer, edited);
  const spy = countPasses(model);
  const fast = scoreSync(model, tokenizer, { layout: after, content, cache, chunks, modelKey: 'm', provisional: true });
  spy.restore();
  assert.ok(fast.provisional >= 1, `${fast.provisional} windows left for later`);
  assert.ok(fast.windowsScored >= 1 && fast.windowsScored <= 2, `${fast.windowsScored} windows run now (the edited chunk's; two if the edit moved a chunk boundary)`);
  assert.equal(spy.counts.windows, fast.windowsScored);
  assert.equal(fast.tokens.length, exact.length, 'every token has a score');
  // The edited chunk is exact now; a token that kept an earlier score has the score it had before the edit.
  const typed = exact.filter((t) => t.start >= at && t.end <= at + insert.length);
  assertSameScores(fast.tokens.filter((t) => t.start >= at && t.end <= at + insert.length), typed);
  let kept = 0;
  fast.tokens.forEach((t, i) => {
    if (Math.abs(t.p - exact[i].p) < 1e-6) return;
    kept++;
    const earlier = old.get(t.start < at ? t.start : t.start - insert.length);
    assert.ok(earlier && Math.abs(earlier.p - t.p) < 1e-6, `token ${i} (${t.text}) is either exact or its score from before the edit`);
  });
  assert.ok(kept > 0, 'some neighbours kept their earlier scores');

  const finish = scoreSync(model, tokenizer, { layout: after, content, cache, chunks, modelKey: 'm' });
  assert.equal(finish.windowsScored, fast.provisional, 'the exact answer runs the windows the fast one left');
  assert.equal(finish.provisional, 0);
  assertSameScores(finish.tokens, exact);
});

test('a range scores only the windows its tokens need and gives the same numbers as the whole document', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const layout = layoutText(tokenizer, PROSE, content);
  const whole = scoreText(model, tokenizer, PROSE);
  const range = { start: Math.floor(PROSE.length * 0.4), end: Math.floor(PROSE.length * 0.45) };
  const part = scoreSync(model, tokenizer, { layout, content, range, cache: new LogitsCache(), modelKey: 'm' });
  const expected = whole.filter((t) => t.start < range.end && t.end > range.start);
  assertSameScores(part.tokens, expected);
  assert.ok(part.windows < layout.chunkStarts.length / 5, `${part.windows} windows for 5% of the text`);
});

test('scoring stops between batches once cancelled, and a cancelled scoring leaves usable windows in the cache', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const layout = layoutText(tokenizer, PROSE, content);
  const cache = new LogitsCache();
  const spy = countPasses(model);
  await assert.rejects(scoreAsync(model, tokenizer, { layout, content, cache, modelKey: 'm', batchSize: 4 }, () => spy.counts.passes >= 2), ScoringCancelled);
  spy.restore();
  assert.equal(spy.counts.passes, 2, 'no forward pass after the cancellation');
  assert.equal(cache.size, 8);
  const finished = await scoreAsync(model, tokenizer, { layout, content, cache, modelKey: 'm', batchSize: 4 }, () => false);
  assert.equal(finished.windowsScored, finished.windows - 8);
  assertSameScores(finished.tokens, scoreText(model, tokenizer, PROSE));
});

test('the window cache keeps its most recently used windows up to its capacity', () => {
  const cache = new LogitsCache(3);
  const ids = (n: number) => Int32Array.of(2, n, 3);
  for (let i = 0; i < 3; i++) cache.set('m', ids(i), Float32Array.of(i));
  assert.ok(cache.get('m', ids(0)), 'window 0 is used again');
  cache.set('m', ids(3), Float32Array.of(3));
  assert.equal(cache.size, 3);
  assert.equal(cache.get('m', ids(1)), undefined, 'the least recently used window went');
  assert.deepEqual([...cache.get('m', ids(0))!], [0]);
  assert.equal(cache.get('n', ids(0)), undefined, 'another checkpoint has its own windows');
  cache.forget('m');
  assert.equal(cache.size, 0);
});

test('top-5: the generator predicts a position from its masked window; tokens are found by offset', async () => {
  const { tokenizer, model } = await fixture();
  const content = windowContent(model);
  const layout = layoutText(tokenizer, PROSE, content);
  const offset = PROSE.indexOf('TypeScript', 500) + 3;
  const index = tokenAt(layout, offset);
  assert.ok(layout.starts[index] <= offset && layout.ends[index] > offset);
  assert.equal(tokenAt(layout, layout.ends[index]), layout.starts[index + 1] === layout.ends[index] ? index + 1 : index);
  const chunk = chunkOf(layout, index);
  assert.ok(layout.chunkStarts[chunk] <= index && index < chunkEnd(layout, chunk));
  const top = generatorTopK(model, tokenizer, layout, index, content);
  assert.equal(top.length, 5);
  for (let i = 1; i < top.length; i++) assert.ok(top[i - 1].p >= top[i].p, 'most likely first');
  assert.ok(top.every((t) => t.p > 0 && t.p < 1 && tokenizer.vocab.includes(t.token)));
  assert.ok(top.reduce((s, t) => s + t.p, 0) <= 1 + 1e-5);
  assert.deepEqual(generatorTopK(model, tokenizer, layout, index, content), top, 'deterministic');
});
