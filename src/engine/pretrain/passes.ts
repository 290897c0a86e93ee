import * as tf from '@tensorflow/tfjs-core';
import { ADVERSARIAL_BASELINE, type ElectraModel } from '../model/electra';
import type { ElectraNetwork, EncoderInputs } from '../model/network';
import { uniformNoise, type DropoutSeeds } from '../model/layers';
import { fusedGumbelArgmax, fusedSoftmaxCrossEntropy } from '../backend/fused-ops';
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

export type GeneratorKept = {
  /** Generator's argmax at each slot (for masked-LM accuracy). */
  predictions: tf.Tensor1D;
  /** Gumbel-max samples at each slot, at the given temperature. */
  samples: tf.Tensor1D;
  /** The generator's probability of its own sample (shown in corruption samples). */
  sampleProbs: tf.Tensor1D;
  /** The generator's final hidden state at each slot, [slots, H] (adversarial training's baseline input). */
  rows?: tf.Tensor2D;
};

/** Weighted cross-entropy of `network`'s vocabulary logits at the masked slots against the original tokens. */
function maskedLm(network: ElectraNetwork, batch: Batch, inputIds: Int32Array, masked: MaskedBatch, seeds?: DropoutSeeds) {
  const hidden = network.encode(encoderInputs(batch, inputIds), seeds);
  const logits = network.generatorLogits(hidden, tf.tensor1d(masked.flatPositions, 'int32'));
  const nll = softmaxCrossEntropy(logits, tf.tensor1d(masked.labels, 'int32'));
  const weights = tf.tensor1d(masked.weights);
  const loss = tf.div(tf.sum(tf.mul(nll, weights)), tf.add(tf.sum(weights), 1e-6)) as tf.Scalar;
  return { loss, logits, hidden };
}

/**
 * −log softmax(logits)[r, columns[r]] per row. On wasm one fused kernel each way (fused-ops.ts): over the
 * generator's [slots, 30522] logits, logSoftmax + a gather cost ~10 kernels and a dense [slots, vocab]
 * gradient of the gather; elsewhere those tfjs ops.
 */
function softmaxCrossEntropy(logits: tf.Tensor2D, columns: tf.Tensor1D): tf.Tensor1D {
  return fusedSoftmaxCrossEntropy(logits, columns) ?? (tf.neg(pickPerRow(tf.logSoftmax(logits), columns)) as tf.Tensor1D);
}

/** values[r, columns[r]] for every row r, by a flat gather: cheaper than a [rows, vocab] one-hot product. */
function pickPerRow(values: tf.Tensor2D, columns: tf.Tensor1D): tf.Tensor1D {
  const [rows, width] = values.shape;
  const flat = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(width, 'int32')), columns);
  return tf.gather(tf.reshape(values, [-1]), flat) as tf.Tensor1D;
}

/**
 * Gumbel-max draws from softmax(logits / T) per row, g = −log(−log u) with u from `uniformNoise` (a JS hash:
 * same seed → same draws on every backend; u ∈ [0, 1), so g = +∞ cannot happen, and u = 0 gives g = −∞,
 * never chosen: no epsilons), and the plain argmax. On wasm one fused pass (fused-ops.ts, the same draws)
 * instead of ~8 kernels over [slots, vocab].
 */
function sampleAndPredict(logits: tf.Tensor2D, seed: number, temperature: number): { samples: tf.Tensor1D; predictions: tf.Tensor1D } {
  const fused = fusedGumbelArgmax(logits, seed, temperature);
  if (fused) return fused;
  const uniform = tf.tensor(uniformNoise(logits.size, seed), logits.shape, 'float32');
  const gumbel = tf.neg(tf.log(tf.neg(tf.log(uniform))));
  const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
  return { samples: tf.argMax(tf.add(scaled, gumbel), -1) as tf.Tensor1D, predictions: tf.argMax(logits, -1) as tf.Tensor1D };
}

export function generatorPass(
  model: ElectraModel,
  batch: Batch,
  masked: MaskedBatch,
  options: { seeds?: DropoutSeeds; samplingSeed: number; temperature: number; keepRows?: boolean },
): { loss: tf.Scalar; kept: GeneratorKept } {
  const { loss, logits, hidden } = maskedLm(model.generator!, batch, masked.maskedIds, masked, options.seeds);
  // Sampling and the sample's probability sit off the loss's path: no gradient flows through them.
  const { samples, predictions } = sampleAndPredict(logits, options.samplingSeed, options.temperature);
  const sampleProbs = tf.exp(tf.neg(softmaxCrossEntropy(logits, samples))) as tf.Tensor1D;
  const kept: GeneratorKept = { predictions: tf.keep(predictions), samples: tf.keep(samples), sampleProbs: tf.keep(sampleProbs) };
  // Adversarial ELECTRA's baseline reads the generator's hidden state at each slot.
  if (options.keepRows) kept.rows = tf.keep(tf.gather(tf.reshape(hidden, [-1, hidden.shape[2]]), tf.tensor1d(masked.flatPositions, 'int32')) as tf.Tensor2D);
  return { loss, kept };
}

/** The main model as an MLM (BERT, Replace MLM): predict the original tokens at the masked slots of `inputIds`. */
export function mainMaskedLmPass(model: ElectraModel, batch: Batch, inputIds: Int32Array, masked: MaskedBatch, seeds?: DropoutSeeds): { loss: tf.Scalar; kept: { predictions: tf.Tensor1D } } {
  const { loss, logits } = maskedLm(model.discriminator, batch, inputIds, masked, seeds);
  return { loss, kept: { predictions: tf.keep(tf.argMax(logits, -1) as tf.Tensor1D) } };
}

/**
 * All-Tokens MLM with the paper's copy mechanism: at every real token, P(original) =
 * D·1[original = input] + (1 − D)·softmax(original), D = sigmoid(copy logit) from the discriminator head.
 * Its copy logit is a replaced/original score too (P(replaced) = 1 − D), kept for the metrics and heatmaps.
 */
export function allTokensPass(model: ElectraModel, batch: Batch, inputIds: Int32Array, originalIds: Int32Array, seeds?: DropoutSeeds): { loss: tf.Scalar; kept: { predictions: tf.Tensor1D; replacedLogits: tf.Tensor2D } } {
  const main = model.discriminator;
  const hidden = main.encode(encoderInputs(batch, inputIds), seeds);
  const rows = batch.size * batch.length;
  const logits = main.generatorLogits(hidden, tf.range(0, rows, 1, 'int32') as tf.Tensor1D);
  const copyLogits = main.discriminatorLogits(hidden);
  const copy = tf.reshape(tf.sigmoid(copyLogits), [rows]);
  const originals = tf.tensor1d(originalIds, 'int32');
  const probs = tf.softmax(logits);
  const pOriginalVocab = tf.sum(tf.mul(probs, tf.oneHot(originals, logits.shape[1])), -1);
  const same = tf.cast(tf.equal(originals, tf.tensor1d(inputIds, 'int32')), 'float32');
  const pOriginal = tf.add(tf.mul(copy, same), tf.mul(tf.sub(1, copy), pOriginalVocab));
  const weights = tf.tensor1d(batch.attentionMask);
  const loss = tf.div(tf.neg(tf.sum(tf.mul(tf.log(tf.add(pOriginal, 1e-9)), weights))), tf.add(tf.sum(weights), 1e-6)) as tf.Scalar;
  const predictions = tf.argMax(logits, -1) as tf.Tensor1D;
  return { loss, kept: { predictions: tf.keep(predictions), replacedLogits: tf.keep(tf.neg(copyLogits) as tf.Tensor2D) } };
}

export function discriminatorPass(
  model: ElectraModel,
  batch: Batch,
  corruptedIds: Int32Array,
  replaced: Float32Array,
  lossWeights: Float32Array,
  seeds?: DropoutSeeds,
): { loss: tf.Scalar; kept: { logits: tf.Tensor2D; perToken: tf.Tensor2D } } {
  const disc = model.discriminator;
  const logits = disc.discriminatorLogits(disc.encode(encoderInputs(batch, corruptedIds), seeds));
  const shape: [number, number] = [batch.size, batch.length];
  const z = tf.tensor2d(replaced, shape);
  const w = tf.tensor2d(lossWeights, shape);
  // Numerically stable sigmoid cross-entropy: max(x, 0) − x·z + log(1 + e^−|x|).
  const perToken = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, z)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  const loss = tf.div(tf.sum(tf.mul(perToken, w)), tf.add(tf.sum(w), 1e-6)) as tf.Scalar;
  // perToken is each position's loss: Adversarial ELECTRA's reward for the generator's sample there.
  return { loss, kept: { logits: tf.keep(logits), perToken: tf.keep(perToken) as tf.Tensor2D } };
}

/**
 * Adversarial ELECTRA's generator objective (Clark et al. 2020, appendix F): REINFORCE on the samples the step
 * drew, loss = Σ_slots advantage · (−log p_G(sample)) / Σ weights, the advantage (reward − baseline, zero on unused
 * slots) a constant computed from the discriminator's loss at each slot. Minimising it raises the probability of
 * samples that fooled the discriminator. Run with the dropout seeds of the sampling pass, so p_G is the very
 * distribution the samples came from.
 */
export function policyGradientPass(
  model: ElectraModel,
  batch: Batch,
  masked: MaskedBatch,
  samples: Int32Array,
  advantages: Float32Array,
  options: { seeds?: DropoutSeeds; temperature: number; baseline?: BaselineTarget },
): { loss: tf.Scalar; kept: Record<string, never> } {
  const gen = model.generator!;
  const hidden = gen.encode(encoderInputs(batch, masked.maskedIds), options.seeds);
  const logits = gen.generatorLogits(hidden, tf.tensor1d(masked.flatPositions, 'int32'));
  const scaled = options.temperature === 1 ? logits : tf.div(logits, options.temperature) as tf.Tensor2D;
  const nll = softmaxCrossEntropy(scaled, tf.tensor1d(samples, 'int32'));
  let loss = tf.div(tf.sum(tf.mul(nll, tf.tensor1d(advantages))), tf.add(tf.sum(tf.tensor1d(masked.weights)), 1e-6)) as tf.Scalar;
  if (options.baseline) loss = tf.add(loss, baselineLoss(model, options.baseline)) as tf.Scalar;
  return { loss, kept: {} };
}

/** The learned baseline's training data: the sampling pass's hidden rows (a constant here — tfjs has no
 *  stop_gradient, so the baseline cannot shape the generator's encoder), each slot's reward, and the slots used. */
export interface BaselineTarget {
  rows: Float32Array;
  rewards: Float32Array;
  used: Float32Array;
}

/**
 * b = −log σ(wᵀh + c) is trained "with cross-entropy to match the reward" (the paper): the reward R = −log q is the
 * discriminator's loss, q its probability of the right answer, so σ(wᵀh + c) is fitted to q = e^−R by sigmoid
 * cross-entropy, averaged over the slots whose sample was placed.
 */
function baselineLoss(model: ElectraModel, t: BaselineTarget): tf.Scalar {
  const w = model.genParams.get(ADVERSARIAL_BASELINE.weight)!, c = model.genParams.get(ADVERSARIAL_BASELINE.bias)!;
  const rows = tf.tensor2d(t.rows, [t.used.length, w.shape[0]]);
  const z = tf.reshape(tf.add(tf.matMul(rows, w), c), [-1]);
  const target = tf.exp(tf.neg(tf.tensor1d(t.rewards)));
  const perSlot = tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  const used = tf.tensor1d(t.used);
  return tf.div(tf.sum(tf.mul(perSlot, used)), tf.add(tf.sum(used), 1e-6)) as tf.Scalar;
}
