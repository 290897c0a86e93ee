import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { ElectraModel } from '../model/electra';
import { DropoutSeeds } from '../model/layers';
import type { Batch } from './batch';
import { corruptWithSamples, type MaskedBatch } from './masking';
import type { Objective } from './objectives';
import { discriminatorPass, generatorPass, type GeneratorKept } from './passes';

export interface StepSettings {
  objective: Objective;
  generatorWeight: number;
  discriminatorWeight: number;
  temperature: number;
}

/** Everything a step produced, on the JS side (no tensors left alive). */
export interface StepOutcome {
  loss: number;
  mlmLoss: number;
  discLoss: number;
  masked: MaskedBatch;
  predictions: Int32Array;
  samples: Int32Array;
  sampleProbs: Float32Array;
  corruptedIds: Int32Array;
  replaced: Float32Array;
  /** Positions the discriminator loss counts (all real tokens, or the masked ones for electra-15). */
  discWeights: Float32Array;
  discLogits: Float32Array;
  gradNorm?: number;
}

type Grads = Map<string, tf.Tensor>;

/** Runs f under tf.variableGrads for `vars`, returning the loss, grads keyed by variable (not by tfjs name). */
function gradientsOf<K>(f: () => { loss: tf.Scalar; kept: K }, vars: tf.Variable[]): { loss: number; grads: Map<tf.Variable, tf.Tensor>; kept: K } {
  let kept!: K;
  const { value, grads } = tf.variableGrads(() => {
    const out = f();
    kept = out.kept;
    return out.loss;
  }, vars);
  const byVariable = new Map<tf.Variable, tf.Tensor>();
  for (const v of vars) {
    const g = grads[v.name];
    if (g) byVariable.set(v, g);
  }
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads: byVariable, kept };
}

function discWeightsFor(objective: Objective, batch: Batch, masked: MaskedBatch): Float32Array {
  if (objective.discriminatorPositions === 'all') return batch.attentionMask;
  const w = new Float32Array(batch.size * batch.length);
  for (let s = 0; s < masked.flatPositions.length; s++) if (masked.weights[s] > 0) w[masked.flatPositions[s]] = 1;
  return w;
}

function readGenerator(kept: GeneratorKept) {
  const out = {
    predictions: kept.predictions.dataSync() as Int32Array,
    samples: kept.samples.dataSync() as Int32Array,
    sampleProbs: kept.sampleProbs.dataSync() as Float32Array,
  };
  tf.dispose([kept.predictions, kept.samples, kept.sampleProbs]);
  return out;
}

/**
 * One ELECTRA step: generator MLM on the masked batch, sample replacements, discriminator RTD on the
 * corrupted batch; loss = w_gen·MLM + w_disc·RTD. With `train`, gradients of both passes are summed
 * per variable (shared embeddings get both) and handed to `applyGradients`.
 */
export function electraStep(
  model: ElectraModel,
  batch: Batch,
  masked: MaskedBatch,
  settings: StepSettings,
  seed: number,
  train?: { variableNames: Map<tf.Variable, string>; applyGradients: (grads: Grads) => number },
): StepOutcome {
  const seeds = train ? new DropoutSeeds(seed) : undefined;
  const samplingSeed = (seed * 2654435761) % 2147483647;
  const genOptions = { seeds, samplingSeed, temperature: settings.temperature };

  let mlmLoss: number;
  let genGrads = new Map<tf.Variable, tf.Tensor>();
  let genKept: GeneratorKept;
  if (train) {
    const r = gradientsOf(() => {
      const out = generatorPass(model, batch, masked, genOptions);
      return { loss: tf.mul(out.loss, settings.generatorWeight) as tf.Scalar, kept: out.kept };
    }, model.generatorVariables());
    mlmLoss = r.loss / settings.generatorWeight;
    genGrads = r.grads;
    genKept = r.kept;
  } else {
    let kept!: GeneratorKept;
    const loss = tf.tidy(() => {
      const out = generatorPass(model, batch, masked, genOptions);
      kept = out.kept;
      return out.loss;
    });
    mlmLoss = loss.dataSync()[0];
    loss.dispose();
    genKept = kept;
  }
  const gen = readGenerator(genKept);
  const { corruptedIds, replaced } = corruptWithSamples(masked, gen.samples, batch.size, batch.length);
  const discWeights = discWeightsFor(settings.objective, batch, masked);

  let discLoss: number;
  let discLogitsTensor: tf.Tensor2D;
  let gradNorm: number | undefined;
  if (train) {
    const r = gradientsOf(() => {
      const out = discriminatorPass(model, batch, corruptedIds, replaced, discWeights, seeds);
      return { loss: tf.mul(out.loss, settings.discriminatorWeight) as tf.Scalar, kept: out.kept };
    }, model.discriminatorVariables());
    discLoss = r.loss / settings.discriminatorWeight;
    discLogitsTensor = r.kept.logits;
    const summed: Grads = new Map();
    for (const [v, g] of genGrads) summed.set(train.variableNames.get(v)!, g);
    for (const [v, g] of r.grads) {
      const name = train.variableNames.get(v)!;
      const other = summed.get(name);
      if (other) {
        summed.set(name, tf.add(other, g));
        tf.dispose([other, g]);
      } else summed.set(name, g);
    }
    gradNorm = train.applyGradients(summed);
  } else {
    let kept!: { logits: tf.Tensor2D };
    const loss = tf.tidy(() => {
      const out = discriminatorPass(model, batch, corruptedIds, replaced, discWeights);
      kept = out.kept;
      return out.loss;
    });
    discLoss = loss.dataSync()[0];
    loss.dispose();
    discLogitsTensor = kept.logits;
  }
  const discLogits = discLogitsTensor.dataSync() as Float32Array;
  discLogitsTensor.dispose();
  return {
    loss: settings.generatorWeight * mlmLoss + settings.discriminatorWeight * discLoss,
    mlmLoss,
    discLoss,
    masked,
    ...gen,
    corruptedIds,
    replaced,
    discWeights,
    discLogits,
    gradNorm,
  };
}
