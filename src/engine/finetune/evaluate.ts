import * as tf from '@tensorflow/tfjs-core';
import { padBatch, type Batch } from '../pretrain/batch';
import type { EncodedExample } from './encode';
import { classificationMetrics, regressionMetrics, type TaskMetrics } from './metrics';
import type { SequenceClassifier } from './model';
import type { TaskKind } from './options';

/** Mean cross-entropy (classification, targets are label ids) or mean squared error (regression), as HF's problem types. */
export function taskLoss(logits: tf.Tensor2D, targets: tf.Tensor1D, kind: TaskKind): tf.Scalar {
  if (kind === 'regression') return tf.mean(tf.square(tf.sub(tf.reshape(logits, [-1]), targets))) as tf.Scalar;
  const oneHot = tf.oneHot(tf.cast(targets, 'int32'), logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

export function batchOf(sequences: readonly EncodedExample[], indices: readonly number[], padId: number): Batch {
  return padBatch(indices.map((i) => sequences[i]), padId);
}

/** Predictions and metrics over a whole split, dropout off. */
export function evaluateSplit(
  model: SequenceClassifier,
  sequences: readonly EncodedExample[],
  targets: Float32Array,
  kind: TaskKind,
  padId: number,
  batchSize = 64,
): { metrics: TaskMetrics; predictions: Float32Array } {
  const predictions = new Float32Array(sequences.length);
  let lossSum = 0;
  for (let start = 0; start < sequences.length; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, sequences.length - start) }, (_, k) => start + k);
    const batch = batchOf(sequences, indices, padId);
    const { loss, values } = tf.tidy(() => {
      const logits = model.logits(batch);
      const t = tf.tensor1d(targets.subarray(start, start + indices.length));
      const out = kind === 'regression' ? tf.reshape(logits, [-1]) : tf.argMax(logits, 1);
      return { loss: taskLoss(logits, t, kind), values: out };
    });
    lossSum += loss.dataSync()[0] * indices.length;
    predictions.set(values.dataSync(), start);
    tf.dispose([loss, values]);
  }
  const loss = lossSum / Math.max(1, sequences.length);
  const metrics = kind === 'regression'
    ? regressionMetrics(predictions, targets, loss)
    : classificationMetrics(predictions, targets, model.numLabels, loss);
  return { metrics, predictions };
}
