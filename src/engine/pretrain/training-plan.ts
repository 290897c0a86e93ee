/**
 * The paper's training alternatives (§3.2, appendix F) as a plan over a run's steps:
 * - `joint`: ELECTRA — generator (MLM) and discriminator trained together;
 * - `two-stage`: the first half of the steps trains the generator alone with MLM; the discriminator is then
 *   initialised from the generator's encoder and trained for the second half with the generator frozen (it still
 *   samples the replacements). Each stage has its own warm-up and decay;
 * - `adversarial`: the generator learns by policy gradient to fool the discriminator (its reward is the
 *   discriminator's loss at each sample, less the paper's learned baseline), after `adversarialWarmup` steps of
 *   ordinary MLM (the warm start).
 */
import type { TrainingPhase } from './step';

export type Training = 'joint' | 'two-stage' | 'adversarial';
export const TRAININGS: Training[] = ['joint', 'two-stage', 'adversarial'];

export interface StepPlan {
  phase: TrainingPhase;
  generatorUpdate: 'mlm' | 'adversarial';
  /** Steps before this step's stage, and the stage's length: the learning-rate schedule runs per stage. */
  stageStart: number;
  stageSteps: number;
}

/** The plan for step `step` (1-based) of a run of `steps`. */
export function planAt(o: { training?: Training; steps: number; adversarialWarmup?: number }, step: number): StepPlan {
  const training = o.training ?? 'joint';
  if (training === 'two-stage') {
    const first = Math.floor(o.steps / 2);
    return step <= first
      ? { phase: 'generator', generatorUpdate: 'mlm', stageStart: 0, stageSteps: first }
      : { phase: 'discriminator', generatorUpdate: 'mlm', stageStart: first, stageSteps: o.steps - first };
  }
  const adversarial = training === 'adversarial' && step > (o.adversarialWarmup ?? 0);
  return { phase: 'joint', generatorUpdate: adversarial ? 'adversarial' : 'mlm', stageStart: 0, stageSteps: o.steps };
}

/** The step at which two-stage training switches to the discriminator (the last generator-only step), if any. */
export function stageSwitchStep(o: { training?: Training; steps: number }): number | undefined {
  return o.training === 'two-stage' ? Math.floor(o.steps / 2) : undefined;
}
