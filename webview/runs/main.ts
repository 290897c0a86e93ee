/** Runs dashboard: pick runs, see their curves (live while training) with their held-out evaluations, and a run's config. */
import '../shared/base.css';
import '../components/components.css';
import './runs.css';
import type { CheckpointEvaluation, MetricRecord, RunSummary, RunsFromWebview } from '../../src/protocol';
import { parseRunsToWebview } from '../../src/protocol-guards';
import { lineChart } from '../components/chart';
import { statusLine } from '../components/status';
import { el } from '../shared/dom';
import { listen } from '../shared/messages';
import { rawIdTip } from '../shared/metric-names';
import { connectHost, field, isString, isStringArray } from '../shared/vscode-api';
import { configTable } from './config-table';
import { chartControls, type ChartControlsState } from './controls';
import { runList } from './run-list';
import { CHARTS, chartSeries, chartTitle, mergeRecords, runColour, type RunData } from './series';
import { DEFAULT_SMOOTHING, SMOOTHING } from './smoothing';
import { axisAvailable, X_AXES, type XAxis } from './x-axis';

interface RunsState extends ChartControlsState {
  selected: string[];
  configRun?: string;
  runs?: RunSummary[];
  metrics?: Record<string, MetricRecord[]>;
  evaluations?: Record<string, CheckpointEvaluation[]>;
}
/** Metrics past this many records in all are not kept in the saved state (they come back from the host on select). */
const MAX_SAVED_RECORDS = 100_000;

const host = connectHost<RunsFromWebview, RunsState>();
const saved = host.restored();
let selected = field(saved, 'selected', isStringArray) ?? [];
let configRun = field(saved, 'configRun', isString);
let controls: ChartControlsState = {
  axis: field(saved, 'axis', (v): v is XAxis => X_AXES.some((a) => a.id === v)) ?? 'step',
  smoothing: field(saved, 'smoothing', (v): v is string => SMOOTHING.some((s) => s.label === v)) ?? DEFAULT_SMOOTHING,
  showRaw: field(saved, 'showRaw', (v): v is boolean => typeof v === 'boolean') ?? true,
};
let runs: RunSummary[] = [];
const metrics = new Map<string, MetricRecord[]>();
const evaluations = new Map<string, CheckpointEvaluation[]>();
{
  // Restored data is re-validated through the same guards as messages.
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const r = parseRunsToWebview({ type: 'runs', runs: field(saved, 'runs', Array.isArray) ?? [] });
  if (r?.type === 'runs') runs = r.runs;
  for (const [runDir, records] of Object.entries(field(saved, 'metrics', isRecord) ?? {})) {
    const parsed = parseRunsToWebview({ type: 'metrics', runDir, records, reset: true });
    if (parsed?.type === 'metrics') metrics.set(runDir, parsed.records);
  }
  for (const [runDir, list] of Object.entries(field(saved, 'evaluations', isRecord) ?? {})) {
    const parsed = parseRunsToWebview({ type: 'evaluations', runDir, evaluations: list });
    if (parsed?.type === 'evaluations') evaluations.set(runDir, parsed.evaluations);
  }
}
const save = () => {
  let total = 0;
  for (const r of metrics.values()) total += r.length;
  host.save({ selected, configRun, runs, ...controls, metrics: total <= MAX_SAVED_RECORDS ? Object.fromEntries(metrics) : undefined, evaluations: Object.fromEntries(evaluations) });
};

const status = statusLine();
const select = (next: string[]) => {
  selected = next;
  if (!configRun || !selected.includes(configRun)) configRun = selected[selected.length - 1] ?? configRun;
  save();
  drawCharts();
  drawConfig();
  host.post({ type: 'select', runDirs: selected });
};
const list = runList({
  colourOf: (runDir) => runColour(runs, runDir).color,
  onSelect: select,
  onShowConfig: (runDir) => {
    configRun = runDir;
    save();
    drawConfig();
  },
});
const config = configTable((runDir) => host.post({ type: 'openConfig', runDir }));
const chartControlsBar = chartControls(controls, (next) => {
  controls = next;
  save();
  drawCharts();
});
const charts = CHARTS.map((spec) => ({
  spec,
  chart: lineChart({ title: chartTitle(spec), titleTip: rawIdTip(spec.keys), xLabel: 'step', logY: spec.logY, syncKey: 'runs' }),
}));

const drawCharts = () => {
  const data: RunData[] = selected.map((runDir) => ({ runDir, run: runs.find((r) => r.runDir === runDir), records: metrics.get(runDir) ?? [], evaluations: evaluations.get(runDir) ?? [] }));
  const axis = chartControlsBar.offer((a) => a === 'step' || axisAvailable(a, data));
  const xLabel = X_AXES.find((a) => a.id === axis)!.label;
  const weight = SMOOTHING.find((s) => s.label === controls.smoothing)?.weight ?? 0;
  const anyData = data.some((d) => d.records.length > 0);
  for (const { spec, chart } of charts) {
    const { series, data: aligned } = chartSeries(spec, runs, data, { axis, smoothing: weight, showRaw: controls.showRaw });
    chart.set(series, aligned, xLabel);
    // A metric no charted run logged (grad norm of an older run, an objective without a discriminator) has no chart.
    chart.el.hidden = anyData && series.length === 0;
  }
};
const drawConfig = () => config.show(runs.find((r) => r.runDir === configRun));

document.getElementById('app')!.append(
  el('h1', { text: 'Runs' }),
  status.el,
  el('div', { className: 'runs-layout' }, [
    el('aside', { className: 'runs-side' }, [list.el, config.el]),
    el('div', { className: 'charts-area' }, [
      chartControlsBar.el,
      el('section', { className: 'charts', attrs: { 'aria-label': 'Training curves' } }, charts.map((c) => c.chart.el)),
    ]),
  ]),
);
list.show(runs, selected);
drawCharts();
drawConfig();

listen(
  parseRunsToWebview,
  (m) => {
    switch (m.type) {
      case 'runs': {
        status.done();
        runs = m.runs;
        const known = new Set(runs.map((r) => r.runDir));
        for (const dir of metrics.keys()) if (!known.has(dir)) metrics.delete(dir);
        for (const dir of evaluations.keys()) if (!known.has(dir)) evaluations.delete(dir);
        // The runs the user asked for; else the restored selection where those runs still exist; else the first run.
        const asked = (m.select ?? []).filter((d) => known.has(d));
        const kept = asked.length > 0 ? asked : selected.filter((d) => known.has(d));
        const next = kept.length > 0 ? kept : runs.slice(0, 1).map((r) => r.runDir);
        list.show(runs, next);
        select(next);
        return;
      }
      case 'metrics':
        status.done();
        metrics.set(m.runDir, mergeRecords(metrics.get(m.runDir) ?? [], m.records, m.reset));
        if (selected.includes(m.runDir)) drawCharts();
        save();
        return;
      case 'evaluations':
        evaluations.set(m.runDir, m.evaluations);
        if (selected.includes(m.runDir)) drawCharts();
        save();
        return;
      case 'error':
        status.error(m.message);
        return;
    }
  },
  status.malformed,
);
host.post({ type: 'ready' });
