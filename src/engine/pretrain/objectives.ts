/**
 * The pretraining objectives of the paper's ablation (Clark et al. 2020, §3.2), chosen by one option.
 * Each is described by what it trains, so the step reads as one code path.
 */
export type ObjectiveName = 'electra' | 'electra-15';

export interface Objective {
  name: ObjectiveName;
  /** Discriminator loss over every real token (ELECTRA) or only over the masked positions (ELECTRA 15%). */
  discriminatorPositions: 'all' | 'masked';
}

export const OBJECTIVES: Record<ObjectiveName, Objective> = {
  electra: { name: 'electra', discriminatorPositions: 'all' },
  'electra-15': { name: 'electra-15', discriminatorPositions: 'masked' },
};

export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];
