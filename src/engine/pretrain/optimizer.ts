import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../checkpoint/safetensors';
import { UserError } from '../errors';

export interface AdamWOptions {
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Global gradient-norm clip (1.0 in google-research/electra). */
  clipNorm: number;
  /** Which parameters get weight decay (not LayerNorm or biases). */
  decays: (name: string) => boolean;
}

/**
 * google-research/electra's AdamWeightDecayOptimizer: Adam WITHOUT bias correction (reproductions found
 * this matters), decoupled weight decay, after clipping the global gradient norm.
 */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: ReadonlyMap<string, tf.Variable>, private readonly o: AdamWOptions) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update; returns the gradient norm before clipping. Disposes `grads`. */
  apply(grads: Map<string, tf.Tensor>, learningRate: number): number {
    const norm = tf.tidy(() => {
      const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      return tf.sqrt(tf.addN(squares)).dataSync()[0];
    });
    const scale = this.o.clipNorm / Math.max(norm, this.o.clipNorm);
    const { beta1, beta2, epsilon, weightDecay } = this.o;
    for (const [name, g] of grads) {
      const p = this.params.get(name)!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const clipped = tf.mul(g, scale);
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(clipped, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(clipped), 1 - beta2));
        let update = tf.div(m1, tf.add(tf.sqrt(v1), epsilon));
        if (weightDecay > 0 && this.o.decays(name)) update = tf.add(update, tf.mul(p, weightDecay));
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(p, tf.mul(update, learningRate)));
      });
      g.dispose();
    }
    return norm;
  }

  /** Moments for a resumable checkpoint: `m/<name>` and `v/<name>`. */
  exportState(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of map) out.set(`${kind}/${name}`, { shape: t.shape.slice(), data: t.dataSync() as Float32Array });
    }
    return out;
  }

  importState(state: ReadonlyMap<string, NamedTensor>, file: string): void {
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of map) {
        const saved = state.get(`${kind}/${name}`);
        if (!saved || saved.data.length !== t.size) {
          throw new UserError(`${file}: optimizer state for ${name} is missing or misshaped — delete the checkpoint's optimizer.safetensors to restart the optimizer`);
        }
        tf.tidy(() => t.assign(tf.tensor(saved.data, t.shape)));
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Linear warmup to the peak, then linear decay to 0 at the last step (google-research/electra, power 1). */
export function learningRateAt(step: number, peak: number, warmupSteps: number, totalSteps: number): number {
  const decayed = peak * Math.max(0, 1 - step / Math.max(1, totalSteps));
  return warmupSteps > 0 ? decayed * Math.min(1, step / warmupSteps) : decayed;
}
