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
}

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
 * google-research/electra's dynamic masking: per sequence, choose max(1, round(n·maskProb)) of the n
 * candidate positions (never [CLS]/[SEP]/[MASK]/padding) uniformly without replacement, capped at
 * maxPredictions; each chosen position becomes [MASK] with probability maskTokenProb, else keeps its token.
 */
export function maskBatch(batch: Batch, rng: Rng, o: MaskingOptions): MaskedBatch {
  const { size, length: L } = batch;
  const P = o.maxPredictions;
  const maskedIds = batch.inputIds.slice();
  const flatPositions = new Int32Array(size * P);
  const labels = new Int32Array(size * P);
  const weights = new Float32Array(size * P);
  for (let b = 0; b < size; b++) {
    const candidates: number[] = [];
    for (let i = 0; i < L; i++) {
      const id = batch.inputIds[b * L + i];
      if (batch.attentionMask[b * L + i] > 0 && !o.isSpecial(id)) candidates.push(i);
    }
    const count = Math.min(P, candidates.length, Math.max(1, Math.round(candidates.length * o.maskProb)));
    // Partial Fisher–Yates: the first `count` entries become a uniform sample without replacement.
    for (let k = 0; k < count; k++) {
      const j = k + rng.nextInt(candidates.length - k);
      [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
    }
    const chosen = candidates.slice(0, count).sort((x, y) => x - y);
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
 */
export function corruptWithSamples(masked: MaskedBatch, samples: ArrayLike<number>, batchSize: number, length: number): { corruptedIds: Int32Array; replaced: Float32Array } {
  const corruptedIds = masked.maskedIds.slice();
  const replaced = new Float32Array(batchSize * length);
  for (let s = 0; s < masked.flatPositions.length; s++) {
    if (masked.weights[s] === 0) continue;
    const flat = masked.flatPositions[s];
    corruptedIds[flat] = samples[s];
    replaced[flat] = samples[s] !== masked.labels[s] ? 1 : 0;
  }
  return { corruptedIds, replaced };
}
