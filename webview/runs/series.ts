import type { CheckpointEvaluation, MetricRecord, RunSummary } from '../../src/protocol';
import { alignSeries, PALETTE, paletteColour, type ChartData, type ChartSeries } from '../components/chart';
import { metricName } from '../shared/metric-names';
import { ema } from './smoothing';
import { xAtStep, xOf, type XAxis } from './x-axis';

/** One chart per metric, so its legend is just the runs. `keys`: the names a metric was logged under (first found). */
export interface ChartSpec {
  id: string;
  keys: string[];
  logY?: boolean;
}
export const CHARTS: ChartSpec[] = [
  { id: 'disc_auc', keys: ['disc_auc'] },
  { id: 'masked_lm_loss', keys: ['masked_lm_loss'], logY: true },
  { id: 'disc_loss', keys: ['disc_loss'] },
  { id: 'loss', keys: ['loss'], logY: true },
  { id: 'masked_lm_accuracy', keys: ['masked_lm_accuracy'] },
  { id: 'disc_accuracy', keys: ['disc_accuracy'] },
  { id: 'grad_norm', keys: ['grad_norm'], logY: true },
  { id: 'learning_rate', keys: ['learning_rate'] },
  // The trainer logs tokens_per_sec; tokens_per_second is the name the issue uses, so either is plotted.
  { id: 'throughput', keys: ['tokens_per_sec', 'tokens_per_second'] },
];
export const chartTitle = (spec: ChartSpec) => metricName(spec.keys[0]);

/** Records keyed by step, so a live append that repeats a step replaces it instead of drawing it twice. */
export function mergeRecords(old: readonly MetricRecord[], added: readonly MetricRecord[], reset: boolean): MetricRecord[] {
  const byStep = new Map<number, MetricRecord>();
  if (!reset) for (const r of old) byStep.set(r.step, r);
  for (const r of added) byStep.set(r.step, r);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** A run's colour: by its place in the run list, so it keeps its colour whichever runs are checked with it. */
export function runColour(runs: readonly RunSummary[], runDir: string): { color: string; dash?: number[] } {
  const i = Math.max(0, runs.findIndex((r) => r.runDir === runDir));
  // Past the palette, colours repeat: a dash tells those runs apart.
  return { color: paletteColour(i), dash: i >= PALETTE.length ? [6, 3] : undefined };
}

export interface SeriesOptions {
  axis: XAxis;
  /** EMA weight; 0 draws the logged points as the line. */
  smoothing: number;
  /** With smoothing on: the logged points too, faint. */
  showRaw: boolean;
}
export interface RunData {
  run: RunSummary | undefined;
  runDir: string;
  records: readonly MetricRecord[];
  evaluations: readonly CheckpointEvaluation[];
}

/** The series of one chart: per selected run its (smoothed) curve, its raw points, and its held-out evaluations. */
export function chartSeries(spec: ChartSpec, runs: readonly RunSummary[], data: readonly RunData[], o: SeriesOptions): { series: ChartSeries[]; data: ChartData; keys: string[] } {
  const series: ChartSeries[] = [];
  const raw: { x: number[]; y: (number | undefined)[] }[] = [];
  const keys = new Set<string>();
  for (const d of data) {
    const name = d.run?.name ?? d.runDir;
    const { color, dash } = runColour(runs, d.runDir);
    const key = spec.keys.find((k) => d.records.some((r) => r[k] !== undefined));
    const allX = xOf(o.axis, d.records, d.run);
    if (key) {
      keys.add(key);
      const rows = d.records.map((r, i) => ({ x: allX[i], y: r[key] })).filter((p): p is { x: number; y: number } => p.x !== undefined && p.y !== undefined);
      const x = rows.map((p) => p.x);
      const y = rows.map((p) => p.y);
      if (o.smoothing > 0) {
        series.push({ label: name, color, dash, kind: 'line', tip: `${key} of ${name}, smoothed` });
        raw.push({ x, y: ema(y, o.smoothing) });
        if (o.showRaw) {
          series.push({ label: `${name} (logged)`, color, kind: 'faint', legend: false, tip: `${key} of ${name} as logged` });
          raw.push({ x, y });
        }
      } else {
        series.push({ label: name, color, dash, kind: 'line', tip: `${key} of ${name}` });
        raw.push({ x, y });
      }
    }
    // Held-out evaluations of the same metric, at their checkpoints' place on this axis.
    const evals = d.evaluations.filter((e) => spec.keys.some((k) => e.metrics[k] !== undefined));
    if (evals.length) {
      const steps = d.records.map((r) => r.step);
      const points = evals
        .map((e) => ({ x: o.axis === 'step' ? e.step : xAtStep(e.step, steps, allX), y: e.metrics[spec.keys.find((k) => e.metrics[k] !== undefined)!] }))
        .filter((p): p is { x: number; y: number } => p.x !== undefined);
      if (points.length) {
        const split = evals[0].split === 'heldout' ? 'held-out' : 'eval';
        series.push({ label: `${name} ${split}`, color, kind: 'marker', tip: `${spec.keys[0]} of ${name}'s checkpoints on ${split === 'held-out' ? 'held-out text' : 'all examples'} (cached evaluations)` });
        raw.push({ x: points.map((p) => p.x), y: points.map((p) => p.y) });
      }
    }
  }
  return { series, data: alignSeries(raw), keys: [...keys] };
}
