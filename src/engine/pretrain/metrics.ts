import { BinaryMetricsAccumulator, type BinaryMetrics } from '../eval/binary-metrics';
import type { StepOutcome } from './step';

/** The pretraining metrics, named as google-research/electra names them (plus disc_f1). */
export interface PretrainingMetrics extends BinaryMetrics {
  loss: number;
  masked_lm_loss: number;
  masked_lm_accuracy: number;
  sampled_masked_lm_accuracy: number;
  disc_loss: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Averages step outcomes over a logging interval or an evaluation set. */
export class PretrainingMetricsAccumulator {
  private steps = 0;
  private loss = 0;
  private mlmLoss = 0;
  private discLoss = 0;
  private slots = 0;
  private mlmCorrect = 0;
  private sampledCorrect = 0;
  private readonly disc = new BinaryMetricsAccumulator();

  add(out: StepOutcome): void {
    this.steps++;
    this.loss += out.loss;
    this.mlmLoss += out.mlmLoss;
    this.discLoss += out.discLoss;
    const m = out.masked;
    for (let s = 0; s < m.weights.length; s++) {
      if (m.weights[s] === 0) continue;
      this.slots++;
      if (out.predictions[s] === m.labels[s]) this.mlmCorrect++;
      if (out.samples[s] === m.labels[s]) this.sampledCorrect++;
    }
    this.disc.add(Array.from(out.discLogits, sigmoid), out.replaced, out.discWeights);
  }

  get isEmpty(): boolean {
    return this.steps === 0;
  }

  result(): PretrainingMetrics {
    const n = Math.max(1, this.steps);
    return {
      loss: this.loss / n,
      masked_lm_loss: this.mlmLoss / n,
      masked_lm_accuracy: this.mlmCorrect / Math.max(1, this.slots),
      sampled_masked_lm_accuracy: this.sampledCorrect / Math.max(1, this.slots),
      disc_loss: this.discLoss / n,
      ...this.disc.result(),
    };
  }
}
