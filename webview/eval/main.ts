/** Checkpoint evaluation: pick checkpoints, evaluate them, compare in a table and along steps. */
import '../shared/base.css';
import '../components/components.css';
import './eval.css';
import type { CheckpointEvaluation, CheckpointRef, EvalFromWebview } from '../../src/protocol';
import { parseEvalToWebview } from '../../src/protocol-guards';
import { button } from '../components/button';
import { checkbox } from '../components/checkbox';
import { alignSeries, lineChart, paletteColour } from '../components/chart';
import { dropdown } from '../components/dropdown';
import { progressBar } from '../components/progress';
import { statusLine } from '../components/status';
import { sortableTable, type Column, type SortState } from '../components/table';
import { el, fmt } from '../shared/dom';
import { listen } from '../shared/messages';
import { connectHost, field, isString, isStringArray } from '../shared/vscode-api';
import { checkpointPicker } from './picker';
import { finetuneTable } from './finetune-table';
import { metricColumns, rowFor, standardColumns, type EvalRow, type MetricColumn } from './rows';
import { smallSplitWarning } from '../../src/engine/eval/intervals';

type Split = 'heldout' | 'all';
interface EvalState {
  selected: string[];
  split: Split;
  force: boolean;
  sort: SortState;
  chartMetric: string;
  checkpoints: CheckpointRef[];
  evaluations: CheckpointEvaluation[];
  failures: { checkpoint: string; message: string }[];
}

const host = connectHost<EvalFromWebview, EvalState>();
const saved = host.restored();
const isSplit = (v: unknown): v is Split => v === 'heldout' || v === 'all';
const isSort = (v: unknown): v is SortState =>
  typeof v === 'object' && v !== null && typeof (v as SortState).key === 'string' && typeof (v as SortState).descending === 'boolean';
const state: EvalState = {
  selected: field(saved, 'selected', isStringArray) ?? [],
  split: field(saved, 'split', isSplit) ?? 'heldout',
  force: field(saved, 'force', (v): v is boolean => typeof v === 'boolean') ?? false,
  sort: field(saved, 'sort', isSort) ?? { key: 'step', descending: false },
  chartMetric: field(saved, 'chartMetric', isString) ?? 'disc_auc',
  checkpoints: [],
  evaluations: [],
  failures: [],
};
{
  // Saved data goes through the message guards again.
  const c = parseEvalToWebview({ type: 'checkpoints', checkpoints: field(saved, 'checkpoints', Array.isArray) ?? [] });
  if (c?.type === 'checkpoints') state.checkpoints = c.checkpoints;
  for (const e of field(saved, 'evaluations', Array.isArray) ?? []) {
    const r = parseEvalToWebview({ type: 'result', evaluation: e });
    if (r?.type === 'result') state.evaluations.push(r.evaluation);
  }
  for (const f of field(saved, 'failures', Array.isArray) ?? []) {
    const r = parseEvalToWebview({ type: 'failed', ...(typeof f === 'object' ? f : {}) });
    if (r?.type === 'failed') state.failures.push({ checkpoint: r.checkpoint, message: r.message });
  }
}
const save = () => host.save(state);

/** Live progress is not saved: after a reload the host's queue state is unknown until it reports. */
const progress = new Map<string, { done: number; total: number }>();
const queued = new Set<string>();
let busy = false;

const status = statusLine();
const picker = checkpointPicker((sel) => {
  state.selected = sel;
  save();
  syncButtons();
});
const split = dropdown<Split>({
  label: 'Split',
  options: [
    { value: 'heldout', label: 'held-out' },
    { value: 'all', label: 'all examples' },
  ],
  value: state.split,
  onChange: (v) => {
    state.split = v;
    save();
  },
});
const force = checkbox({
  label: 'ignore cached results',
  checked: state.force,
  onChange: (v) => {
    state.force = v;
    save();
  },
});
const evaluate = button({
  label: 'Evaluate',
  primary: true,
  onClick: () => {
    if (state.selected.length === 0) return;
    busy = true;
    for (const dir of state.selected) {
      queued.add(dir);
      progress.delete(dir);
      state.failures = state.failures.filter((f) => f.checkpoint !== dir);
    }
    save();
    syncButtons();
    drawTable();
    const message: EvalFromWebview = { type: 'evaluate', checkpoints: [...state.selected], split: state.split };
    if (state.force) message.force = true;
    host.post(message);
  },
});
const cancel = button({ label: 'Cancel', onClick: () => host.post({ type: 'cancel' }), disabled: true });
// The task (files, columns) is asked in the editor; each checkpoint is then evaluated again with its results.
const finetune = button({
  label: 'Fine-tune…',
  ariaLabel: 'Fine-tune the checked checkpoints on one task',
  onClick: () => {
    if (state.selected.length === 0) return;
    // Busy until the host says idle: Cancel stops the queue (and the run under way), the other buttons wait.
    busy = true;
    syncButtons();
    host.post({ type: 'finetune', checkpoints: [...state.selected], split: state.split });
  },
});
const exportCsv = button({ label: 'Export CSV', onClick: () => host.post({ type: 'export', format: 'csv' }) });
const exportJson = button({ label: 'Export JSON', onClick: () => host.post({ type: 'export', format: 'json' }) });
const syncButtons = () => {
  evaluate.setDisabled(state.selected.length === 0 || busy);
  finetune.setDisabled(state.selected.length === 0 || busy);
  cancel.setDisabled(!busy);
  const any = state.evaluations.length > 0;
  exportCsv.setDisabled(!any);
  exportJson.setDisabled(!any);
};

const rows = (): EvalRow[] => {
  const refs = new Map(state.checkpoints.map((c) => [c.dir, c]));
  const out = new Map<string, EvalRow>();
  const row = (dir: string) => {
    let r = out.get(dir);
    if (!r) out.set(dir, (r = rowFor(refs.get(dir), dir)));
    return r;
  };
  for (const dir of queued) row(dir).queued = true;
  for (const [dir, p] of progress) row(dir).progress = p;
  for (const e of state.evaluations) {
    const r = row(e.checkpoint);
    r.evaluation = e;
    r.run = e.run;
    r.step = e.step;
  }
  for (const f of state.failures) row(f.checkpoint).failure = f.message;
  return [...out.values()];
};

const statusCell = (r: EvalRow): Node | string => {
  if (r.failure) return el('span', { className: 'failure', text: `failed: ${r.failure}`, attrs: { title: r.failure } });
  if (r.progress && !r.evaluation) {
    const bar = progressBar(`Evaluating ${r.run} step ${r.step}`);
    bar.set(r.progress.done, r.progress.total);
    return bar.el;
  }
  if (r.queued && !r.evaluation) return el('span', { className: 'muted', text: 'queued' });
  if (r.evaluation) {
    const e = r.evaluation;
    const done = el('span', { className: 'muted', text: `${e.cached ? 'cached' : 'done'} · ${e.examples} ex.` });
    const warning = smallSplitWarning(e.tokens, e.split, e.metrics);
    return warning ? el('span', {}, [done, el('span', { className: 'small-split', text: warning, attrs: { role: 'note' } })]) : done;
  }
  return '';
};
/** A figure, with "±h" and its 95% interval in the tooltip where the engine recorded one. */
const metricCell = (m: MetricColumn, e: CheckpointEvaluation | undefined): Node | string => {
  const value = e ? m.value(e) : undefined;
  const interval = e && value !== undefined ? m.interval?.(e) : undefined;
  if (!interval) return fmt(value, 4);
  const half = (interval[1] - interval[0]) / 2;
  return el('span', { text: `${fmt(value, 4)} ±${half.toFixed(3)}`, attrs: { title: `95% interval ${interval[0].toFixed(4)}–${interval[1].toFixed(4)}` } });
};
/** Run and step name the row, so they stay in view when the metrics scroll sideways. */
const columnsFor = (): Column<EvalRow>[] => [
  { key: 'run', label: 'run', value: (r) => r.run, sticky: true },
  { key: 'step', label: 'step', value: (r) => r.step, numeric: true, sticky: true },
  // Status next to the row's name, so a failure's message is read with it, not scrolled off to the right.
  { key: 'status', label: 'status', value: (r) => (r.failure ? 'failed' : r.evaluation ? 'done' : r.progress ? 'running' : 'queued'), cell: statusCell },
  ...standardColumns().map((m) => ({
    key: m.key,
    label: m.short,
    group: m.group,
    tip: `${m.label} (${m.key})`,
    numeric: true,
    value: (r: EvalRow) => (r.evaluation ? m.value(r.evaluation) : undefined),
    cell: (r: EvalRow) => metricCell(m, r.evaluation),
  })),
];
const table = sortableTable<EvalRow>({
  caption: 'Checkpoint comparison',
  columns: columnsFor(),
  sort: state.sort,
  onSort: (s) => {
    state.sort = s;
    save();
  },
  rowClass: (r) => (r.failure ? 'failed' : ''),
  emptyText: 'Pick checkpoints and press Evaluate.',
});

const metricChoice = el('select', { className: 'native-select', attrs: { 'aria-label': 'Metric to chart' } });
metricChoice.addEventListener('change', () => {
  state.chartMetric = metricChoice.value;
  save();
  drawChart();
});
const chart = lineChart({ title: 'Metric across checkpoints', xLabel: 'step' });
const finetunes = finetuneTable();

const drawTable = () => {
  const all = rows();
  table.render(all, columnsFor());
  finetunes.show(state.evaluations);
  // The chart's metric list follows the table's metric columns.
  const metrics = metricColumns(all);
  if (metricChoice.options.length !== metrics.length || [...metricChoice.options].some((o, i) => o.value !== metrics[i].key)) {
    metricChoice.replaceChildren(...metrics.map((m) => el('option', { text: m.label, attrs: { value: m.key } })));
  }
  if (!metrics.some((m) => m.key === state.chartMetric)) state.chartMetric = 'disc_auc';
  metricChoice.value = state.chartMetric;
  drawChart();
};
const drawChart = () => {
  const metric = metricColumns(rows()).find((m) => m.key === state.chartMetric);
  const byRun = new Map<string, CheckpointEvaluation[]>();
  for (const e of state.evaluations) byRun.set(e.run, [...(byRun.get(e.run) ?? []), e]);
  const runs = [...byRun.keys()].sort();
  const raw = runs.map((run) => {
    const es = byRun.get(run)!.sort((a, b) => a.step - b.step);
    return { x: es.map((e) => e.step), y: es.map((e) => (metric ? metric.value(e) : undefined)) };
  });
  chart.set(runs.map((run, i) => ({ label: run || '(outside a run)', color: paletteColour(i) })), alignSeries(raw));
};

document.getElementById('app')!.append(
  el('h1', { text: 'Evaluate checkpoints' }),
  status.el,
  el('div', { className: 'eval-layout' }, [
    el('section', { className: 'eval-side', attrs: { 'aria-label': 'What to evaluate' } }, [
      picker.el,
      el('div', { className: 'toolbar' }, [split.el, force.el]),
      el('div', { className: 'toolbar' }, [evaluate.el, cancel.el, finetune.el]),
    ]),
    el('section', { className: 'eval-main', attrs: { 'aria-label': 'Results' } }, [
      el('div', { className: 'toolbar' }, [el('h2', { text: 'Comparison' }), exportCsv.el, exportJson.el]),
      table.el,
      finetunes.el,
      el('div', { className: 'toolbar' }, [el('label', { className: 'field' }, [el('span', { className: 'field-label', text: 'Chart' }), metricChoice])]),
      chart.el,
    ]),
  ]),
);
state.selected = picker.show(state.checkpoints, state.selected);
drawTable();
syncButtons();

listen(
  parseEvalToWebview,
  (m) => {
    switch (m.type) {
      case 'checkpoints':
        state.checkpoints = m.checkpoints;
        state.selected = picker.show(m.checkpoints, state.selected);
        break;
      case 'progress':
        busy = true;
        progress.set(m.checkpoint, { done: m.done, total: m.total });
        break;
      case 'result':
        queued.delete(m.evaluation.checkpoint);
        progress.delete(m.evaluation.checkpoint);
        state.evaluations = [...state.evaluations.filter((e) => e.checkpoint !== m.evaluation.checkpoint), m.evaluation];
        state.failures = state.failures.filter((f) => f.checkpoint !== m.evaluation.checkpoint);
        break;
      case 'failed':
        queued.delete(m.checkpoint);
        progress.delete(m.checkpoint);
        state.failures = [...state.failures.filter((f) => f.checkpoint !== m.checkpoint), { checkpoint: m.checkpoint, message: m.message }];
        break;
      case 'idle':
        busy = false;
        queued.clear();
        progress.clear();
        status.done();
        break;
    }
    save();
    syncButtons();
    drawTable();
  },
  status.malformed,
);
host.post({ type: 'ready' });
