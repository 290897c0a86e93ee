import type { MetricRecord, RunSummary } from '../../src/protocol';

/**
 * What the curves are plotted against. Step is always there; the others come from metrics.jsonl fields when a
 * run logged them (`tokens`/`tokens_seen`, `wall_time_s`/`elapsed_s`, `flops`), and tokens otherwise from
 * step × batch × sequence length in run.json. An axis no charted run can give is not offered.
 */
export type XAxis = 'step' | 'tokens' | 'wall' | 'flops';
export const X_AXES: { id: XAxis; label: string; title: string }[] = [
  { id: 'step', label: 'step', title: 'Optimizer step (step in metrics.jsonl)' },
  { id: 'tokens', label: 'tokens', title: 'Tokens trained on (tokens or tokens_seen in metrics.jsonl; else step × batchSize × seqLength of run.json)' },
  { id: 'wall', label: 'wall time (s)', title: 'Seconds since the run started (wall_time_s or elapsed_s in metrics.jsonl)' },
  { id: 'flops', label: 'FLOPs', title: 'Training FLOPs so far (flops in metrics.jsonl)' },
];

const FIELDS: Record<Exclude<XAxis, 'step'>, string[]> = { tokens: ['tokens', 'tokens_seen'], wall: ['wall_time_s', 'elapsed_s'], flops: ['flops'] };

/** Tokens per step from run.json, when it says both. */
function tokensPerStep(run: RunSummary | undefined): number | undefined {
  const batch = run?.config.batchSize;
  const seq = run?.config.seqLength;
  return typeof batch === 'number' && typeof seq === 'number' && batch > 0 && seq > 0 ? batch * seq : undefined;
}

/** The x of each record on this axis (undefined where the record cannot say). */
export function xOf(axis: XAxis, records: readonly MetricRecord[], run: RunSummary | undefined): (number | undefined)[] {
  if (axis === 'step') return records.map((r) => r.step);
  const key = FIELDS[axis].find((k) => records.some((r) => r[k] !== undefined));
  if (key) return records.map((r) => r[key]);
  const perStep = axis === 'tokens' ? tokensPerStep(run) : undefined;
  return records.map((r) => (perStep === undefined ? undefined : r.step * perStep));
}

/** Whether every charted run with records can be plotted on the axis. */
export function axisAvailable(axis: XAxis, runs: readonly { records: readonly MetricRecord[]; run: RunSummary | undefined }[]): boolean {
  const withRecords = runs.filter((r) => r.records.length > 0);
  return withRecords.length > 0 && withRecords.every((r) => xOf(axis, r.records, r.run).some((x) => x !== undefined));
}

/**
 * The x of a step that has no record (an evaluated checkpoint between two logged steps): linear between the
 * logged steps around it, in proportion to the nearest one outside them.
 */
export function xAtStep(step: number, steps: readonly number[], xs: readonly (number | undefined)[]): number | undefined {
  const known = steps.map((s, i) => [s, xs[i]] as const).filter((p): p is readonly [number, number] => p[1] !== undefined);
  if (known.length === 0) return undefined;
  const after = known.findIndex(([s]) => s >= step);
  if (after === 0 || after === -1) {
    const [s, x] = known[after === 0 ? 0 : known.length - 1];
    if (s === step) return x;
    return s > 0 ? (x * step) / s : undefined;
  }
  const [s0, x0] = known[after - 1];
  const [s1, x1] = known[after];
  return x0 + ((x1 - x0) * (step - s0)) / (s1 - s0);
}
