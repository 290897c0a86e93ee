/**
 * 95% intervals for the figures evaluation reports, and the one-line warning for a small held-out split.
 * Pure (no tfjs): the evaluation panel's page imports it too.
 *
 * Tokens of one sequence are not independent, so on real text these intervals are somewhat too narrow; they
 * say how rough a figure is, not a guarantee.
 */
export type Interval = [low: number, high: number];

const Z95 = 1.959963984540054;

/** Wilson score interval for k successes of n (better than p ± z·se near 0, 1 and for small n). */
export function wilsonInterval(k: number, n: number, z = Z95): Interval {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * AUC interval by Hanley & McNeil (1982), for P positives and N negatives:
 * SE² = (A(1−A) + (P−1)(Q1−A²) + (N−1)(Q2−A²)) / (P·N), Q1 = A/(2−A), Q2 = 2A²/(1+A).
 * A closed form, so no bootstrap over every token.
 */
export function aucInterval(auc: number, positives: number, negatives: number, z = Z95): Interval {
  if (positives <= 0 || negatives <= 0) return [0, 1];
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const a2 = auc * auc;
  const spread = auc * (1 - auc) + (positives - 1) * (q1 - a2) + (negatives - 1) * (q2 - a2);
  const variance = spread / (positives * negatives);
  const half = z * Math.sqrt(Math.max(0, variance));
  return [Math.max(0, auc - half), Math.min(1, auc + half)];
}

/** Below this many held-out tokens the CLI and the panel say the figures are rough. */
export const SMALL_SPLIT_TOKENS = 2000;

/** Metric names whose intervals are kept in a report's metrics as `<name>_low` / `<name>_high`. */
export const INTERVAL_METRICS = ['disc_accuracy', 'disc_auc', 'injected_auc'] as const;

export function intervalOf(metrics: Record<string, number | undefined>, name: string): Interval | undefined {
  const low = metrics[`${name}_low`], high = metrics[`${name}_high`];
  return low === undefined || high === undefined ? undefined : [low, high];
}

/** "0.812 (0.78–0.84)": a figure with its interval, as the CLI and the panel show it. */
export function withInterval(value: number, interval: Interval | undefined, digits = 3): string {
  if (!interval) return value.toFixed(digits);
  return `${value.toFixed(digits)} (${interval[0].toFixed(digits)}–${interval[1].toFixed(digits)})`;
}

/** The plain line for a small split ("only 812 held-out tokens: these figures are rough (±0.06)"), else undefined. */
export function smallSplitWarning(tokens: number, split: 'heldout' | 'all',
  metrics: Record<string, number | undefined>): string | undefined {
  if (tokens >= SMALL_SPLIT_TOKENS) return undefined;
  const halves = INTERVAL_METRICS.map((m) => intervalOf(metrics, m))
    .filter((i): i is Interval => i !== undefined)
    .map(([lo, hi]) => (hi - lo) / 2);
  const spread = halves.length ? ` (±${Math.max(...halves).toFixed(2)})` : '';
  const which = split === 'heldout' ? 'held-out' : 'evaluated';
  return `only ${tokens} ${which} tokens: these figures are rough${spread} — ` +
    `evaluate on more text (${SMALL_SPLIT_TOKENS}+ tokens) before comparing checkpoints`;
}
