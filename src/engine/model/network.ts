import * as tf from '@tensorflow/tfjs-core';
import type { ElectraConfig } from './config';
import { dropout, DropoutSeeds, gelu, layerNorm, linear } from './layers';
import { layerPrefix, POSITION_EMBEDDINGS, TOKEN_TYPE_EMBEDDINGS, WORD_EMBEDDINGS, type HeadKind } from './names';

/** A batch as the encoder takes it: [batch, length] int32 ids and token types, float32 1/0 attention mask. */
export interface EncoderInputs {
  inputIds: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
}

/** Where a network reads a parameter: normally its own variable; under `gdes` the discriminator's
 *  embedding tables are computed (generator table + own delta). */
export type ParameterSource = (name: string) => tf.Tensor;

/**
 * One ELECTRA transformer with its head, exactly HF's ElectraForPreTraining / ElectraForMaskedLM:
 * embeddings (word + position + type) → LayerNorm → dropout → embeddings_project (when E ≠ H) →
 * N post-LayerNorm BERT layers → head. Pass `seeds` to train (dropout on), omit it to evaluate.
 */
export class ElectraNetwork {
  constructor(readonly config: ElectraConfig, readonly head: HeadKind, private readonly param: ParameterSource) {}

  encode(inputs: EncoderInputs, seeds?: DropoutSeeds): tf.Tensor3D {
    const c = this.config;
    const p = this.param;
    const [batch, length] = inputs.inputIds.shape;
    const positions = tf.range(0, length, 1, 'int32');
    let x = tf.add(
      tf.add(tf.gather(p(WORD_EMBEDDINGS), inputs.inputIds), tf.gather(p(POSITION_EMBEDDINGS), positions)),
      tf.gather(p(TOKEN_TYPE_EMBEDDINGS), inputs.tokenTypeIds),
    );
    x = layerNorm(x, p('electra.embeddings.LayerNorm.weight'), p('electra.embeddings.LayerNorm.bias'), c.layer_norm_eps);
    x = dropout(x, c.hidden_dropout_prob, seeds);
    if (c.embedding_size !== c.hidden_size) {
      x = linear(x, p('electra.embeddings_project.weight'), p('electra.embeddings_project.bias'));
    }
    // Padding gets -10000 before the softmax (google-research/electra's value): [batch, 1, 1, length].
    const maskBias = tf.reshape(tf.mul(tf.sub(1, inputs.attentionMask), -10000), [batch, 1, 1, length]);
    for (let i = 0; i < c.num_hidden_layers; i++) x = this.layer(x, i, maskBias, seeds);
    return x as tf.Tensor3D;
  }

  private layer(x: tf.Tensor, i: number, maskBias: tf.Tensor, seeds?: DropoutSeeds): tf.Tensor {
    const c = this.config;
    const p = this.param;
    const pre = layerPrefix(i);
    const attention = this.selfAttention(x, pre, maskBias, seeds);
    let h = linear(attention, p(`${pre}.attention.output.dense.weight`), p(`${pre}.attention.output.dense.bias`));
    h = dropout(h, c.hidden_dropout_prob, seeds);
    const afterAttention = layerNorm(tf.add(h, x), p(`${pre}.attention.output.LayerNorm.weight`), p(`${pre}.attention.output.LayerNorm.bias`), c.layer_norm_eps);
    let f = gelu(linear(afterAttention, p(`${pre}.intermediate.dense.weight`), p(`${pre}.intermediate.dense.bias`)));
    f = linear(f, p(`${pre}.output.dense.weight`), p(`${pre}.output.dense.bias`));
    f = dropout(f, c.hidden_dropout_prob, seeds);
    return layerNorm(tf.add(f, afterAttention), p(`${pre}.output.LayerNorm.weight`), p(`${pre}.output.LayerNorm.bias`), c.layer_norm_eps);
  }

  private selfAttention(x: tf.Tensor, pre: string, maskBias: tf.Tensor, seeds?: DropoutSeeds): tf.Tensor {
    const c = this.config;
    const p = this.param;
    const [batch, length, hidden] = x.shape;
    const heads = c.num_attention_heads;
    const headSize = hidden / heads;
    const split = (name: string) => {
      const projected = linear(x, p(`${pre}.attention.self.${name}.weight`), p(`${pre}.attention.self.${name}.bias`));
      return tf.transpose(tf.reshape(projected, [batch, length, heads, headSize]), [0, 2, 1, 3]);
    };
    // Scaling q by 1/√d before the product is the same as scaling the scores, on a tensor L/d times smaller.
    const q = tf.mul(split('query'), 1 / Math.sqrt(headSize));
    const k = split('key');
    const v = split('value');
    const scores = tf.add(tf.matMul(q, k, false, true), maskBias);
    const probs = dropout(tf.softmax(scores), c.attention_probs_dropout_prob, seeds);
    return tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [batch, length, hidden]);
  }

  /** Discriminator: one logit per token, [batch, length]: P(replaced) = sigmoid(logit). */
  discriminatorLogits(hidden: tf.Tensor3D): tf.Tensor2D {
    const p = this.param;
    const [batch, length] = hidden.shape;
    const h = gelu(linear(hidden, p('discriminator_predictions.dense.weight'), p('discriminator_predictions.dense.bias')));
    const logits = linear(h, p('discriminator_predictions.dense_prediction.weight'), p('discriminator_predictions.dense_prediction.bias'));
    return tf.reshape(logits, [batch, length]);
  }

  /** Generator: vocabulary logits for the given rows of the flattened [batch·length, H] hidden states
   *  (only the masked positions, as google-research/electra computes them), [rows, vocab]. */
  generatorLogits(hidden: tf.Tensor3D, flatPositions: tf.Tensor1D): tf.Tensor2D {
    const p = this.param;
    const rows = tf.gather(tf.reshape(hidden, [-1, hidden.shape[2]]), flatPositions);
    let h = gelu(linear(rows, p('generator_predictions.dense.weight'), p('generator_predictions.dense.bias')));
    h = layerNorm(h, p('generator_predictions.LayerNorm.weight'), p('generator_predictions.LayerNorm.bias'), this.config.layer_norm_eps);
    return tf.add(tf.matMul(h, p(WORD_EMBEDDINGS), false, true), p('generator_lm_head.bias')) as tf.Tensor2D;
  }
}
