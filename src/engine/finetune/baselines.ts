/**
 * What a fine-tuning score must beat to mean anything, and the warnings when it does not (or ran too briefly
 * to tell). The majority baseline always answers the training set's most frequent label; it costs nothing.
 */
import { classificationMetrics, type TaskMetrics } from './metrics';
import type { SelectionMetric } from './options';

export interface MajorityBaseline {
  /** The label it always answers. */
  label: string;
  accuracy: number;
  f1?: number;
  mcc?: number;
}

/** Fewer optimizer steps than this: too few for the score to say much. */
export const FEW_STEPS = 100;

/** The most frequent training label (the first in `labels` order on a tie), scored on dev. */
export function majorityBaseline(trainTargets: ArrayLike<number>, devTargets: ArrayLike<number>,
  labels: readonly string[]): MajorityBaseline {
  const counts = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < trainTargets.length; i++) counts[trainTargets[i]]++;
  const majority = counts.indexOf(Math.max(...counts));
  const predicted = new Array<number>(devTargets.length).fill(majority);
  const { loss: _loss, ...metrics } = classificationMetrics(predicted, devTargets, labels.length, 0);
  return { label: labels[majority], accuracy: metrics.accuracy ?? 0, ...metrics };
}

/** The warnings a result carries (printed by the CLI, kept in the results JSON, shown by the editor). */
export function finetuneWarnings(steps: number, metrics: TaskMetrics, selectBy: SelectionMetric,
  majority: MajorityBaseline | undefined): string[] {
  const out: string[] = [];
  if (steps < FEW_STEPS) {
    out.push(`only ${steps} optimizer steps ran (fewer than ~${FEW_STEPS}): the score is rough — ` +
      'add epochs (--epochs), lower --batch or add training examples');
  }
  if (majority) {
    // Compare on the metric that chose the epoch when the baseline has it (CoLA's MCC: 0 for a constant answer).
    const name = selectBy === 'f1' || selectBy === 'mcc' ? selectBy : 'accuracy';
    const score = metrics[name], floor = majority[name];
    if (score !== undefined && floor !== undefined && !(score > floor + 1e-9)) {
      const always = `always answering "${majority.label}" (${floor.toFixed(4)})`;
      out.push(`dev ${name} ${score.toFixed(4)} is not above ${always}: ` +
        'the model has not learned the task — try more epochs, another --lr, or more training data');
    }
  }
  return out;
}
