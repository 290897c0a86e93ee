import type { CharRange } from '../protocol';

/** Sorted, non-overlapping, adjacent ranges joined. */
export function mergeRanges(ranges: readonly CharRange[]): CharRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out: CharRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** The parts of `wanted` that `covered` (merged) does not hold. */
export function subtractRanges(wanted: readonly CharRange[], covered: readonly CharRange[]): CharRange[] {
  const out: CharRange[] = [];
  for (const w of mergeRanges(wanted)) {
    let start = w.start;
    for (const c of covered) {
      if (c.end <= start || c.start >= w.end) continue;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
    }
    if (start < w.end) out.push({ start, end: w.end });
  }
  return out;
}
