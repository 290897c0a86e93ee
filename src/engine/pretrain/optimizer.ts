import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../checkpoint/safetensors';
import { UserError } from '../errors';
import { inPlaceUpdater, type AdamWHyper, type InPlaceUpdater } from '../backend/native/adamw';

export interface AdamWOptions {
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Global gradient-norm clip (1.0 in google-research/electra). */
  clipNorm: number;
  /** Which parameters get weight decay (not LayerNorm or biases). */
  decays: (name: string) => boolean;
  /** Multiplies the learning rate per parameter (fine-tuning's layer-wise decay); absent = 1 everywhere. */
  rateScale?: (name: string) => number;
}

/**
 * google-research/electra's AdamWeightDecayOptimizer: Adam WITHOUT bias correction (reproductions found
 * this matters), decoupled weight decay, after clipping the global gradient norm.
 *
 * The moments are kept in JS memory (out of the 4 GB wasm heap). On the native tier the update runs in C in
 * place on the heap; elsewhere in plain JS over typed arrays: per parameter one read of the gradient and
 * the value and one write of the new value, instead of ~14 small tensor ops (on wasm their call overhead
 * was 0.23 s of a 3.4 s ELECTRA-Small step). Both compute in double and store float32: equal results.
 */
export class AdamW {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(private readonly params: ReadonlyMap<string, tf.Variable>, private readonly o: AdamWOptions) {
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.size));
      this.v.set(name, new Float32Array(p.size));
    }
  }

  /** Applies one update; returns the gradient norm before clipping. Disposes `grads`. */
  apply(grads: Map<string, tf.Tensor>, learningRate: number): number {
    const native = inPlaceUpdater();
    return native ? this.applyInPlace(native, grads, learningRate) : this.applyInJs(grads, learningRate);
  }

  private hyper(name: string, learningRate: number, gradScale: number): AdamWHyper {
    const { beta1, beta2, epsilon, weightDecay } = this.o;
    const decay = weightDecay > 0 && this.o.decays(name) ? weightDecay : 0;
    return { learningRate: learningRate * (this.o.rateScale?.(name) ?? 1), beta1, beta2, epsilon, decay, gradScale };
  }

  /** The native tier: gradients read and parameters written where they lie on the wasm heap. */
  private applyInPlace(native: InPlaceUpdater, grads: Map<string, tf.Tensor>, learningRate: number): number {
    try {
      let squares = 0;
      for (const g of grads.values()) squares += native.sumSquares(g);
      const norm = Math.sqrt(squares);
      const scale = this.o.clipNorm / Math.max(norm, this.o.clipNorm);
      const rest = new Map<string, tf.Tensor>();
      for (const [name, g] of grads) {
        const h = this.hyper(name, learningRate, scale);
        if (!native.adamw(this.params.get(name)!, g, this.m.get(name)!, this.v.get(name)!, h)) rest.set(name, g);
      }
      for (const [name, g] of rest) this.update(name, g.dataSync() as Float32Array, this.hyper(name, learningRate, scale));
      return norm;
    } finally {
      for (const g of grads.values()) g.dispose();
    }
  }

  private applyInJs(grads: Map<string, tf.Tensor>, learningRate: number): number {
    const values = new Map<string, Float32Array>();
    let squares = 0;
    for (const [name, g] of grads) {
      const data = g.dataSync() as Float32Array;
      g.dispose();
      for (let i = 0; i < data.length; i++) squares += data[i] * data[i];
      values.set(name, data);
    }
    const norm = Math.sqrt(squares);
    const scale = this.o.clipNorm / Math.max(norm, this.o.clipNorm);
    for (const [name, g] of values) this.update(name, g, this.hyper(name, learningRate, scale));
    return norm;
  }

  /** One parameter's update in JS, written back as a new tensor. */
  private update(name: string, g: Float32Array, h: AdamWHyper): void {
    const p = this.params.get(name)!;
    const m = this.m.get(name)!;
    const v = this.v.get(name)!;
    const { beta1, beta2, epsilon, decay, learningRate: rate, gradScale } = h;
    const w = Float32Array.from(p.dataSync() as Float32Array);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] * gradScale;
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      w[i] -= rate * (m[i] / (Math.sqrt(v[i]) + epsilon) + decay * w[i]);
    }
    tf.tidy(() => p.assign(tf.tensor(w, p.shape)));
  }

  /** Moments for a resumable checkpoint: `m/<name>` and `v/<name>`. */
  exportState(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, data] of map) out.set(`${kind}/${name}`, { shape: this.params.get(name)!.shape.slice(), data });
    }
    return out;
  }

  importState(state: ReadonlyMap<string, NamedTensor>, file: string): void {
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, data] of map) {
        const saved = state.get(`${kind}/${name}`);
        if (!saved || saved.data.length !== data.length) {
          throw new UserError(`${file}: optimizer state for ${name} is missing or misshaped — delete the checkpoint's optimizer.safetensors to restart the optimizer`);
        }
        data.set(saved.data);
      }
    }
  }

  /** Nothing on the device to free; kept so callers release an optimizer the same way on every version. */
  dispose(): void {
    this.m.clear();
    this.v.clear();
  }
}

/**
 * google-research/electra's schedule (optimization.py): polynomial decay (power 1) of the peak to 0 over
 * `totalSteps`, times min(1, globalStep / warmupSteps), where `globalStep` counts the updates already applied —
 * so the first update (globalStep 0) has lr 0 when there is warmup, and the last has peak / totalSteps at most.
 */
export function learningRateAt(globalStep: number, peak: number, warmupSteps: number, totalSteps: number): number {
  const decayed = peak * Math.max(0, 1 - Math.min(globalStep, totalSteps) / Math.max(1, totalSteps));
  return warmupSteps > 0 ? decayed * Math.min(1, globalStep / warmupSteps) : decayed;
}
