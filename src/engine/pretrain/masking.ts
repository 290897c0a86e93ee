import type { Rng } from '../data/rng';
import type { Batch } from './batch';

export interface MaskingOptions {
  /** Fraction of real, non-special tokens selected for prediction (0.15). */
  maskProb: number;
  /** Of the selected positions, the fraction that become [MASK]; the rest keep their token (0.85). */
  maskTokenProb: number;
  /** Fixed number of prediction slots per sequence: int((maskProb + 0.005) · length), as google-research/electra. */
  maxPredictions: number;
  maskId: number;
  isSpecial: (id: number) => boolean;
  /** `electra` (default): google-research/electra's pretrain_helpers.mask — see maskBatch. `distinct`: this
   *  project's earlier rule, round(maskProb · candidates) distinct candidates, [UNK] never selected. */
  rule?: MaskingRule;
  /** [UNK]'s id: a candidate under `electra` (the reference excludes only [CLS], [SEP], [MASK] and padding). */
  unkId?: number;
}

export type MaskingRule = 'electra' | 'distinct';
export const MASKING_RULES: readonly MaskingRule[] = ['electra', 'distinct'];

/** The masked batch and its prediction slots, [size, maxPredictions]; unused slots have weight 0. */
export interface MaskedBatch {
  maskedIds: Int32Array;
  /** Flat index b·length + position of each slot (0 for unused slots). */
  flatPositions: Int32Array;
  /** The original token at each slot. */
  labels: Int32Array;
  weights: Float32Array;
  slots: number;
}

export function maxPredictionsFor(maskProb: number, length: number): number {
  return Math.max(1, Math.floor((maskProb + 0.005) * length));
}

/**
 * Dynamic masking. Rule `electra`, as google-research/electra's pretrain_helpers.mask: per sequence,
 * max(1, min(maxPredictions, round(maskProb · n))) draws, n = the real tokens including [CLS] and [SEP], each a
 * uniform choice *with replacement* among the candidates (real tokens other than [CLS]/[SEP]/[MASK]; [UNK] is
 * one); every draw is a prediction slot (a position drawn twice is predicted twice, as the reference's loss
 * counts it), and a position becomes [MASK] when any of its draws says so (probability maskTokenProb per draw),
 * else keeps its token. Rule `distinct`: round(maskProb · candidates) distinct candidates, [UNK] excluded.
 */
export function maskBatch(batch: Batch, rng: Rng, o: MaskingOptions): MaskedBatch {
  const { size, length: L } = batch;
  const P = o.maxPredictions;
  const rule = o.rule ?? 'electra';
  const maskedIds = batch.inputIds.slice();
  const flatPositions = new Int32Array(size * P);
  const labels = new Int32Array(size * P);
  const weights = new Float32Array(size * P);
  for (let b = 0; b < size; b++) {
    const candidates: number[] = [];
    let real = 0;
    for (let i = 0; i < L; i++) {
      const id = batch.inputIds[b * L + i];
      if (batch.attentionMask[b * L + i] <= 0) continue;
      real += 1;
      if (!o.isSpecial(id) || (rule === 'electra' && id === o.unkId)) candidates.push(i);
    }
    if (candidates.length === 0) continue;
    let chosen: number[];
    if (rule === 'electra') {
      const count = Math.max(1, Math.min(P, Math.round(real * o.maskProb)));
      chosen = Array.from({ length: count }, () => candidates[rng.nextInt(candidates.length)]).sort((x, y) => x - y);
    } else {
      const count = Math.min(P, candidates.length, Math.max(1, Math.round(candidates.length * o.maskProb)));
      // Partial Fisher–Yates: the first `count` entries become a uniform sample without replacement.
      for (let k = 0; k < count; k++) {
        const j = k + rng.nextInt(candidates.length - k);
        [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
      }
      chosen = candidates.slice(0, count).sort((x, y) => x - y);
    }
    chosen.forEach((pos, k) => {
      const flat = b * L + pos;
      const slot = b * P + k;
      flatPositions[slot] = flat;
      labels[slot] = batch.inputIds[flat];
      weights[slot] = 1;
      if (rng.nextFloat() < o.maskTokenProb) maskedIds[flat] = o.maskId;
    });
  }
  return { maskedIds, flatPositions, labels, weights, slots: P };
}

/**
 * Writes the generator's samples into the masked input and labels a position replaced only where
 * the sample differs from the original token (a correct guess counts as original, as in the paper).
 * A position with several slots takes its first slot's sample (the reference's scatter_update averages the
 * sampled ids of duplicate slots, a quirk not copied).
 */
export function corruptWithSamples(masked: MaskedBatch, samples: ArrayLike<number>, batchSize: number, length: number): { corruptedIds: Int32Array; replaced: Float32Array } {
  const corruptedIds = masked.maskedIds.slice();
  const replaced = new Float32Array(batchSize * length);
  const written = new Set<number>();
  for (let s = 0; s < masked.flatPositions.length; s++) {
    if (masked.weights[s] === 0) continue;
    const flat = masked.flatPositions[s];
    if (written.has(flat)) continue;
    written.add(flat);
    corruptedIds[flat] = samples[s];
    replaced[flat] = samples[s] !== masked.labels[s] ? 1 : 0;
  }
  return { corruptedIds, replaced };
}
