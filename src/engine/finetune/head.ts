import * as tf from '@tensorflow/tfjs-core';
import { dropout, gelu, linear, type DropoutSeeds } from '../model/layers';
import type { ClassifierHeadKind } from './options';

/**
 * Hugging Face's ElectraClassificationHead (`hf`), with its state-dict names: the [CLS] position's hidden state →
 * dropout → `classifier.dense` (H→H) → GELU → dropout → `classifier.out_proj` (H→num_labels).
 * google-research/electra's head (`dense`): [CLS] → dropout → one dense layer (H→num_labels), kept under
 * `classifier.out_proj` — transformers' class would find no `classifier.dense` and start it at random.
 */
export const CLASSIFIER_DENSE = 'classifier.dense';
export const CLASSIFIER_OUT = 'classifier.out_proj';

export function classifierShapes(hidden: number, numLabels: number, head: ClassifierHeadKind = 'hf'): Map<string, number[]> {
  const dense: [string, number[]][] = [[`${CLASSIFIER_DENSE}.weight`, [hidden, hidden]], [`${CLASSIFIER_DENSE}.bias`, [hidden]]];
  return new Map<string, number[]>([
    ...(head === 'hf' ? dense : []),
    [`${CLASSIFIER_OUT}.weight`, [numLabels, hidden]],
    [`${CLASSIFIER_OUT}.bias`, [numLabels]],
  ]);
}

/** [batch, length, H] hidden states → [batch, num_labels] logits. Pass `seeds` to train (dropout on). */
export function classifierLogits(
  hidden: tf.Tensor3D, param: (name: string) => tf.Tensor, dropoutRate: number, head: ClassifierHeadKind, seeds?: DropoutSeeds,
): tf.Tensor2D {
  const [batch, , size] = hidden.shape;
  let x: tf.Tensor = tf.reshape(tf.slice(hidden, [0, 0, 0], [batch, 1, size]), [batch, size]);
  x = dropout(x, dropoutRate, seeds);
  if (head === 'hf') {
    x = gelu(linear(x, param(`${CLASSIFIER_DENSE}.weight`), param(`${CLASSIFIER_DENSE}.bias`)));
    x = dropout(x, dropoutRate, seeds);
  }
  return linear(x, param(`${CLASSIFIER_OUT}.weight`), param(`${CLASSIFIER_OUT}.bias`)) as tf.Tensor2D;
}
