/**
 * Fine-tuning results as their own compact table under the comparison: a row per checkpoint and task, with the
 * score that chose the epoch beside its majority-class and random-init baselines. A column per task metric in the
 * comparison would push them off the right edge; here they stay within the panel's width, however many tasks.
 */
import type { CheckpointEvaluation, FinetuneSummary } from '../../src/protocol';
import { sortableTable, type Column } from '../components/table';
import { el, fmt } from '../shared/dom';
import { metricName } from '../shared/metric-names';
import { finetuneMetricName } from './rows';

export interface FinetuneRow {
  run: string;
  step: number;
  task: string;
  /** The task's headline metric: the one its baselines were recorded for, else accuracy, else the first. */
  metric: string;
  score?: number;
  majority?: number;
  randomInit?: number;
  /** The task's other metrics, as "f1 0.79 · mcc 0.52". */
  others: string;
}

export function finetuneRows(evaluations: readonly CheckpointEvaluation[]): FinetuneRow[] {
  return evaluations.flatMap((e) => e.finetune.map((f) => finetuneRow(e, f)));
}

function finetuneRow(e: CheckpointEvaluation, f: FinetuneSummary): FinetuneRow {
  const ids = Object.keys(f.metrics);
  const baselined = ids.map((k) => /^(?:majority|random_init)_(.+)$/.exec(k)?.[1]).find((m) => m !== undefined && f.metrics[m] !== undefined);
  const metric = baselined ?? (f.metrics.accuracy !== undefined ? 'accuracy' : ids.find((k) => !/^(majority|random_init)_/.test(k)) ?? '');
  const shown = new Set([metric, `majority_${metric}`, `random_init_${metric}`]);
  return {
    run: e.run, step: e.step, task: f.task, metric, score: f.metrics[metric], majority: f.metrics[`majority_${metric}`], randomInit: f.metrics[`random_init_${metric}`],
    others: ids.filter((k) => !shown.has(k)).map((k) => `${finetuneMetricName(k)} ${fmt(f.metrics[k], 3)}`).join(' · '),
  };
}

const scoreCell = (r: FinetuneRow): Node | string => {
  const text = `${fmt(r.score, 4)} ${r.metric ? metricName(r.metric).toLowerCase() : ''}`.trim();
  // Not above always answering the most common label: the model learned nothing usable for this task yet.
  if (r.score !== undefined && r.majority !== undefined && r.score <= r.majority) {
    return el('span', {}, [text, el('span', { className: 'below-baseline', text: 'not above majority', attrs: { role: 'note' } })]);
  }
  return text;
};

export function finetuneTable() {
  const columns: Column<FinetuneRow>[] = [
    { key: 'run', label: 'run', value: (r) => r.run, sticky: true },
    { key: 'step', label: 'step', value: (r) => r.step, numeric: true, sticky: true },
    { key: 'task', label: 'task', value: (r) => r.task },
    { key: 'score', label: 'score', value: (r) => r.score, numeric: true, cell: scoreCell, tip: 'The dev metric that chose the best epoch' },
    { key: 'majority', label: 'majority', value: (r) => r.majority, numeric: true, cell: (r) => fmt(r.majority, 4), tip: 'Always answering the most common label (majority_<metric>)' },
    { key: 'random_init', label: 'random init', value: (r) => r.randomInit, numeric: true, cell: (r) => fmt(r.randomInit, 4), tip: 'The same fine-tuning from a randomly initialised encoder (random_init_<metric>)' },
    { key: 'others', label: 'other metrics', value: (r) => r.others, cell: (r) => el('span', { className: 'wrap', text: r.others || '–' }) },
  ];
  const table = sortableTable<FinetuneRow>({ caption: 'Fine-tuning results', columns, sort: { key: 'step', descending: false }, onSort: () => undefined, emptyText: '' });
  const section = el('section', { className: 'finetune-results', attrs: { 'aria-label': 'Fine-tuning results' } }, [el('h2', { text: 'Fine-tuning' }), table.el]);
  return {
    el: section,
    show(evaluations: readonly CheckpointEvaluation[]) {
      const rows = finetuneRows(evaluations);
      section.hidden = rows.length === 0;
      table.render(rows);
    },
  };
}
