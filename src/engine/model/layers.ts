import * as tf from '@tensorflow/tfjs-core';
import { dropoutMask, fusedDropout, fusedGelu, fusedLayerNorm, fusedLinear } from '../backend/fused-ops';

export { dropoutMask, uniformNoise } from '../backend/fused-ops';

/** y = x Wᵀ + b with W stored [out, in] (PyTorch layout). x is flattened to 2-D first: tfjs's 3-D×2-D
 *  broadcast matMul has a wrong-shaped gradient for the 2-D operand. */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const x2d = tf.reshape(x, [-1, inDim]);
  const y = fusedLinear(x2d as tf.Tensor2D, weight as tf.Tensor2D, bias as tf.Tensor1D) ?? tf.add(tf.matMul(x2d, weight, false, true), bias);
  return tf.reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
}

/** LayerNorm over the last axis, as HF's: (x − mean)·rsqrt(var + eps)·gamma + beta (biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const fused = fusedLayerNorm(x, gamma, beta, eps);
  if (fused) return fused;
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** The exact (erf) GELU, as HF's "gelu" and google-research/electra use. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x) ?? tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
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

/**
 * Inverted dropout (as HF/PyTorch): each element is kept with probability 1 − rate and scaled by 1/(1 − rate).
 * The mask comes from `dropoutMask` (a counter-based hash), not tf.dropout: tfjs draws its uniforms one by
 * one through seedrandom's alea (~10 ns each) and needs three more kernels (add, floor, div) to make the
 * multiplier; ~16M mask elements per ELECTRA-Small step made that ~5% of the step. On wasm the fused kernel
 * draws the same mask inside one pass. Same seed → same mask on every backend.
 */
export function dropout(x: tf.Tensor, rate: number, seeds: DropoutSeeds | undefined): tf.Tensor {
  if (!seeds || rate <= 0) return x;
  const seed = seeds.next();
  return fusedDropout(x, rate, seed) ?? tf.mul(x, tf.tensor(dropoutMask(x.size, rate, seed), x.shape, 'float32'));
}
