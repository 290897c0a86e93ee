/**
 * The comparison table's rows and columns, apart from the DOM: one row per checkpoint that was queued,
 * evaluated or failed; the standard pretraining metrics plus one column per fine-tuning metric present.
 */
import type { CheckpointEvaluation, CheckpointRef } from '../../src/protocol';
import { intervalOf, type Interval } from '../../src/engine/eval/intervals';

export interface EvalRow {
  checkpoint: string;
  run: string;
  step: number;
  evaluation?: CheckpointEvaluation;
  progress?: { done: number; total: number };
  failure?: string;
  queued?: boolean;
}

export const STANDARD_METRICS = [
  'loss',
  'masked_lm_accuracy',
  'sampled_masked_lm_accuracy',
  'disc_accuracy',
  'disc_precision',
  'disc_recall',
  'disc_f1',
  'disc_auc',
  'disc_loss',
  // Held-out words swapped for random vocabulary words (eval/injected-corruption.ts): independent of the generator.
  'injected_auc',
] as const;

/** A metric column: a pretraining metric, or a fine-tuning task's metric ("task:metric"). */
export interface MetricColumn {
  key: string;
  label: string;
  value: (e: CheckpointEvaluation) => number | undefined;
  /** The 95% interval the engine recorded next to it (accuracy and AUC), if any. */
  interval?: (e: CheckpointEvaluation) => Interval | undefined;
}

export function metricColumns(rows: readonly EvalRow[]): MetricColumn[] {
  const standard: MetricColumn[] = STANDARD_METRICS.map((k) => ({ key: k, label: k, value: (e) => e.metrics[k], interval: (e) => intervalOf(e.metrics, k) }));
  const tasks = new Map<string, MetricColumn>();
  for (const r of rows) {
    for (const f of r.evaluation?.finetune ?? []) {
      for (const metric of Object.keys(f.metrics)) {
        const key = `${f.task}:${metric}`;
        if (!tasks.has(key)) tasks.set(key, { key, label: `${f.task} ${metric}`, value: (e) => e.finetune.find((x) => x.task === f.task)?.metrics[metric] });
      }
    }
  }
  return [...standard, ...[...tasks.values()].sort((a, b) => a.key.localeCompare(b.key))];
}

export function rowFor(ref: CheckpointRef | undefined, checkpoint: string): EvalRow {
  return { checkpoint, run: ref?.run ?? '', step: ref?.step ?? 0 };
}
