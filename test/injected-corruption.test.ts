// Injected corruption (src/engine/eval/injected-corruption.ts): which tokens it swaps, how it counts, and that the
// same seed gives the same figures. Run: node --import tsx --test test/injected-corruption.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { WordPieceTokenizer, SPECIAL_TOKENS } from '../src/engine/tokenizer';
import { padBatch } from '../src/engine/pretrain/batch';
import { InjectedCorruption, injectedSentence } from '../src/engine/eval/injected-corruption';
import { tinySpec } from './helpers';

const VOCAB = [...SPECIAL_TOKENS, 'the', 'cat', 'sat', 'on', 'mat', '##s', 'dog', '.', ',', 'a', 'ran', 'far', 'x1', 'éclair'];

function batchOf(tokenizer: WordPieceTokenizer, texts: string[]) {
  const { cls, sep, pad } = tokenizer.specialIds;
  return padBatch(texts.map((t) => {
    const ids = [cls, ...tokenizer.encode(t).map((e) => e.id), sep];
    return { inputIds: Int32Array.from(ids), tokenTypeIds: new Int32Array(ids.length), length: ids.length };
  }), pad);
}

test('swaps only whole words (not pieces, punctuation or specials) for other words, 10% of them, deterministically', async () => {
  await initBackend('cpu');
  const tokenizer = WordPieceTokenizer.fromVocab(VOCAB);
  const model = ElectraModel.initialise(tinySpec(VOCAB.length), 1);
  const text = Array.from({ length: 4 }, () => 'the cats sat on a mat , the dog ran far .').join(' ');
  const batch = batchOf(tokenizer, [text, text.slice(0, 80)]);
  const run = () => {
    const injected = new InjectedCorruption(model, tokenizer, { seed: 3 });
    injected.add(batch);
    return injected.result()!;
  };
  const r = run();
  // Words: every token but [CLS]/[SEP], ",", ".", and "cat" (followed by "##s") and "##s" itself.
  const real = [...batch.inputIds].filter((id, i) => batch.attentionMask[i] === 1 && !tokenizer.isSpecial(id)).length;
  assert.ok(real > 60);
  assert.equal(r.tokens, real);
  const words = (n: number) => Math.round(0.1 * n);
  assert.equal(r.swapped, words(batchWordsOf(tokenizer, text)) + words(batchWordsOf(tokenizer, text.slice(0, 80))));
  assert.equal(batchWordsOf(tokenizer, text), 36);
  assert.ok(r.found >= 0 && r.found <= r.swapped);
  assert.equal(r.chance, (r.swapped * r.swapped) / r.tokens);
  assert.ok(r.auc >= 0 && r.auc <= 1);
  assert.deepEqual(run(), r);
  assert.match(injectedSentence(r), new RegExp(`found ${r.found} of ${r.swapped} among its ${r.swapped} most suspicious tokens \\(chance would find ~\\d+\\); AUC`));
  model.dispose();
});

test('nothing to report when no word can be swapped', async () => {
  await initBackend('cpu');
  const tokenizer = WordPieceTokenizer.fromVocab(VOCAB);
  const model = ElectraModel.initialise(tinySpec(VOCAB.length), 1);
  const injected = new InjectedCorruption(model, tokenizer, { seed: 1 });
  injected.add(batchOf(tokenizer, [', . , .']));
  assert.equal(injected.result(), undefined);
  model.dispose();
});

function batchWordsOf(tokenizer: WordPieceTokenizer, text: string): number {
  const pieces = tokenizer.encode(text).map((e) => e.text);
  return pieces.filter((p, i) => /^\p{L}/u.test(p) && !(pieces[i + 1] ?? '').startsWith('##')).length;
}

test("the demo's verdict says whether it learned, from the injected-corruption figures", async () => {
  const { verdict } = await import('../src/cli/demo');
  const report = (found: number, auc: number) => ({ fraction: 0.1, tokens: 10_000, swapped: 400, found, chance: 16, auc, auc_interval: [auc - 0.02, auc + 0.02] as [number, number] });
  assert.match(verdict(report(80, 0.85), 300), /^verdict: it learned — after 300 steps .* 5× as often as chance/);
  assert.match(verdict(report(30, 0.7), 300), /^verdict: it is learning — .* 1\.9× .* run longer/);
  assert.match(verdict(report(16, 0.5), 300), /^verdict: not yet/);
  assert.match(verdict(undefined, 300), /too little held-out text/);
});
