import { generatorConfig, presetConfig } from '../model/config';
import type { ElectraModelSpec } from '../model/electra';
import { OBJECTIVES } from './objectives';
import type { PretrainOptions } from './options';

/** The networks a run's options describe, for a vocabulary of `vocabSize` (the trainer's and a sweep's budget). */
export function runModelSpec(options: PretrainOptions, vocabSize: number): ElectraModelSpec {
  const disc = presetConfig(options.preset, vocabSize);
  disc.max_position_embeddings = Math.max(disc.max_position_embeddings, options.seqLength);
  const objective = OBJECTIVES[options.objective];
  return {
    discriminator: disc, mainHead: objective.mainHead, embeddingSharing: options.embeddingSharing,
    generator: objective.usesGenerator ? generatorConfig(disc, options.genWidth, options.genDepth) : undefined,
    ...(options.training === 'adversarial' ? { adversarialBaseline: true } : {}),
  };
}
