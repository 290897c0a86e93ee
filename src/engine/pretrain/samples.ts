import type { WordPieceTokenizer } from '../tokenizer';
import type { StepOutcome } from './step';
import type { CorruptionToken } from '../../protocol';

export type { CorruptionToken };

/** Row `row` of a step's outcome as a list of tokens (padding dropped). */
export function corruptionSample(out: StepOutcome, tokenizer: WordPieceTokenizer, row: number, length: number, originalIds: Int32Array): CorruptionToken[] {
  const slotOf = new Map<number, number>();
  for (let s = 0; s < out.masked.flatPositions.length; s++) {
    const flat = out.masked.flatPositions[s];
    // A position drawn twice shows its first slot, the one whose sample corrupted it.
    if (out.masked.weights[s] > 0 && !slotOf.has(flat)) slotOf.set(flat, s);
  }
  const tokens: CorruptionToken[] = [];
  for (let i = 0; i < length; i++) {
    const flat = row * length + i;
    if (originalIds[flat] === tokenizer.specialIds.pad) continue;
    const slot = slotOf.get(flat);
    const logit = out.rtd?.logits[flat];
    tokens.push({
      original: tokenizer.idToToken(originalIds[flat]),
      input: tokenizer.idToToken(out.masked.maskedIds[flat]),
      selected: slot !== undefined,
      sampled: tokenizer.idToToken(out.mainInputIds[flat]),
      sampleProb: slot !== undefined ? out.generator?.sampleProbs[slot] : undefined,
      replaced: out.replaced[flat] > 0,
      p: logit === undefined ? undefined : 1 / (1 + Math.exp(-logit)),
      logit,
    });
  }
  return tokens;
}
