// Intervals next to accuracy and AUC, and the small-split line (src/engine/eval/intervals.ts).
// Run: node --import tsx --test test/intervals.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aucInterval, smallSplitWarning, wilsonInterval, withInterval } from '../src/engine/eval/intervals';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 5e-4, `${what}: ${actual} vs ${expected}`);

test('Wilson interval matches a hand computation', () => {
  // 8 of 10, z = 1.96: z²/n = 0.38416, centre = (0.8 + 0.19208) / 1.38416 = 0.71674,
  // half = 1.96 / 1.38416 · √(0.016 + 0.009604) = 0.22658 → [0.4902, 0.9433].
  const [low, high] = wilsonInterval(8, 10);
  close(low, 0.4902, 'low');
  close(high, 0.9433, 'high');
  // 0 of 5: centre = half = 0.21724 → [0, 0.4345]; p̂ ± z·se would give the useless [0, 0].
  const [zLow, zHigh] = wilsonInterval(0, 5);
  close(zLow, 0, 'low of 0/5');
  close(zHigh, 0.4345, 'high of 0/5');
  // Narrows as n grows, around the same proportion.
  const wide = wilsonInterval(80, 100), narrow = wilsonInterval(800, 1000);
  assert.ok(narrow[1] - narrow[0] < wide[1] - wide[0]);
});

test('Hanley–McNeil AUC interval matches a hand computation', () => {
  // A = 0.8, 50 positives, 50 negatives: Q1 = 0.66667, Q2 = 0.71111,
  // SE² = (0.16 + 49 · 0.026667 + 49 · 0.071111) / 2500 = 0.0019804, SE = 0.044502 → 0.8 ± 0.08722.
  const [low, high] = aucInterval(0.8, 50, 50);
  close(low, 0.7128, 'low');
  close(high, 0.8872, 'high');
  assert.deepEqual(aucInterval(0.7, 0, 10), [0, 1], 'one class absent: nothing is known');
  assert.equal(withInterval(0.8, [low, high]), '0.800 (0.713–0.887)');
});

test('a split under ~2,000 tokens gets one plain line with its spread; a larger one gets none', () => {
  const metrics = { disc_auc: 0.8, disc_auc_low: 0.74, disc_auc_high: 0.86, disc_accuracy: 0.9, disc_accuracy_low: 0.88, disc_accuracy_high: 0.92 };
  assert.equal(smallSplitWarning(812, 'heldout', metrics),
    'only 812 held-out tokens: these figures are rough (±0.06) — evaluate on more text (2000+ tokens) before comparing checkpoints');
  assert.equal(smallSplitWarning(2500, 'heldout', metrics), undefined);
  assert.match(smallSplitWarning(100, 'all', {})!, /^only 100 evaluated tokens: these figures are rough —/);
});
