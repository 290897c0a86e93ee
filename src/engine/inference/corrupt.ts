import type { ElectraModel } from '../model/electra';
import type { WordPieceTokenizer } from '../tokenizer';
import { Rng } from '../data/rng';
import { padBatch } from '../pretrain/batch';
import { maskBatch, maxPredictionsFor } from '../pretrain/masking';
import { OBJECTIVES, type Objective } from '../pretrain/objectives';
import { pretrainingStep } from '../pretrain/step';
import { corruptionSample } from '../pretrain/samples';
import type { CorruptResult } from '../../protocol';

/** The protocol's corruption result: the engine server returns it as is. */
export type CorruptionResult = CorruptResult;

/**
 * One corruption sample of a text, the way pretraining makes them: mask 15%, let the generator
 * sample replacements, ask the discriminator which tokens were replaced. Uses the first window of text.
 */
export function corruptText(
  model: ElectraModel,
  tokenizer: WordPieceTokenizer,
  text: string,
  options: { seed: number; maskProb?: number; length?: number; threshold?: number; objective?: Objective },
): CorruptionResult {
  const length = Math.min(options.length ?? 128, model.spec.discriminator.max_position_embeddings);
  const maskProb = options.maskProb ?? 0.15;
  const all = tokenizer.encode(text);
  const tokens = all.slice(0, length - 2);
  const { cls, sep, pad, mask } = tokenizer.specialIds;
  const ids = [cls, ...tokens.map((t) => t.id), sep];
  const batch = padBatch([{ inputIds: Int32Array.from(ids), tokenTypeIds: new Int32Array(ids.length), length: ids.length }], pad);
  const masked = maskBatch(batch, new Rng(options.seed).fork('corrupt'), {
    maskProb, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(maskProb, batch.length), maskId: mask, isSpecial: (id) => tokenizer.isSpecial(id),
    unkId: tokenizer.specialIds.unk,
  });
  const out = pretrainingStep(model, batch, masked, { objective: options.objective ?? OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 }, options.seed);
  const sample = corruptionSample(out, tokenizer, 0, batch.length, batch.inputIds).slice(1, -1);
  const threshold = options.threshold ?? 0.5;
  const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
  for (const t of sample) {
    if (t.p === undefined) continue;
    const flagged = t.p > threshold;
    if (flagged && t.replaced) counts.truePositives++;
    else if (flagged) counts.falsePositives++;
    else if (t.replaced) counts.falseNegatives++;
    else counts.trueNegatives++;
  }
  return {
    tokens: sample.map((t, i) => ({ ...t, start: tokens[i].start, end: tokens[i].end })),
    counts,
    truncated: all.length > tokens.length,
  };
}
