import type { HeadKind } from '../model/names';

/**
 * The pretraining objectives of the paper's ablation (Clark et al. 2020, §3.2), chosen by one option.
 * Each is described by what it trains, so the step reads as one code path:
 * - `electra`: generator MLM + discriminator RTD over every real token (the default);
 * - `electra-15`: the discriminator's loss only over the 15% masked positions;
 * - `replace-mlm`: the main model is an MLM whose masked positions hold generator samples instead of [MASK];
 * - `all-tokens-mlm`: like Replace MLM but predicting every token, with the paper's copy mechanism
 *   (P = D·1[x = input] + (1 − D)·softmax, D a sigmoid gate from the discriminator head);
 * - `mlm`: BERT: the main model predicts [MASK]ed tokens, no generator.
 */
export type ObjectiveName = 'electra' | 'electra-15' | 'replace-mlm' | 'all-tokens-mlm' | 'mlm';

export interface Objective {
  name: ObjectiveName;
  /** Whether a generator samples replacements for the main model's input. */
  usesGenerator: boolean;
  /** What the main model is trained on. */
  main: 'rtd-all' | 'rtd-masked' | 'mlm-masked' | 'mlm-all-copy';
  mainHead: HeadKind;
}

export const OBJECTIVES: Record<ObjectiveName, Objective> = {
  electra: { name: 'electra', usesGenerator: true, main: 'rtd-all', mainHead: 'discriminator' },
  'electra-15': { name: 'electra-15', usesGenerator: true, main: 'rtd-masked', mainHead: 'discriminator' },
  'replace-mlm': { name: 'replace-mlm', usesGenerator: true, main: 'mlm-masked', mainHead: 'generator' },
  'all-tokens-mlm': { name: 'all-tokens-mlm', usesGenerator: true, main: 'mlm-all-copy', mainHead: 'discriminator+generator' },
  mlm: { name: 'mlm', usesGenerator: false, main: 'mlm-masked', mainHead: 'generator' },
};

export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

/** True when the main model has a replaced-token head that a heatmap can read. */
export function hasDiscriminatorHead(head: HeadKind | undefined): boolean {
  return head === undefined || head === 'discriminator' || head === 'discriminator+generator';
}
