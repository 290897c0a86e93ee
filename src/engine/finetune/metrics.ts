/**
 * GLUE's task metrics, as google-research/electra reports them: accuracy everywhere, F1 of the positive
 * class for binary tasks (MRPC/QQP), Matthews correlation for CoLA, Pearson and Spearman for STS-B.
 */
export interface TaskMetrics {
  accuracy?: number;
  f1?: number;
  mcc?: number;
  pearson?: number;
  spearman?: number;
  loss: number;
}

export function classificationMetrics(predicted: ArrayLike<number>, actual: ArrayLike<number>, numLabels: number, loss: number): TaskMetrics {
  let correct = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] === actual[i]) correct++;
  const metrics: TaskMetrics = { accuracy: actual.length ? correct / actual.length : 0, loss };
  if (numLabels === 2) {
    metrics.f1 = binaryF1(predicted, actual);
    metrics.mcc = matthews(predicted, actual);
  }
  return metrics;
}

export function regressionMetrics(predicted: ArrayLike<number>, actual: ArrayLike<number>, loss: number): TaskMetrics {
  return { pearson: pearson(predicted, actual), spearman: spearman(predicted, actual), loss };
}

/** F1 of label 1 (the "positive" class, as GLUE's MRPC/QQP count it). */
export function binaryF1(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < actual.length; i++) {
    if (predicted[i] === 1 && actual[i] === 1) tp++;
    else if (predicted[i] === 1) fp++;
    else if (actual[i] === 1) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Matthews correlation of binary predictions; 0 when a row or column of the confusion matrix is empty (sklearn's convention). */
export function matthews(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  let tp = 0, tn = 0, fp = 0, fn = 0;
  for (let i = 0; i < actual.length; i++) {
    const p = predicted[i] === 1, a = actual[i] === 1;
    if (p && a) tp++;
    else if (p) fp++;
    else if (a) fn++;
    else tn++;
  }
  const denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return denominator === 0 ? 0 : (tp * tn - fp * fn) / denominator;
}

/** Pearson correlation; 0 when either side is constant (undefined otherwise, and a constant predictor is worthless). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n === 0) return 0;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Spearman = Pearson of the ranks, ties sharing their average rank (as scipy). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + end - 1) / 2 + 1;
    for (let k = start; k < end; k++) out[order[k]] = rank;
    start = end;
  }
  return out;
}
