import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import type { NamedTensor } from '../checkpoint/safetensors';
import type { ElectraConfig, EmbeddingSharing } from './config';
import { ElectraNetwork } from './network';
import { EMBEDDING_LAYER_NORM, parameterShapes, SHARED_EMBEDDINGS, WORD_EMBEDDINGS, type HeadKind } from './names';

/** The trainable tensors of one side, keyed by HF state-dict name. */
export type ParameterMap = Map<string, tf.Variable>;

export interface ElectraModelSpec {
  /** The main network: the one pretraining keeps (a discriminator, or an MLM for the ablations). */
  discriminator: ElectraConfig;
  /** Its head(s); `discriminator` unless an ablation objective asks for an MLM head. */
  mainHead?: HeadKind;
  /** Absent when only a discriminator was loaded (e.g. a Hugging Face discriminator folder). */
  generator?: ElectraConfig;
  embeddingSharing: EmbeddingSharing;
  /** Adversarial ELECTRA's learned baseline (appendix F): a vector and a bias on the generator's hidden state, kept
   *  with the generator's tensors under ADVERSARIAL_BASELINE names. */
  adversarialBaseline?: boolean;
  /** Under `tied`, whether the embedding LayerNorm is shared too (the reference's rule, the default); false for
   *  checkpoints written before it was, whose two LayerNorms trained apart. */
  tiedLayerNorm?: boolean;
}

/** Not Hugging Face names (transformers ignores them): our own tensors in generator.safetensors. */
export const ADVERSARIAL_BASELINE = { weight: 'electra_lab.adversarial_baseline.weight', bias: 'electra_lab.adversarial_baseline.bias' } as const;

const sameEncoder = (a: ElectraConfig, b: ElectraConfig) => a.hidden_size === b.hidden_size && a.num_hidden_layers === b.num_hidden_layers
  && a.num_attention_heads === b.num_attention_heads && a.intermediate_size === b.intermediate_size && a.embedding_size === b.embedding_size;

const shapeOf = (c: ElectraConfig) => `hidden ${c.hidden_size}, ${c.num_attention_heads} heads, FFN ${c.intermediate_size}, ${c.num_hidden_layers} layers`;

const isShared = (name: string) => (SHARED_EMBEDDINGS as readonly string[]).includes(name);

/** google-research/electra makes these with tf.layers.dense and no kernel_initializer (modeling.py's
 *  embeddings_project, run_pretraining.py's one-unit discriminator output), so they start Glorot-uniform:
 *  U(±√(6 / (fan_in + fan_out))). */
export const GLOROT_UNIFORM = ['electra.embeddings_project.weight', 'discriminator_predictions.dense_prediction.weight'];

/** The names one variable serves both networks under `tied`. */
export function tiedNames(spec: ElectraModelSpec): string[] {
  if (spec.generator && spec.embeddingSharing === 'all') {
    // Every encoder tensor (embeddings, projection, layers); the heads stay each network's own.
    return [...parameterShapes(spec.generator, 'generator').keys()].filter((name) => name.startsWith('electra.'));
  }
  if (!spec.generator || spec.embeddingSharing !== 'tied') return [];
  return [...SHARED_EMBEDDINGS, ...(spec.tiedLayerNorm === false ? [] : EMBEDDING_LAYER_NORM)];
}

/**
 * The generator + discriminator pair and how they share embeddings:
 * - `tied`: one variable each for the token, position and type tables and the embedding LayerNorm (the whole
 *   electra/embeddings scope, as google-research/electra shares it);
 * - `none`: each has its own;
 * - `gdes` (DeBERTa-v3): the discriminator's table = generator table (no gradient) + its own delta, zero at start;
 * - `all`: one encoder for both (embeddings and every layer), each network keeping its head — the paper's
 *   "tie all encoder weights" (§3.2), possible only with a generator the discriminator's size.
 */
export class ElectraModel {
  readonly discriminator: ElectraNetwork;
  readonly generator?: ElectraNetwork;

  private constructor(
    readonly spec: ElectraModelSpec,
    readonly discParams: ParameterMap,
    readonly genParams: ParameterMap,
    readonly gdesDeltas: ParameterMap,
  ) {
    const discSource = (name: string): tf.Tensor => {
      const delta = gdesDeltas.get(name);
      if (delta) return tf.add(genParams.get(name)!, delta);
      return discParams.get(name)!;
    };
    this.discriminator = new ElectraNetwork(spec.discriminator, spec.mainHead ?? 'discriminator', discSource);
    if (spec.generator) this.generator = new ElectraNetwork(spec.generator, 'generator', (name) => genParams.get(name)!);
  }

  /** Random initialisation as google-research/electra: truncated normal(0.02) weights — except the two layers
   *  it builds with tf.layers.dense's default kernel initialiser, Glorot-uniform (see GLOROT_UNIFORM) — zero
   *  biases, unit LayerNorm gains, and a zero [PAD] embedding row as HF's padding_idx gives. */
  static initialise(spec: ElectraModelSpec, seed: number): ElectraModel {
    let counter = 0;
    const make = (name: string, shape: number[], config: ElectraConfig) => {
      counter += 1;
      return tf.tidy(() => {
        let value: tf.Tensor;
        const opSeed = seed * 7919 + counter;
        if (name.endsWith('.bias')) value = tf.zeros(shape);
        else if (name.includes('LayerNorm')) value = tf.ones(shape);
        else if (GLOROT_UNIFORM.includes(name)) {
          const limit = Math.sqrt(6 / (shape[0] + shape[1]));
          value = tf.randomUniform(shape, -limit, limit, 'float32', opSeed);
        } else value = tf.truncatedNormal(shape, 0, config.initializer_range, 'float32', opSeed);
        if (name === WORD_EMBEDDINGS) {
          const keep = tf.reshape(tf.oneHot([config.pad_token_id], shape[0]), [shape[0], 1]);
          value = tf.mul(value, tf.sub(1, keep));
        }
        return tf.variable(value, true);
      });
    };
    return ElectraModel.build(spec, (side, name, shape) => make(name, shape, spec[side === 'discriminator' ? 'discriminator' : 'generator']!));
  }

  /** Builds a model from HF-named tensors (a checkpoint). Missing or misshaped tensors are a UserError naming `files`. */
  static fromTensors(
    spec: ElectraModelSpec,
    disc: ReadonlyMap<string, NamedTensor>,
    gen: ReadonlyMap<string, NamedTensor> | undefined,
    files: { discriminator: string; generator: string },
  ): ElectraModel {
    const take = (side: HeadKind, name: string, shape: number[]): tf.Variable => {
      const source = side === 'discriminator' ? disc : gen;
      const file = side === 'discriminator' ? files.discriminator : files.generator;
      const t = source?.get(name);
      if (!t) throw new UserError(`${file}: tensor "${name}" is missing — the file is not a complete ELECTRA ${side} for this config.json`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new UserError(`${file}: ${name} has shape [${t.shape}] but config.json says [${shape}] — the checkpoint and its config.json do not belong together`);
      }
      return tf.variable(tf.tensor(t.data, shape), true);
    };
    const model = ElectraModel.build(spec, take, (name, shape) => {
      // gdes: the saved discriminator table is generator + delta, so delta = saved − generator.
      const sum = take('discriminator', name, shape);
      const genTable = take('generator', name, shape);
      const delta = tf.variable(tf.sub(sum, genTable), true);
      sum.dispose();
      genTable.dispose();
      return delta;
    });
    return model;
  }

  private static build(
    spec: ElectraModelSpec,
    create: (side: HeadKind, name: string, shape: number[]) => tf.Variable,
    createDelta?: (name: string, shape: number[]) => tf.Variable,
  ): ElectraModel {
    const discParams: ParameterMap = new Map();
    const genParams: ParameterMap = new Map();
    const deltas: ParameterMap = new Map();
    const sharing = spec.generator ? spec.embeddingSharing : 'none';
    if (spec.generator && sharing !== 'none' && spec.generator.embedding_size !== spec.discriminator.embedding_size) {
      throw new UserError(`embedding sharing "${sharing}" needs equal embedding sizes (generator ${spec.generator.embedding_size}, discriminator ${spec.discriminator.embedding_size}) — use --embedding-sharing none`);
    }
    if (spec.generator && sharing === 'all' && !sameEncoder(spec.generator, spec.discriminator)) {
      throw new UserError(`sharing "all" ties the whole encoder, so the generator must be the discriminator's size (generator ${shapeOf(spec.generator)}; discriminator ${shapeOf(spec.discriminator)}) — use --gen-width 1 --gen-depth 1`);
    }
    if (spec.generator) {
      for (const [name, shape] of parameterShapes(spec.generator, 'generator')) genParams.set(name, create('generator', name, shape));
      if (spec.adversarialBaseline) {
        genParams.set(ADVERSARIAL_BASELINE.weight, create('generator', ADVERSARIAL_BASELINE.weight, [spec.generator.hidden_size, 1]));
        genParams.set(ADVERSARIAL_BASELINE.bias, create('generator', ADVERSARIAL_BASELINE.bias, [1]));
      }
    }
    const tied = new Set(tiedNames(spec));
    for (const [name, shape] of parameterShapes(spec.discriminator, spec.mainHead ?? 'discriminator')) {
      if (tied.has(name)) discParams.set(name, genParams.get(name)!);
      else if (sharing === 'gdes' && isShared(name)) {
        deltas.set(name, createDelta ? createDelta(name, shape) : tf.variable(tf.zeros(shape), true));
      } else discParams.set(name, create('discriminator', name, shape));
    }
    return new ElectraModel(spec, discParams, genParams, deltas);
  }

  /**
   * Two-stage training's switch: every encoder tensor of the generator copied into the discriminator's own (the
   * heads stay). Needs equal sizes and no sharing (options.ts refuses other runs). Returns the tensors copied.
   */
  initialiseDiscriminatorFromGenerator(): number {
    if (!this.spec.generator || !sameEncoder(this.spec.generator, this.spec.discriminator) || this.spec.embeddingSharing !== 'none') {
      throw new UserError('two-stage training needs a generator the discriminator\'s size and --embedding-sharing none');
    }
    let copied = 0;
    for (const [name, source] of this.genParams) {
      const target = this.discParams.get(name);
      if (!name.startsWith('electra.') || !target) continue;
      // A fresh buffer, not the generator's: the native optimizer tier updates a variable's memory in place, and
      // the frozen generator must not move with the discriminator.
      const copy = tf.tensor(source.dataSync() as Float32Array, source.shape);
      target.assign(copy);
      copy.dispose();
      copied += 1;
    }
    return copied;
  }

  /** Variables the generator's loss trains. */
  generatorVariables(): tf.Variable[] {
    return [...new Set(this.genParams.values())];
  }

  /** Variables the discriminator's loss trains: under `tied` this includes the shared tables (their
   *  gradients add up); under `gdes` the deltas instead of the generator's tables (the stop-gradient). */
  discriminatorVariables(): tf.Variable[] {
    return [...new Set([...this.discParams.values(), ...this.gdesDeltas.values()])];
  }

  /** Every variable once, with a stable name for optimizer state: `discriminator/…`, `generator/…`, `gdes_delta/…`. */
  namedVariables(): Map<string, tf.Variable> {
    const named = new Map<string, tf.Variable>();
    const seen = new Set<tf.Variable>();
    const add = (prefix: string, params: ParameterMap) => {
      for (const [name, v] of params) {
        if (seen.has(v)) continue;
        seen.add(v);
        named.set(`${prefix}/${name}`, v);
      }
    };
    add('generator', this.genParams);
    add('discriminator', this.discParams);
    add('gdes_delta', this.gdesDeltas);
    return named;
  }

  /** HF-named tensors for model.safetensors (discriminator) and generator.safetensors. */
  exportTensors(): { discriminator: Map<string, NamedTensor>; generator?: Map<string, NamedTensor> } {
    const read = (t: tf.Tensor): NamedTensor => ({ shape: t.shape.slice(), data: t.dataSync() as Float32Array });
    const discriminator = new Map<string, NamedTensor>();
    for (const name of parameterShapes(this.spec.discriminator, this.spec.mainHead ?? 'discriminator').keys()) {
      const delta = this.gdesDeltas.get(name);
      if (delta) {
        const sum = tf.add(this.genParams.get(name)!, delta);
        discriminator.set(name, read(sum));
        sum.dispose();
      }
      else discriminator.set(name, read(this.discParams.get(name)!));
    }
    if (!this.spec.generator) return { discriminator };
    const generator = new Map<string, NamedTensor>();
    for (const [name, v] of this.genParams) generator.set(name, read(v));
    return { discriminator, generator };
  }

  dispose(): void {
    for (const v of this.namedVariables().values()) v.dispose();
  }
}
