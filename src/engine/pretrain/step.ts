import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { ADVERSARIAL_BASELINE, type ElectraModel } from '../model/electra';
import { DropoutSeeds } from '../model/layers';
import type { Batch } from './batch';
import { corruptWithSamples, type MaskedBatch } from './masking';
import type { Objective } from './objectives';
import { allTokensPass, discriminatorPass, generatorPass, mainMaskedLmPass, policyGradientPass, type BaselineTarget, type GeneratorKept } from './passes';

export interface StepSettings {
  objective: Objective;
  generatorWeight: number;
  discriminatorWeight: number;
  temperature: number;
  /** Which networks the step trains: both (ELECTRA), or one of them (two-stage training: the generator alone, then
   *  the discriminator with the generator frozen, still sampling). Default `joint`. */
  phase?: TrainingPhase;
  /** How the generator learns: masked-LM likelihood (ELECTRA), or by policy gradient to fool the discriminator
   *  (Adversarial ELECTRA, the paper's appendix F). Default `mlm`. */
  generatorUpdate?: 'mlm' | 'adversarial';
}

export type TrainingPhase = 'joint' | 'generator' | 'discriminator';

/** Everything a step produced, on the JS side (no tensors left alive). */
export interface StepOutcome {
  loss: number;
  /** The generator's masked-LM loss (0 without a generator). */
  mlmLoss: number;
  /** The main model's loss: RTD for ELECTRA, MLM for the MLM ablations. */
  mainLoss: number;
  masked: MaskedBatch;
  /** Generator's argmax, samples and sample probabilities per slot (absent without a generator). */
  generator?: { predictions: Int32Array; samples: Int32Array; sampleProbs: Float32Array };
  /** The main model's input: the masked ids (BERT) or the generator-corrupted ids. */
  mainInputIds: Int32Array;
  replaced: Float32Array;
  /** Replaced/original scores with their positions: the discriminator's, or All-Tokens MLM's copy gate. */
  rtd?: { logits: Float32Array; weights: Float32Array };
  /** An MLM main model's argmax: per slot (masked objectives) or per position (All-Tokens MLM). */
  mainPredictions?: Int32Array;
  gradNorm?: number;
}

type Grads = Map<string, tf.Tensor>;
export interface Training {
  variableNames: Map<tf.Variable, string>;
  applyGradients: (grads: Grads) => number;
}

/** A pass: a scalar loss to differentiate, and tensors the step reads afterwards. */
type Pass<K> = () => { loss: tf.Scalar; kept: K };

/** Runs a pass with gradients for `vars` (training) or without (evaluation). Returns the loss as a number. */
function run<K>(pass: Pass<K>, vars: tf.Variable[], weight: number, train: boolean): { loss: number; grads: Map<tf.Variable, tf.Tensor>; kept: K } {
  let kept!: K;
  const f = () => {
    const out = pass();
    kept = out.kept;
    return tf.mul(out.loss, weight) as tf.Scalar;
  };
  const grads = new Map<tf.Variable, tf.Tensor>();
  let value: tf.Scalar;
  if (train) {
    const r = tf.variableGrads(f, vars);
    value = r.value;
    for (const v of vars) if (r.grads[v.name]) grads.set(v, r.grads[v.name]);
  } else {
    value = tf.tidy(f);
  }
  const loss = value.dataSync()[0] / (weight || 1);
  value.dispose();
  return { loss, grads, kept };
}

function read<T extends Record<string, tf.Tensor>>(kept: T): { [K in keyof T]: Int32Array | Float32Array } {
  const out = {} as { [K in keyof T]: Int32Array | Float32Array };
  for (const key of Object.keys(kept) as (keyof T)[]) {
    out[key] = kept[key].dataSync() as Int32Array | Float32Array;
    kept[key].dispose();
  }
  return out;
}

/** The slots whose sample was placed: used ones whose position no earlier slot filled (corruptWithSamples's rule). */
function placedSlots(masked: MaskedBatch): number[] {
  const placed = new Set<number>();
  const used: number[] = [];
  for (let s = 0; s < masked.weights.length; s++) {
    if (masked.weights[s] === 0 || placed.has(masked.flatPositions[s])) continue;
    placed.add(masked.flatPositions[s]);
    used.push(s);
  }
  return used;
}

/**
 * Adversarial ELECTRA's advantage per prediction slot: the reward — the discriminator's loss at the slot's position,
 * high when the sample fooled it — minus a baseline: the learned one per slot when given (the paper's), else the
 * batch's mean reward. Unused slots, and a slot whose position an earlier slot already filled (its sample was not
 * placed), get 0.
 */
export function sampleAdvantages(masked: MaskedBatch, perTokenLoss: Float32Array, baseline?: Float32Array): Float32Array {
  const advantages = new Float32Array(masked.weights.length);
  const used = placedSlots(masked);
  const mean = used.reduce((sum, s) => sum + perTokenLoss[masked.flatPositions[s]], 0) / Math.max(1, used.length);
  for (const s of used) advantages[s] = perTokenLoss[masked.flatPositions[s]] - (baseline ? baseline[s] : mean);
  return advantages;
}

/** The paper's learned baseline per slot, b = −log σ(wᵀh + c) = softplus(−(wᵀh + c)), from the sampling pass's rows. */
function learnedBaseline(model: ElectraModel, rows: Float32Array): Float32Array {
  const w = model.genParams.get(ADVERSARIAL_BASELINE.weight)!.dataSync(), c = model.genParams.get(ADVERSARIAL_BASELINE.bias)!.dataSync()[0];
  const H = w.length, slots = rows.length / H;
  const out = new Float32Array(slots);
  for (let s = 0; s < slots; s++) {
    let z = c;
    for (let i = 0; i < H; i++) z += rows[s * H + i] * w[i];
    out[s] = Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return out;
}

function baselineTarget(masked: MaskedBatch, perTokenLoss: Float32Array, rows: Float32Array): BaselineTarget {
  const rewards = new Float32Array(masked.weights.length), used = new Float32Array(masked.weights.length);
  for (const s of placedSlots(masked)) {
    rewards[s] = perTokenLoss[masked.flatPositions[s]];
    used[s] = 1;
  }
  return { rows, rewards, used };
}

function maskedPositions(batch: Batch, masked: MaskedBatch): Float32Array {
  const w = new Float32Array(batch.size * batch.length);
  for (let s = 0; s < masked.flatPositions.length; s++) if (masked.weights[s] > 0) w[masked.flatPositions[s]] = 1;
  return w;
}

/**
 * One pretraining step of any objective. With a generator: its MLM pass on the masked batch draws
 * the samples that corrupt the main model's input. Then the main model's pass (RTD or an MLM
 * variant). loss = w_gen·MLM + w_main·main. When training, the two passes' gradients are summed per
 * variable (shared embeddings get both) and handed to `applyGradients`.
 */
export function pretrainingStep(model: ElectraModel, batch: Batch, masked: MaskedBatch, settings: StepSettings, seed: number, train?: Training): StepOutcome {
  const seeds = train ? new DropoutSeeds(seed) : undefined;
  const objective = settings.objective;
  const summed: Grads = new Map();
  const collect = (grads: Map<tf.Variable, tf.Tensor>) => {
    for (const [v, g] of grads) {
      const name = train!.variableNames.get(v)!;
      const other = summed.get(name);
      summed.set(name, other ? tf.add(other, g) : g);
      if (other) tf.dispose([other, g]);
    }
  };

  const phase = settings.phase ?? 'joint';
  const trainGenerator = !!train && phase !== 'discriminator';
  const trainMain = !!train && phase !== 'generator';
  const adversarial = trainGenerator && settings.generatorUpdate === 'adversarial' && objective.usesGenerator;
  // The adversarial generator is updated after the discriminator has scored its samples, by a second pass that must
  // see the same dropout masks as the sampling pass: both draw from their own seeds, replayed.
  const generatorSeeds = () => (adversarial ? new DropoutSeeds((seed * 40503 + 17) % 2147483647) : seeds);

  let mlmLoss = 0;
  let baselineRows: Float32Array | undefined;
  let generator: StepOutcome['generator'];
  let mainInputIds: Int32Array = masked.maskedIds;
  let replaced: Float32Array = new Float32Array(batch.size * batch.length);
  if (objective.usesGenerator) {
    const samplingSeed = (seed * 2654435761) % 2147483647;
    const keepRows = adversarial && model.spec.adversarialBaseline === true;
    const g = run<GeneratorKept>(() => generatorPass(model, batch, masked, { seeds: generatorSeeds(), samplingSeed, temperature: settings.temperature, keepRows }),
      model.generatorVariables(), settings.generatorWeight, trainGenerator && !adversarial);
    mlmLoss = g.loss;
    if (train) collect(g.grads);
    const { rows, ...kept } = read(g.kept);
    baselineRows = rows as Float32Array | undefined;
    generator = kept as StepOutcome['generator'];
    ({ corruptedIds: mainInputIds, replaced } = corruptWithSamples(masked, generator!.samples, batch.size, batch.length));
  }

  const mainVars = model.discriminatorVariables();
  // The 50× weight balances RTD's easy binary loss against MLM; the MLM ablations weigh their main loss 1×.
  const w = objective.main.startsWith('rtd') ? settings.discriminatorWeight : 1;
  let mainLoss = 0;
  let rtd: StepOutcome['rtd'];
  let mainPredictions: Int32Array | undefined;
  if (phase === 'generator') {
    // Two-stage training's first stage: the main network neither trains nor runs.
  } else if (objective.main === 'rtd-all' || objective.main === 'rtd-masked') {
    const weights = objective.main === 'rtd-all' ? batch.attentionMask : maskedPositions(batch, masked);
    const m = run(() => discriminatorPass(model, batch, mainInputIds, replaced, weights, seeds), mainVars, w, trainMain);
    mainLoss = m.loss;
    if (train) collect(m.grads);
    const kept = read(m.kept);
    rtd = { logits: kept.logits as Float32Array, weights };
    if (adversarial) {
      const perToken = kept.perToken as Float32Array;
      const baseline = baselineRows ? learnedBaseline(model, baselineRows) : undefined;
      const advantages = sampleAdvantages(masked, perToken, baseline);
      const target = baselineRows ? baselineTarget(masked, perToken, baselineRows) : undefined;
      const pg = run(() => policyGradientPass(model, batch, masked, generator!.samples, advantages, { seeds: generatorSeeds(), temperature: settings.temperature, baseline: target }),
        model.generatorVariables(), settings.generatorWeight, true);
      collect(pg.grads);
    }
  } else if (objective.main === 'mlm-masked') {
    const m = run(() => mainMaskedLmPass(model, batch, mainInputIds, masked, seeds), mainVars, w, trainMain);
    mainLoss = m.loss;
    if (train) collect(m.grads);
    mainPredictions = read(m.kept).predictions as Int32Array;
  } else {
    const m = run(() => allTokensPass(model, batch, mainInputIds, batch.inputIds, seeds), mainVars, w, trainMain);
    mainLoss = m.loss;
    if (train) collect(m.grads);
    const kept = read(m.kept);
    mainPredictions = kept.predictions as Int32Array;
    rtd = { logits: kept.replacedLogits as Float32Array, weights: batch.attentionMask };
  }
  const gradNorm = train ? train.applyGradients(summed) : undefined;
  return {
    loss: (objective.usesGenerator ? settings.generatorWeight * mlmLoss : 0) + w * mainLoss,
    mlmLoss, mainLoss, masked, generator, mainInputIds, replaced, rtd, mainPredictions, gradNorm,
  };
}
