/** Discriminator metrics over weighted positions, named as google-research/electra names them. */
export interface BinaryMetrics {
  disc_accuracy: number;
  disc_precision: number;
  disc_recall: number;
  disc_f1: number;
  disc_auc: number;
  /** Fraction of counted positions that were replaced: the all-"original" baseline's error rate. */
  replaced_fraction: number;
}

/** Accumulates (probability, label) pairs across batches; AUC needs all of them, so callers keep evaluation sets modest. */
export class BinaryMetricsAccumulator {
  private probs: number[] = [];
  private labels: number[] = [];

  add(probs: ArrayLike<number>, labels: ArrayLike<number>, weights: ArrayLike<number>): void {
    for (let i = 0; i < probs.length; i++) {
      if (weights[i] === 0) continue;
      this.probs.push(probs[i]);
      this.labels.push(labels[i]);
    }
  }

  get count(): number {
    return this.probs.length;
  }

  /** The pairs so far, exactly (float64 probabilities), for a checkpoint taken in the middle of a logging interval. */
  exportPairs(): { probs: string; labels: string } {
    return {
      probs: Buffer.from(Float64Array.from(this.probs).buffer).toString('base64'),
      labels: Buffer.from(Uint8Array.from(this.labels, (l) => (l > 0.5 ? 1 : 0))).toString('base64'),
    };
  }

  static fromPairs(pairs: { probs: string; labels: string }): BinaryMetricsAccumulator {
    const bytes = Buffer.from(pairs.probs, 'base64');
    const probs = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length - (bytes.length % 8)));
    const labels = Buffer.from(pairs.labels, 'base64');
    if (probs.length !== labels.length) throw new Error(`${probs.length} probabilities for ${labels.length} labels`);
    const acc = new BinaryMetricsAccumulator();
    acc.probs = Array.from(probs);
    acc.labels = Array.from(labels);
    return acc;
  }

  result(threshold = 0.5): BinaryMetrics {
    let tp = 0, fp = 0, tn = 0, fn = 0;
    for (let i = 0; i < this.probs.length; i++) {
      const predicted = this.probs[i] > threshold;
      const actual = this.labels[i] > 0.5;
      if (predicted && actual) tp++;
      else if (predicted) fp++;
      else if (actual) fn++;
      else tn++;
    }
    const n = Math.max(1, tp + fp + tn + fn);
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    return {
      disc_accuracy: (tp + tn) / n,
      disc_precision: precision,
      disc_recall: recall,
      disc_f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
      disc_auc: rocAuc(this.probs, this.labels),
      replaced_fraction: (tp + fn) / n,
    };
  }
}

/** Area under the ROC curve by the rank statistic (ties get average ranks); 0.5 when one class is absent. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] > 0.5) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
