import * as tf from '@tensorflow/tfjs-core';
import type { ElectraModel } from '../model/electra';
import type { EncoderInputs } from '../model/network';
import type { DropoutSeeds } from '../model/layers';
import type { Batch } from './batch';
import type { MaskedBatch } from './masking';

/**
 * The two forward passes of ELECTRA, each returning a scalar loss (to differentiate) and the values
 * the step needs afterwards. Tensors in `kept` survive the surrounding tidy/variableGrads and are the
 * caller's to read and dispose. Sampling sits in the generator pass but off the loss's path, so no
 * gradient flows through it (tfjs has no stop_gradient; the tape drops ops that do not reach the loss).
 */

export function encoderInputs(batch: Batch, ids: Int32Array): EncoderInputs {
  const shape: [number, number] = [batch.size, batch.length];
  return {
    inputIds: tf.tensor2d(ids, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, shape, 'float32'),
  };
}

export interface GeneratorKept {
  /** Generator's argmax at each slot (for masked-LM accuracy). */
  predictions: tf.Tensor1D;
  /** Gumbel-max samples at each slot, at the given temperature. */
  samples: tf.Tensor1D;
  /** The generator's probability of its own sample (shown in corruption samples). */
  sampleProbs: tf.Tensor1D;
}

export function generatorPass(
  model: ElectraModel,
  batch: Batch,
  masked: MaskedBatch,
  options: { seeds?: DropoutSeeds; samplingSeed: number; temperature: number },
): { loss: tf.Scalar; kept: GeneratorKept } {
  const generator = model.generator!;
  const hidden = generator.encode(encoderInputs(batch, masked.maskedIds), options.seeds);
  const logits = generator.generatorLogits(hidden, tf.tensor1d(masked.flatPositions, 'int32'));
  const vocab = logits.shape[1];
  const labels = tf.oneHot(tf.tensor1d(masked.labels, 'int32'), vocab);
  const weights = tf.tensor1d(masked.weights);
  const logProbs = tf.logSoftmax(logits);
  const nll = tf.neg(tf.sum(tf.mul(logProbs, labels), -1));
  const loss = tf.div(tf.sum(tf.mul(nll, weights)), tf.add(tf.sum(weights), 1e-6)) as tf.Scalar;

  // Gumbel-max: argmax(logits / T + g), g = −log(−log u), is a draw from softmax(logits / T).
  const uniform = tf.randomUniform(logits.shape, 0, 1, 'float32', options.samplingSeed);
  const gumbel = tf.neg(tf.log(tf.add(tf.neg(tf.log(tf.add(uniform, 1e-9))), 1e-9)));
  const samples = tf.argMax(tf.add(tf.div(logits, options.temperature), gumbel), -1) as tf.Tensor1D;
  const sampleProbs = tf.sum(tf.mul(tf.exp(logProbs), tf.oneHot(samples, vocab)), -1) as tf.Tensor1D;
  const predictions = tf.argMax(logits, -1) as tf.Tensor1D;
  return { loss, kept: { predictions: tf.keep(predictions), samples: tf.keep(samples), sampleProbs: tf.keep(sampleProbs) } };
}

export function discriminatorPass(
  model: ElectraModel,
  batch: Batch,
  corruptedIds: Int32Array,
  replaced: Float32Array,
  lossWeights: Float32Array,
  seeds?: DropoutSeeds,
): { loss: tf.Scalar; kept: { logits: tf.Tensor2D } } {
  const disc = model.discriminator;
  const logits = disc.discriminatorLogits(disc.encode(encoderInputs(batch, corruptedIds), seeds));
  const shape: [number, number] = [batch.size, batch.length];
  const z = tf.tensor2d(replaced, shape);
  const w = tf.tensor2d(lossWeights, shape);
  // Numerically stable sigmoid cross-entropy: max(x, 0) − x·z + log(1 + e^−|x|).
  const perToken = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, z)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  const loss = tf.div(tf.sum(tf.mul(perToken, w)), tf.add(tf.sum(w), 1e-6)) as tf.Scalar;
  return { loss, kept: { logits: tf.keep(logits) } };
}
