import type { CorruptionToken, CorruptResult } from '../../src/protocol';

export type Counts = CorruptResult['counts'];
export type Outcome = 'tp' | 'fp' | 'fn' | 'tn' | 'none';

/** Special tokens frame a logged sample ([CLS] … [SEP]); the engine's own counts leave them out. */
const SPECIAL = /^\[(CLS|SEP|PAD)\]$/;

/** How the discriminator did on one token at a threshold (flagged = P > threshold, as the engine counts). */
export function outcome(t: CorruptionToken, threshold: number): Outcome {
  if (t.p === undefined || SPECIAL.test(t.original)) return 'none';
  const flagged = t.p > threshold;
  if (flagged) return t.replaced ? 'tp' : 'fp';
  return t.replaced ? 'fn' : 'tn';
}

export function confusion(tokens: readonly CorruptionToken[], threshold: number): Counts {
  const c: Counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
  for (const t of tokens) {
    switch (outcome(t, threshold)) {
      case 'tp': c.truePositives++; break;
      case 'fp': c.falsePositives++; break;
      case 'fn': c.falseNegatives++; break;
      case 'tn': c.trueNegatives++; break;
      case 'none': break;
    }
  }
  return c;
}
