/** Steps per second and time left of a run, from the step events seen since it was first followed. */
export class RunPace {
  private first?: { step: number; at: number };
  private last?: { step: number; total: number; at: number };

  record(step: number, total: number, at = Date.now()): void {
    if (!this.first || step < this.first.step) this.first = { step, at };
    this.last = { step, total, at };
  }

  get step(): number | undefined {
    return this.last?.step;
  }

  /** Undefined until two step events have been seen (the first one may come after a long tokenizer phase). */
  stepsPerSecond(): number | undefined {
    if (!this.first || !this.last || this.last.at <= this.first.at || this.last.step <= this.first.step) return undefined;
    return (this.last.step - this.first.step) / ((this.last.at - this.first.at) / 1000);
  }

  /** "step 12 of 40 · 2.1 steps/s · ETA 14 s" (rate and ETA once known). */
  describe(): string {
    if (!this.last) return 'starting';
    const rate = this.stepsPerSecond();
    const parts = [`step ${this.last.step} of ${this.last.total}`];
    if (rate) parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} steps/s`, `ETA ${formatDuration((this.last.total - this.last.step) / rate)}`);
    return parts.join(' · ');
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  return `${h} h ${Math.round((seconds - h * 3600) / 60)} min`;
}
