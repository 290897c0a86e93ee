/**
 * Exponential moving average of a curve, as TensorBoard's smoothing slider: `weight` 0 is the raw curve, 0.99
 * nearly flat. Debiased (divided by 1 − weightⁿ) so the start is not pulled towards zero; undefined points are
 * skipped, not treated as zero.
 */
export function ema(ys: readonly (number | undefined)[], weight: number): (number | undefined)[] {
  if (weight <= 0) return [...ys];
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === undefined || !Number.isFinite(y)) return undefined;
    last = last * weight + (1 - weight) * y;
    n++;
    return last / (1 - weight ** n);
  });
}

export const SMOOTHING = [
  { label: 'none', weight: 0 },
  { label: 'light', weight: 0.6 },
  { label: 'medium', weight: 0.85 },
  { label: 'strong', weight: 0.95 },
] as const;
export const DEFAULT_SMOOTHING = 'light';
