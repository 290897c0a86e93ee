import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import type { NamedTensor } from '../checkpoint/safetensors';
import type { ElectraConfig } from '../model/config';
import type { DropoutSeeds } from '../model/layers';
import { ElectraNetwork } from '../model/network';
import { parameterShapes } from '../model/names';
import type { Batch } from '../pretrain/batch';
import { encoderInputs } from '../pretrain/passes';
import { CLASSIFIER_DENSE, classifierLogits, classifierShapes } from './head';
import type { ClassifierHeadKind } from './options';

/** The encoder's tensors in an ElectraForPreTraining state dict: everything but the pretraining head. */
export function encoderShapes(config: ElectraConfig): Map<string, number[]> {
  return new Map([...parameterShapes(config, 'discriminator')].filter(([name]) => name.startsWith('electra.')));
}

/**
 * ElectraForSequenceClassification: the ELECTRA encoder with a classification (or, with one label, regression)
 * head. Variables are keyed by HF state-dict name, so saving is a straight export.
 */
export class SequenceClassifier {
  readonly network: ElectraNetwork;
  private readonly dropoutRate: number;

  private constructor(
    readonly config: ElectraConfig, readonly numLabels: number, readonly params: Map<string, tf.Variable>,
    classifierDropout: number | undefined, readonly head: ClassifierHeadKind,
  ) {
    this.network = new ElectraNetwork(config, 'discriminator', (name) => params.get(name)!);
    this.dropoutRate = classifierDropout ?? config.hidden_dropout_prob;
  }

  /** A fresh head (normal(0, initializer_range) weights as HF's _init_weights, zero biases) on the given encoder tensors. */
  static fromEncoder(
    config: ElectraConfig, encoder: ReadonlyMap<string, NamedTensor>, numLabels: number, seed: number, file: string,
    head: ClassifierHeadKind = 'hf',
  ): SequenceClassifier {
    const params = new Map<string, tf.Variable>();
    for (const [name, shape] of encoderShapes(config)) params.set(name, variableFrom(encoder, name, shape, file));
    let counter = 0;
    for (const [name, shape] of classifierShapes(config.hidden_size, numLabels, head)) {
      counter += 1;
      params.set(name, tf.tidy(() => tf.variable(name.endsWith('.bias') ? tf.zeros(shape) : tf.truncatedNormal(shape, 0, config.initializer_range, 'float32', seed * 31 + counter), true)));
    }
    return new SequenceClassifier(config, numLabels, params, undefined, head);
  }

  /** A saved ElectraForSequenceClassification (encoder and head). */
  static fromTensors(config: ElectraConfig, tensors: ReadonlyMap<string, NamedTensor>, numLabels: number, file: string, classifierDropout?: number): SequenceClassifier {
    const params = new Map<string, tf.Variable>();
    // A file without classifier.dense holds google-research/electra's one-layer head (--head dense).
    const head: ClassifierHeadKind = tensors.has(`${CLASSIFIER_DENSE}.weight`) ? 'hf' : 'dense';
    for (const [name, shape] of [...encoderShapes(config), ...classifierShapes(config.hidden_size, numLabels, head)]) params.set(name, variableFrom(tensors, name, shape, file));
    return new SequenceClassifier(config, numLabels, params, classifierDropout, head);
  }

  /** [batch, num_labels] logits; `seeds` turns dropout on (training). */
  logits(batch: Batch, seeds?: DropoutSeeds): tf.Tensor2D {
    const hidden = this.network.encode(encoderInputs(batch, batch.inputIds), seeds);
    return classifierLogits(hidden, (name) => this.params.get(name)!, this.dropoutRate, this.head, seeds);
  }

  exportTensors(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, v] of this.params) out.set(name, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

function variableFrom(tensors: ReadonlyMap<string, NamedTensor>, name: string, shape: number[], file: string): tf.Variable {
  const t = tensors.get(name);
  if (!t) throw new UserError(`${file}: tensor "${name}" is missing — the file is not a complete ELECTRA model for its config.json`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new UserError(`${file}: ${name} has shape [${t.shape}] but config.json says [${shape}] — the checkpoint and its config.json do not belong together`);
  }
  return tf.variable(tf.tensor(t.data, shape), true);
}

/**
 * google-research/electra's layer-wise learning rates: depth 0 for the embeddings (and embeddings_project),
 * i + 1 for encoder layer i, n + 2 for the task head; a parameter trains at lr · decay^(n + 2 − depth), so
 * the head gets the full rate and lower layers, which pretraining shaped most usefully, move least.
 */
export function layerRateScale(name: string, layers: number, decay: number): number {
  const m = /^electra\.encoder\.layer\.(\d+)\./.exec(name);
  const depth = m ? Number(m[1]) + 1 : name.startsWith('electra.') ? 0 : layers + 2;
  return decay ** (layers + 2 - depth);
}
