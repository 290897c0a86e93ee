import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { isDecayed } from '../src/engine/model/names';
import { Rng } from '../src/engine/data/rng';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { OBJECTIVE_NAMES, OBJECTIVES } from '../src/engine/pretrain/objectives';
import { AdamW } from '../src/engine/pretrain/optimizer';
import { pretrainingStep } from '../src/engine/pretrain/step';
import { stepForwardFlops, trainingStepFlops, type StepMode } from '../src/engine/pretrain/flops';
import { generatorConfig } from '../src/engine/model/config';
import { randomBatch, tinySpec } from './helpers';

/**
 * The independent count: every matrix-product kernel tfjs actually ran, read from tf.profile's kernel records.
 * For out = a·b (either side possibly transposed), the inner size is a's elements over its rows of `out`, so
 * the product cost is 2·|out|·k whatever the transpose flags were.
 */
function matmulFlopsOf(kernels: { name: string; inputShapes: number[][]; outputShapes: number[][] }[]): { flops: number; products: number } {
  let flops = 0, products = 0;
  for (const k of kernels) {
    if (k.name !== 'BatchMatMul' && k.name !== '_FusedMatMul') continue;
    const a = k.inputShapes[0], out = k.outputShapes[0];
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const m = out[out.length - 2];
    const inner = size(a) / (size(a.slice(0, -2)) * m);
    flops += 2 * size(out) * inner;
    products += 1;
  }
  return { flops, products };
}

function specFor(name: (typeof OBJECTIVE_NAMES)[number]) {
  const base = tinySpec(300, 'tied');
  const objective = OBJECTIVES[name];
  return { ...base, mainHead: objective.mainHead, generator: objective.usesGenerator ? base.generator : undefined, embeddingSharing: objective.usesGenerator ? base.embeddingSharing : 'none' as const };
}

test('the FLOP formula matches the matrix products tfjs runs, forward and forward + backward, for every objective', async () => {
  // cpu: every product is a stock BatchMatMul kernel (the wasm tier's fused linear layers have their own names).
  await initBackend('cpu');
  const batch = randomBatch(3, 3, 24, 300);
  for (const name of OBJECTIVE_NAMES) {
    const objective = OBJECTIVES[name];
    const spec = specFor(name);
    const model = ElectraModel.initialise(spec, 5);
    const masked = maskBatch(batch, new Rng(9), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, batch.length), maskId: 4, isSpecial: (id) => id < 5 });
    const settings = { objective, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };
    const shape = { batch: batch.size, length: batch.length, slots: masked.slots };

    const forward = await tf.profile(() => { pretrainingStep(model, batch, masked, settings, 1); return undefined as unknown as tf.Tensor; });
    const counted = matmulFlopsOf(forward.kernels);
    const formula = stepForwardFlops(objective, spec.discriminator, spec.generator, shape);
    const fwd = formula.generator + formula.main;
    assert.ok(counted.products > 0, `${name}: no products seen`);
    assert.ok(Math.abs(counted.flops - fwd) / fwd < 0.02, `${name} forward: counted ${counted.flops}, formula ${fwd}`);

    const named = model.namedVariables();
    const optimizer = new AdamW(named, { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => isDecayed(n.slice(n.indexOf('/') + 1)) });
    const variableNames = new Map([...named].map(([n, v]) => [v, n]));
    const training = await tf.profile(() => {
      pretrainingStep(model, batch, masked, settings, 1, { variableNames, applyGradients: (g) => optimizer.apply(g, 1e-3) });
      return undefined as unknown as tf.Tensor;
    });
    const trained = matmulFlopsOf(training.kernels).flops;
    const expected = trainingStepFlops(objective, spec.discriminator, spec.generator, shape);
    assert.ok(Math.abs(trained - expected) / expected < 0.03, `${name} training: counted ${trained}, formula ${expected} (ratio ${(trained / expected).toFixed(4)})`);
    optimizer.dispose();
    model.dispose();
  }
});

test('the formula matches the kernels for two-stage training\'s two phases and the adversarial generator\'s update', async () => {
  await initBackend('cpu');
  const batch = randomBatch(4, 3, 24, 300);
  const base = tinySpec(300, 'none');
  const spec = { ...base, generator: generatorConfig(base.discriminator, 1, 1) };
  const objective = OBJECTIVES.electra;
  const masked = maskBatch(batch, new Rng(2), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, batch.length), maskId: 4, isSpecial: (id) => id < 5 });
  const shape = { batch: batch.size, length: batch.length, slots: masked.slots };
  const modes: StepMode[] = [{ phase: 'generator' }, { phase: 'discriminator' }, { generatorUpdate: 'adversarial' }];
  for (const mode of modes) {
    const model = ElectraModel.initialise(spec, 5);
    const named = model.namedVariables();
    const optimizer = new AdamW(named, { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => isDecayed(n.slice(n.indexOf('/') + 1)) });
    const variableNames = new Map([...named].map(([n, v]) => [v, n]));
    const settings = { objective, generatorWeight: 1, discriminatorWeight: 50, temperature: 1, ...mode };
    const profile = await tf.profile(() => {
      pretrainingStep(model, batch, masked, settings, 1, { variableNames, applyGradients: (g) => optimizer.apply(g, 1e-3) });
      return undefined as unknown as tf.Tensor;
    });
    const counted = matmulFlopsOf(profile.kernels).flops;
    const expected = trainingStepFlops(objective, spec.discriminator, spec.generator, shape, mode);
    assert.ok(Math.abs(counted - expected) / expected < 0.03, `${JSON.stringify(mode)}: counted ${counted}, formula ${expected}`);
    optimizer.dispose();
    model.dispose();
  }
});

test('mlm has no generator term; ELECTRA\'s generator is the smaller share of its compute at width 1/4', () => {
  const spec = tinySpec(300);
  const shape = { batch: 8, length: 128, slots: 19 };
  assert.equal(stepForwardFlops(OBJECTIVES.mlm, spec.discriminator, spec.generator, shape).generator, 0);
  const electra = stepForwardFlops(OBJECTIVES.electra, spec.discriminator, spec.generator, shape);
  assert.ok(electra.generator > 0 && electra.generator < electra.main);
});
