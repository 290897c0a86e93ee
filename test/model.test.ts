import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { parameterCount, presetConfig, generatorConfig } from '../src/engine/model/config';
import { parameterShapes } from '../src/engine/model/names';
import { isDecayed } from '../src/engine/model/names';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { pretrainingStep } from '../src/engine/pretrain/step';
import { OBJECTIVES } from '../src/engine/pretrain/objectives';
import { AdamW } from '../src/engine/pretrain/optimizer';
import { encoderInputs } from '../src/engine/pretrain/passes';
import { Rng } from '../src/engine/data/rng';
import { randomBatch, tinySpec } from './helpers';
import type { Batch } from '../src/engine/pretrain/batch';

const SETTINGS = { objective: OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };

function discLogits(model: ElectraModel, batch: Batch): Float32Array {
  return tf.tidy(() => model.discriminator.discriminatorLogits(model.discriminator.encode(encoderInputs(batch, batch.inputIds)))).dataSync() as Float32Array;
}

function trainer(model: ElectraModel, weightDecay = 0.01) {
  const named = model.namedVariables();
  const variableNames = new Map([...named].map(([n, v]) => [v, n]));
  const optimizer = new AdamW(named, { weightDecay, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => isDecayed(n.slice(n.indexOf('/') + 1)) });
  return { variableNames, optimizer, applyGradients: (g: Map<string, tf.Tensor>) => optimizer.apply(g, 1e-3) };
}

function maskFor(batch: Batch, seed: number) {
  return maskBatch(batch, new Rng(seed), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, batch.length), maskId: 4, isSpecial: (id) => id < 5 });
}

test('tensor names and shapes are Hugging Face ElectraForPreTraining / ElectraForMaskedLM state-dict keys', () => {
  const small = presetConfig('small', 30522);
  const disc = parameterShapes(small, 'discriminator');
  assert.deepEqual(disc.get('electra.embeddings.word_embeddings.weight'), [30522, 128]);
  assert.deepEqual(disc.get('electra.embeddings_project.weight'), [256, 128]);
  assert.deepEqual(disc.get('electra.encoder.layer.0.attention.self.query.weight'), [256, 256]);
  assert.deepEqual(disc.get('electra.encoder.layer.11.intermediate.dense.weight'), [1024, 256]);
  assert.deepEqual(disc.get('electra.encoder.layer.11.output.dense.weight'), [256, 1024]);
  assert.deepEqual(disc.get('discriminator_predictions.dense.weight'), [256, 256]);
  assert.deepEqual(disc.get('discriminator_predictions.dense_prediction.weight'), [1, 256]);
  assert.equal(disc.size, 5 + 2 + 16 * 12 + 4);
  const gen = parameterShapes(generatorConfig(small, 0.25, 1), 'generator');
  assert.deepEqual(gen.get('generator_predictions.dense.weight'), [128, 64]);
  assert.deepEqual(gen.get('generator_predictions.LayerNorm.weight'), [128]);
  assert.deepEqual(gen.get('generator_lm_head.bias'), [30522]);
  // The paper's ELECTRA-Small discriminator: 14M parameters.
  const count = parameterCount(small, 'discriminator');
  assert.ok(count > 13.3e6 && count < 14.2e6, `small has ${count} parameters`);
});

test('one step leaks no tensors, and save → load gives identical logits', async () => {
  await initBackend('wasm');
  const spec = tinySpec();
  const model = ElectraModel.initialise(spec, 3);
  const t = trainer(model);
  const batch = randomBatch(1, 4, 32, 300);
  pretrainingStep(model, batch, maskFor(batch, 1), SETTINGS, 1, t);
  const after1 = tf.memory().numTensors;
  for (let step = 2; step <= 4; step++) pretrainingStep(model, batch, maskFor(batch, step), SETTINGS, step, t);
  assert.equal(tf.memory().numTensors, after1, 'tensor count grew across steps');

  const exported = model.exportTensors();
  const reloaded = ElectraModel.fromTensors(spec, exported.discriminator, exported.generator, { discriminator: 'model.safetensors', generator: 'generator.safetensors' });
  assert.deepEqual(discLogits(reloaded, batch), discLogits(model, batch));
  t.optimizer.dispose();
  model.dispose();
  reloaded.dispose();
});

test('gdes: the discriminator loss does not move the generator embeddings; tied: it does', async () => {
  await initBackend('wasm');
  const batch = randomBatch(2, 4, 32, 300);
  for (const sharing of ['gdes', 'tied'] as const) {
    const model = ElectraModel.initialise(tinySpec(300, sharing), 5);
    const word = model.genParams.get('electra.embeddings.word_embeddings.weight')!;
    const before = word.dataSync().slice();
    // Only the discriminator's loss (generator weight 0), and no weight decay: nothing else moves a table.
    const t = trainer(model, 0);
    pretrainingStep(model, batch, maskFor(batch, 2), { ...SETTINGS, generatorWeight: 0 }, 2, t);
    const moved = word.dataSync().some((v, i) => v !== before[i]);
    assert.equal(moved, sharing === 'tied', `${sharing}: generator embeddings ${moved ? 'moved' : 'stayed'}`);
    const exported = model.exportTensors();
    const reloaded = ElectraModel.fromTensors(model.spec, exported.discriminator, exported.generator, { discriminator: 'm', generator: 'g' });
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.tensor(discLogits(reloaded, batch)), tf.tensor(discLogits(model, batch))))).dataSync()[0]);
    assert.ok(diff < 1e-5, `${sharing} reload differs by ${diff}`);
    t.optimizer.dispose();
    model.dispose();
    reloaded.dispose();
  }
});

test('wasm and cpu give the same logits and the same first losses for the same seed', async () => {
  const batch = randomBatch(4, 4, 32, 300);
  const results: { logits: Float32Array; losses: number[] }[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    const model = ElectraModel.initialise(tinySpec(), 11);
    const logits = discLogits(model, batch);
    const t = trainer(model);
    const losses: number[] = [];
    for (let step = 1; step <= 3; step++) losses.push(pretrainingStep(model, batch, maskFor(batch, step), SETTINGS, step, t).loss);
    results.push({ logits, losses });
    t.optimizer.dispose();
    model.dispose();
  }
  const [cpu, wasm] = results;
  const maxDiff = Math.max(...Array.from(cpu.logits, (v, i) => Math.abs(v - wasm.logits[i])));
  assert.ok(maxDiff < 1e-4, `logits differ by ${maxDiff}`);
  cpu.losses.forEach((l, i) => assert.ok(Math.abs(l - wasm.losses[i]) / l < 1e-3, `step ${i + 1} loss cpu ${l} vs wasm ${wasm.losses[i]}`));
});

test('every objective of the paper\'s ablation trains: finite losses, its own heads, tensors that round-trip', async () => {
  await initBackend('wasm');
  const batch = randomBatch(6, 4, 32, 300);
  for (const name of ['electra', 'electra-15', 'replace-mlm', 'all-tokens-mlm', 'mlm'] as const) {
    const objective = OBJECTIVES[name];
    const base = tinySpec();
    const spec = { ...base, mainHead: objective.mainHead, generator: objective.usesGenerator ? base.generator : undefined, embeddingSharing: objective.usesGenerator ? base.embeddingSharing : 'none' as const };
    const model = ElectraModel.initialise(spec, 8);
    const t = trainer(model);
    const settings = { ...SETTINGS, objective };
    const first = pretrainingStep(model, batch, maskFor(batch, 1), settings, 1, t);
    const count = tf.memory().numTensors;
    const second = pretrainingStep(model, batch, maskFor(batch, 2), settings, 2, t);
    assert.equal(tf.memory().numTensors, count, `${name} leaks tensors`);
    for (const out of [first, second]) assert.ok(Number.isFinite(out.loss) && out.loss > 0, `${name} loss ${out.loss}`);
    assert.equal(first.generator !== undefined, objective.usesGenerator, `${name} generator`);
    assert.equal(first.rtd !== undefined, name !== 'replace-mlm' && name !== 'mlm', `${name} replaced-token scores`);
    assert.equal(first.mainPredictions !== undefined, objective.main.startsWith('mlm'), `${name} MLM predictions`);
    if (name === 'mlm') assert.deepEqual(first.mainInputIds, first.masked.maskedIds, 'BERT sees [MASK], not samples');
    const exported = model.exportTensors();
    assert.equal(exported.discriminator.has('generator_lm_head.bias'), objective.mainHead !== 'discriminator');
    assert.equal(exported.discriminator.has('discriminator_predictions.dense.weight'), objective.mainHead !== 'generator');
    const reloaded = ElectraModel.fromTensors(spec, exported.discriminator, exported.generator, { discriminator: 'm', generator: 'g' });
    const again = pretrainingStep(reloaded, batch, maskFor(batch, 3), settings, 3);
    const original = pretrainingStep(model, batch, maskFor(batch, 3), settings, 3);
    assert.ok(Math.abs(again.loss - original.loss) < 1e-4 * original.loss, `${name} reload changes the loss`);
    t.optimizer.dispose();
    model.dispose();
    reloaded.dispose();
  }
});
