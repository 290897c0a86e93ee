import { BinaryMetricsAccumulator, type BinaryMetrics } from '../eval/binary-metrics';
import type { StepOutcome } from './step';

/**
 * The pretraining metrics, named as google-research/electra names them (plus disc_f1, and for the MLM
 * ablations the main model's own masked-LM figures). A metric an objective does not produce is absent.
 */
export interface PretrainingMetrics extends Partial<BinaryMetrics> {
  loss: number;
  masked_lm_loss?: number;
  masked_lm_accuracy?: number;
  sampled_masked_lm_accuracy?: number;
  disc_loss?: number;
  main_mlm_loss?: number;
  main_mlm_accuracy?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const SUM_KEYS = ['steps', 'loss', 'mlmLoss', 'mainLoss', 'slots', 'mlmCorrect', 'sampledCorrect', 'mainCorrect', 'mainCounted'] as const;
const FLAG_KEYS = ['hasGenerator', 'hasRtd', 'mainIsMlm'] as const;

/** A logging interval in progress, as trainer_state.json keeps it (JSON: sums, flags, the (p, label) pairs in base64). */
export interface IntervalSnapshot {
  sums: Record<(typeof SUM_KEYS)[number], number>;
  flags: Record<(typeof FLAG_KEYS)[number], boolean>;
  disc: { probs: string; labels: string };
}

/** Averages step outcomes over a logging interval or an evaluation set. */
export class PretrainingMetricsAccumulator {
  private steps = 0;
  private loss = 0;
  private mlmLoss = 0;
  private mainLoss = 0;
  private slots = 0;
  private mlmCorrect = 0;
  private sampledCorrect = 0;
  private mainCorrect = 0;
  private mainCounted = 0;
  private hasGenerator = false;
  private hasRtd = false;
  private mainIsMlm = false;
  private disc = new BinaryMetricsAccumulator();

  add(out: StepOutcome): void {
    this.steps++;
    this.loss += out.loss;
    this.mlmLoss += out.mlmLoss;
    this.mainLoss += out.mainLoss;
    const m = out.masked;
    for (let s = 0; s < m.weights.length; s++) {
      if (m.weights[s] === 0) continue;
      this.slots++;
      if (out.generator?.predictions[s] === m.labels[s]) this.mlmCorrect++;
      if (out.generator?.samples[s] === m.labels[s]) this.sampledCorrect++;
    }
    this.hasGenerator ||= out.generator !== undefined;
    if (out.rtd) {
      this.hasRtd = true;
      this.disc.add(Array.from(out.rtd.logits, sigmoid), out.replaced, out.rtd.weights);
    }
    if (out.mainPredictions) {
      this.mainIsMlm = true;
      this.countMainPredictions(out, out.mainPredictions);
    }
  }

  /** Masked objectives predict per slot; All-Tokens MLM per position (every real token counts). */
  private countMainPredictions(out: StepOutcome, predictions: Int32Array): void {
    const m = out.masked;
    if (predictions.length === m.labels.length) {
      for (let s = 0; s < m.weights.length; s++) {
        if (m.weights[s] === 0) continue;
        this.mainCounted++;
        if (predictions[s] === m.labels[s]) this.mainCorrect++;
      }
      return;
    }
    // Positions: compare with the original ids, which are the labels where selected and the input elsewhere.
    const originals = out.mainInputIds.slice();
    for (let s = 0; s < m.weights.length; s++) if (m.weights[s] > 0) originals[m.flatPositions[s]] = m.labels[s];
    const weights = out.rtd?.weights;
    for (let i = 0; i < predictions.length; i++) {
      if (weights && weights[i] === 0) continue;
      this.mainCounted++;
      if (predictions[i] === originals[i]) this.mainCorrect++;
    }
  }

  /** Positions the discriminator metrics count (the n behind their intervals). */
  get discriminatorCount(): number {
    return this.disc.count;
  }

  get isEmpty(): boolean {
    return this.steps === 0;
  }

  /**
   * Everything added so far, exactly: a checkpoint written in the middle of a logging interval keeps it, so the line
   * logged after a resume covers the same steps with the same numbers as an uninterrupted run's.
   */
  snapshot(): IntervalSnapshot {
    const { steps, loss, mlmLoss, mainLoss, slots, mlmCorrect, sampledCorrect, mainCorrect, mainCounted, hasGenerator, hasRtd, mainIsMlm } = this;
    return {
      sums: { steps, loss, mlmLoss, mainLoss, slots, mlmCorrect, sampledCorrect, mainCorrect, mainCounted },
      flags: { hasGenerator, hasRtd, mainIsMlm }, disc: this.disc.exportPairs(),
    };
  }

  /** The accumulator a snapshot was taken of; a malformed snapshot (an edited trainer_state.json) gives undefined. */
  static restore(snapshot: unknown): PretrainingMetricsAccumulator | undefined {
    const s = snapshot as Partial<IntervalSnapshot> | undefined;
    const sums = s?.sums as Record<string, unknown> | undefined;
    const flags = s?.flags as Record<string, unknown> | undefined;
    if (!sums || !flags || typeof s?.disc?.probs !== 'string' || typeof s.disc.labels !== 'string') return undefined;
    if (!SUM_KEYS.every((k) => Number.isFinite(sums[k])) || !FLAG_KEYS.every((k) => typeof flags[k] === 'boolean')) return undefined;
    const acc = new PretrainingMetricsAccumulator();
    try {
      acc.disc = BinaryMetricsAccumulator.fromPairs(s.disc);
    } catch {
      return undefined;
    }
    Object.assign(acc, Object.fromEntries(SUM_KEYS.map((k) => [k, sums[k]])), Object.fromEntries(FLAG_KEYS.map((k) => [k, flags[k]])));
    return acc;
  }

  result(): PretrainingMetrics {
    const n = Math.max(1, this.steps);
    const out: PretrainingMetrics = { loss: this.loss / n };
    if (this.hasGenerator) {
      out.masked_lm_loss = this.mlmLoss / n;
      out.masked_lm_accuracy = this.mlmCorrect / Math.max(1, this.slots);
      out.sampled_masked_lm_accuracy = this.sampledCorrect / Math.max(1, this.slots);
    }
    if (this.mainIsMlm) {
      out.main_mlm_loss = this.mainLoss / n;
      out.main_mlm_accuracy = this.mainCorrect / Math.max(1, this.mainCounted);
    } else out.disc_loss = this.mainLoss / n;
    if (this.hasRtd) Object.assign(out, this.disc.result());
    return out;
  }
}
