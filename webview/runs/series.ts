import type { MetricRecord, RunSummary } from '../../src/protocol';
import { alignSeries, paletteColour, type ChartData, type ChartSeries } from '../components/chart';

/** What each chart plots: metric keys (the first one the records have, for renamed keys) and a dash per metric. */
export interface ChartSpec {
  id: string;
  title: string;
  metrics: { label: string; keys: string[]; dash?: number[] }[];
  logY?: boolean;
}
export const CHARTS: ChartSpec[] = [
  {
    id: 'losses',
    title: 'Losses',
    logY: true,
    metrics: [
      { label: 'loss', keys: ['loss'] },
      { label: 'masked_lm_loss', keys: ['masked_lm_loss'], dash: [6, 3] },
      { label: 'disc_loss', keys: ['disc_loss'], dash: [2, 3] },
    ],
  },
  { id: 'mlm', title: 'Generator: masked_lm_accuracy', metrics: [{ label: 'masked_lm_accuracy', keys: ['masked_lm_accuracy'] }] },
  {
    id: 'disc',
    title: 'Discriminator: disc_accuracy, disc_auc',
    metrics: [
      { label: 'disc_accuracy', keys: ['disc_accuracy'] },
      { label: 'disc_auc', keys: ['disc_auc'], dash: [6, 3] },
    ],
  },
  // The trainer logs tokens_per_sec; tokens_per_second is the name the issue uses, so either is plotted.
  { id: 'throughput', title: 'Throughput (tokens/s)', metrics: [{ label: 'tokens/s', keys: ['tokens_per_sec', 'tokens_per_second'] }] },
  { id: 'lr', title: 'Learning rate', metrics: [{ label: 'learning_rate', keys: ['learning_rate'] }] },
];

/** Records keyed by step, so a live append that repeats a step replaces it instead of drawing it twice. */
export function mergeRecords(old: readonly MetricRecord[], added: readonly MetricRecord[], reset: boolean): MetricRecord[] {
  const byStep = new Map<number, MetricRecord>();
  if (!reset) for (const r of old) byStep.set(r.step, r);
  for (const r of added) byStep.set(r.step, r);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** One series per (selected run × metric): colour by run, dash by metric. */
export function chartSeries(spec: ChartSpec, runs: readonly RunSummary[], selected: readonly string[], metrics: ReadonlyMap<string, readonly MetricRecord[]>): { series: ChartSeries[]; data: ChartData } {
  const series: ChartSeries[] = [];
  const raw: { x: number[]; y: (number | undefined)[] }[] = [];
  selected.forEach((runDir, runIndex) => {
    const records = metrics.get(runDir) ?? [];
    const name = runs.find((r) => r.runDir === runDir)?.name ?? runDir;
    for (const m of spec.metrics) {
      const key = m.keys.find((k) => records.some((r) => r[k] !== undefined));
      if (!key) continue;
      const rows = records.filter((r) => r[key] !== undefined);
      series.push({ label: spec.metrics.length > 1 ? `${name} · ${m.label}` : name, color: paletteColour(runIndex), dash: m.dash });
      raw.push({ x: rows.map((r) => r.step), y: rows.map((r) => r[key]) });
    }
  });
  return { series, data: alignSeries(raw) };
}
