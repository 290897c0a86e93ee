/** Runs dashboard: pick runs, see their curves (live while training) and a run's config. */
import '../shared/base.css';
import '../components/components.css';
import './runs.css';
import type { MetricRecord, RunSummary, RunsFromWebview } from '../../src/protocol';
import { parseRunsToWebview } from '../../src/protocol-guards';
import { lineChart } from '../components/chart';
import { statusLine } from '../components/status';
import { el } from '../shared/dom';
import { listen } from '../shared/messages';
import { connectHost, field, isString, isStringArray } from '../shared/vscode-api';
import { configTable } from './config-table';
import { runList } from './run-list';
import { CHARTS, chartSeries, mergeRecords } from './series';

interface RunsState {
  selected: string[];
  configRun?: string;
  runs?: RunSummary[];
  metrics?: Record<string, MetricRecord[]>;
}
/** Metrics past this many records in all are not kept in the saved state (they come back from the host on select). */
const MAX_SAVED_RECORDS = 100_000;

const host = connectHost<RunsFromWebview, RunsState>();
const saved = host.restored();
let selected = field(saved, 'selected', isStringArray) ?? [];
let configRun = field(saved, 'configRun', isString);
let runs: RunSummary[] = [];
const metrics = new Map<string, MetricRecord[]>();
{
  // Restored data is re-validated through the same guards as messages.
  const r = parseRunsToWebview({ type: 'runs', runs: field(saved, 'runs', Array.isArray) ?? [] });
  if (r?.type === 'runs') runs = r.runs;
  const m = field(saved, 'metrics', (v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
  for (const [runDir, records] of Object.entries(m ?? {})) {
    const parsed = parseRunsToWebview({ type: 'metrics', runDir, records, reset: true });
    if (parsed?.type === 'metrics') metrics.set(runDir, parsed.records);
  }
}
const save = () => {
  let total = 0;
  for (const r of metrics.values()) total += r.length;
  host.save({ selected, configRun, runs, metrics: total <= MAX_SAVED_RECORDS ? Object.fromEntries(metrics) : undefined });
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
  onSelect: select,
  onShowConfig: (runDir) => {
    configRun = runDir;
    save();
    drawConfig();
  },
});
const config = configTable((runDir) => host.post({ type: 'openConfig', runDir }));
const charts = CHARTS.map((spec) => ({ spec, chart: lineChart({ title: spec.title, xLabel: 'step', logY: spec.logY }) }));

const drawCharts = () => {
  for (const { spec, chart } of charts) {
    const { series, data } = chartSeries(spec, runs, selected, metrics);
    chart.set(series, data);
  }
};
const drawConfig = () => config.show(runs.find((r) => r.runDir === configRun));

document.getElementById('app')!.append(
  el('h1', { text: 'Runs' }),
  status.el,
  el('div', { className: 'runs-layout' }, [
    el('aside', { className: 'runs-side' }, [list.el, config.el]),
    el('section', { className: 'charts', attrs: { 'aria-label': 'Training curves' } }, charts.map((c) => c.chart.el)),
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
      case 'error':
        status.error(m.message);
        return;
    }
  },
  status.malformed,
);
host.post({ type: 'ready' });
