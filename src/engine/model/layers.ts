import * as tf from '@tensorflow/tfjs-core';

/** y = x Wᵀ + b with W stored [out, in] (PyTorch layout). x is flattened to 2-D first: tfjs's 3-D×2-D
 *  broadcast matMul has a wrong-shaped gradient for the 2-D operand. */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const x2d = tf.reshape(x, [-1, inDim]);
  const y = tf.add(tf.matMul(x2d, weight, false, true), bias);
  return tf.reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** The exact (erf) GELU, as HF's "gelu" and google-research/electra use. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** Seeds for dropout masks: one counter per forward pass, so a run replays exactly from its seed. */
export class DropoutSeeds {
  private counter = 0;
  constructor(private readonly base: number) {}
  next(): number {
    this.counter += 1;
    return (this.base * 1000003 + this.counter * 7919) % 2147483647;
  }
}

export function dropout(x: tf.Tensor, rate: number, seeds: DropoutSeeds | undefined): tf.Tensor {
  if (!seeds || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, seeds.next());
}
