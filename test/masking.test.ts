import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/data/rng';
import { padBatch } from '../src/engine/pretrain/batch';
import { corruptWithSamples, maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';

const CLS = 2, SEP = 3, MASK = 4, PAD = 0;
const isSpecial = (id: number) => id < 5;

function realisticBatch(rng: Rng, size: number, length: number) {
  const sequences = Array.from({ length: size }, () => {
    const n = 20 + rng.nextInt(length - 20 + 1);
    const ids = new Int32Array(n);
    ids[0] = CLS;
    const split = 2 + rng.nextInt(n - 4);
    for (let i = 1; i < n; i++) ids[i] = i === split || i === n - 1 ? SEP : 5 + rng.nextInt(1000);
    const types = new Int32Array(n).map((_, i) => (i > split ? 1 : 0));
    return { inputIds: ids, tokenTypeIds: types, length: n };
  });
  return padBatch(sequences, PAD, length);
}

test('distinct rule: ~15% of real non-special tokens, 85% of them become [MASK], never specials or padding', () => {
  const rng = new Rng(7);
  let candidates = 0, selected = 0, masked = 0, kept = 0;
  for (let trial = 0; trial < 200; trial++) {
    const batch = realisticBatch(rng, 8, 128);
    const m = maskBatch(batch, rng.fork(`t${trial}`), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, 128), maskId: MASK, isSpecial, rule: 'distinct' });
    for (let i = 0; i < batch.inputIds.length; i++) if (batch.attentionMask[i] && !isSpecial(batch.inputIds[i])) candidates++;
    for (let s = 0; s < m.weights.length; s++) {
      if (!m.weights[s]) continue;
      selected++;
      const flat = m.flatPositions[s];
      assert.ok(!isSpecial(batch.inputIds[flat]), 'a special token was selected');
      assert.equal(batch.attentionMask[flat], 1, 'padding was selected');
      assert.equal(m.labels[s], batch.inputIds[flat]);
      if (m.maskedIds[flat] === MASK) masked++;
      else {
        assert.equal(m.maskedIds[flat], batch.inputIds[flat], 'an unmasked selected position must keep its token');
        kept++;
      }
    }
    // Nothing outside the selected slots changes.
    const selectedFlat = new Set(Array.from(m.flatPositions).filter((_, s) => m.weights[s] > 0));
    for (let i = 0; i < batch.inputIds.length; i++) if (!selectedFlat.has(i)) assert.equal(m.maskedIds[i], batch.inputIds[i]);
  }
  const rate = selected / candidates;
  assert.ok(Math.abs(rate - 0.15) < 0.01, `selected ${rate}`);
  const maskShare = masked / (masked + kept);
  assert.ok(Math.abs(maskShare - 0.85) < 0.02, `[MASK] share ${maskShare}`);
});

test('masking is deterministic for the same seed and differs for another', () => {
  const batch = realisticBatch(new Rng(1), 4, 64);
  const o = { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, 64), maskId: MASK, isSpecial };
  const a = maskBatch(batch, new Rng(5), o);
  const b = maskBatch(batch, new Rng(5), o);
  const c = maskBatch(batch, new Rng(6), o);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.flatPositions, c.flatPositions);
});

test('a position is labelled replaced only where the generator sample differs from the original', () => {
  const batch = realisticBatch(new Rng(3), 2, 40);
  const m = maskBatch(batch, new Rng(4), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, 40), maskId: MASK, isSpecial, rule: 'distinct' });
  // The generator guesses the original at even slots and a different token at odd slots.
  const samples = Array.from(m.labels, (label, s) => (s % 2 === 0 ? label : label + 1));
  const { corruptedIds, replaced } = corruptWithSamples(m, samples, batch.size, batch.length);
  let checked = 0;
  for (let s = 0; s < m.weights.length; s++) {
    const flat = m.flatPositions[s];
    if (!m.weights[s]) continue;
    checked++;
    assert.equal(corruptedIds[flat], samples[s]);
    assert.equal(replaced[flat], s % 2 === 0 ? 0 : 1);
  }
  assert.ok(checked > 2);
  const replacedCount = replaced.reduce((a, v) => a + v, 0);
  assert.equal(replacedCount, Array.from(m.weights).filter((w, s) => w > 0 && s % 2 === 1).length, 'no label outside the selected slots');
});

const UNK = 1;

test('electra rule (default): round(0.15 × real tokens incl. [CLS]/[SEP]) draws with replacement, [UNK] maskable', () => {
  const rng = new Rng(11);
  const P = maxPredictionsFor(0.15, 128);
  let draws = 0, distinct = 0, expectedDistinct = 0, unkSelected = 0, masked = 0, selectedPositions = 0;
  for (let trial = 0; trial < 200; trial++) {
    const batch = realisticBatch(rng, 8, 128);
    // Some [UNK]s among the words.
    for (let i = 0; i < batch.inputIds.length; i++) if (batch.inputIds[i] >= 5 && batch.inputIds[i] < 60) batch.inputIds[i] = UNK;
    const m = maskBatch(batch, rng.fork(`e${trial}`), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: P, maskId: MASK, isSpecial, unkId: UNK });
    for (let b = 0; b < batch.size; b++) {
      let real = 0, candidates = 0;
      for (let i = 0; i < 128; i++) {
        if (!batch.attentionMask[b * 128 + i]) continue;
        real++;
        const id = batch.inputIds[b * 128 + i];
        if (!isSpecial(id) || id === UNK) candidates++;
      }
      const slots = Array.from({ length: P }, (_, k) => b * P + k).filter((s) => m.weights[s] > 0);
      assert.equal(slots.length, Math.max(1, Math.min(P, Math.round(real * 0.15))), 'draws per sequence');
      const positions = new Set(slots.map((s) => m.flatPositions[s]));
      for (const flat of positions) {
        const id = batch.inputIds[flat];
        assert.ok(!isSpecial(id) || id === UNK, 'a [CLS]/[SEP]/[MASK]/[PAD] was selected');
        assert.equal(batch.attentionMask[flat], 1);
        if (id === UNK) unkSelected++;
        if (m.maskedIds[flat] === MASK) masked++;
        else assert.equal(m.maskedIds[flat], id);
      }
      for (const s of slots) assert.equal(m.labels[s], batch.inputIds[m.flatPositions[s]]);
      draws += slots.length;
      distinct += positions.size;
      selectedPositions += positions.size;
      // Expected distinct positions among k uniform draws with replacement from c candidates.
      expectedDistinct += candidates * (1 - (1 - 1 / candidates) ** slots.length);
    }
  }
  assert.ok(distinct < draws, 'no duplicate draws: the draws are not with replacement');
  assert.ok(Math.abs(distinct - expectedDistinct) / expectedDistinct < 0.01, `distinct ${distinct} vs expected ${expectedDistinct.toFixed(0)}`);
  assert.ok(unkSelected > 50, `[UNK] selected ${unkSelected} times`);
  // A duplicated position is [MASK] when any of its draws says so: a little above 85% of positions.
  const share = masked / selectedPositions;
  assert.ok(share > 0.85 && share < 0.88, `[MASK] share of positions ${share}`);
});

test('electra rule: a position drawn twice takes its first slot\'s sample; distinct rule never draws twice, [UNK] never', () => {
  const batch = realisticBatch(new Rng(3), 4, 128);
  for (let i = 0; i < batch.inputIds.length; i++) if (batch.inputIds[i] >= 5 && batch.inputIds[i] < 300) batch.inputIds[i] = UNK;
  const P = maxPredictionsFor(0.15, 128);
  let duplicates = 0;
  for (let seed = 0; seed < 20; seed++) {
    const m = maskBatch(batch, new Rng(seed), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: P, maskId: MASK, isSpecial, unkId: UNK });
    const samples = Array.from(m.labels, (_, s) => 1000 + s);
    const { corruptedIds, replaced } = corruptWithSamples(m, samples, batch.size, batch.length);
    const first = new Map<number, number>();
    for (let s = 0; s < m.weights.length; s++) {
      if (!m.weights[s]) continue;
      if (first.has(m.flatPositions[s])) duplicates++;
      else first.set(m.flatPositions[s], s);
    }
    for (const [flat, s] of first) {
      assert.equal(corruptedIds[flat], samples[s]);
      assert.equal(replaced[flat], 1);
    }
    assert.equal(replaced.reduce((a, v) => a + v, 0), first.size);
    const d = maskBatch(batch, new Rng(seed), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: P, maskId: MASK, isSpecial, unkId: UNK, rule: 'distinct' });
    const picked = Array.from(d.flatPositions).filter((_, s) => d.weights[s] > 0);
    assert.equal(new Set(picked).size, picked.length);
    assert.ok(picked.every((flat) => batch.inputIds[flat] !== UNK));
  }
  assert.ok(duplicates > 0);
});
