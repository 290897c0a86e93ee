/**
 * The comparison table's rows and columns, apart from the DOM: one row per checkpoint that was queued,
 * evaluated or failed; the standard pretraining metrics (grouped by network, short words, the raw id in the
 * tooltip), and for the chart one more per fine-tuning metric present.
 */
import type { CheckpointEvaluation, CheckpointRef } from '../../src/protocol';
import { intervalOf, type Interval } from '../../src/engine/eval/intervals';
import { metricName } from '../shared/metric-names';

export interface EvalRow {
  checkpoint: string;
  run: string;
  step: number;
  evaluation?: CheckpointEvaluation;
  progress?: { done: number; total: number };
  failure?: string;
  queued?: boolean;
}

/** The pretraining metrics in table order, with the heading they sit under and their short label there. */
export const STANDARD_METRICS = [
  { key: 'loss', group: 'Total', label: 'loss' },
  { key: 'masked_lm_accuracy', group: 'Generator', label: 'MLM accuracy' },
  { key: 'sampled_masked_lm_accuracy', group: 'Generator', label: 'sample accuracy' },
  { key: 'disc_accuracy', group: 'Discriminator', label: 'accuracy' },
  { key: 'disc_precision', group: 'Discriminator', label: 'precision' },
  { key: 'disc_recall', group: 'Discriminator', label: 'recall' },
  { key: 'disc_f1', group: 'Discriminator', label: 'F1' },
  { key: 'disc_auc', group: 'Discriminator', label: 'AUC' },
  { key: 'disc_loss', group: 'Discriminator', label: 'loss' },
  // Held-out words swapped for random vocabulary words (eval/injected-corruption.ts): independent of the generator.
  { key: 'injected_auc', group: 'Injected corruption', label: 'AUC' },
] as const;

/** A metric column: a pretraining metric, or a fine-tuning task's metric ("task:metric", for the chart). */
export interface MetricColumn {
  key: string;
  /** The words in full ("Discriminator AUC", "SST-2 accuracy"): the chart's choice and the header's tooltip. */
  label: string;
  /** Under its group heading in the table. */
  short: string;
  group?: string;
  value: (e: CheckpointEvaluation) => number | undefined;
  /** The 95% interval the engine recorded next to it (accuracy and AUC), if any. */
  interval?: (e: CheckpointEvaluation) => Interval | undefined;
}

export function standardColumns(): MetricColumn[] {
  return STANDARD_METRICS.map((m) => ({ key: m.key, label: metricName(m.key), short: m.label, group: m.group, value: (e) => e.metrics[m.key], interval: (e) => intervalOf(e.metrics, m.key) }));
}

export function finetuneColumns(rows: readonly EvalRow[]): MetricColumn[] {
  const tasks = new Map<string, MetricColumn>();
  for (const r of rows) {
    for (const f of r.evaluation?.finetune ?? []) {
      for (const metric of Object.keys(f.metrics)) {
        const key = `${f.task}:${metric}`;
        if (!tasks.has(key)) tasks.set(key, { key, label: `${f.task} ${finetuneMetricName(metric)}`, short: finetuneMetricName(metric), group: f.task, value: (e) => e.finetune.find((x) => x.task === f.task)?.metrics[metric] });
      }
    }
  }
  return [...tasks.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** Every metric the chart can show: the pretraining ones, then each fine-tuning task's. */
export function metricColumns(rows: readonly EvalRow[]): MetricColumn[] {
  return [...standardColumns(), ...finetuneColumns(rows)];
}

/** `majority_accuracy` → "majority baseline accuracy": the baselines the engine records beside a task's score. */
export function finetuneMetricName(id: string): string {
  const baseline = /^(majority|random_init)_(.+)$/.exec(id);
  if (baseline) return `${baseline[1] === 'majority' ? 'majority' : 'random init'} ${metricName(baseline[2]).toLowerCase()}`;
  return metricName(id).toLowerCase();
}

export function rowFor(ref: CheckpointRef | undefined, checkpoint: string): EvalRow {
  return { checkpoint, run: ref?.run ?? '', step: ref?.step ?? 0 };
}
