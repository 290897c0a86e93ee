import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { ADVERSARIAL_BASELINE, ElectraModel, type ElectraModelSpec } from '../src/engine/model/electra';
import { Rng } from '../src/engine/data/rng';
import { readSafetensors } from '../src/engine/checkpoint/safetensors';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { OBJECTIVES } from '../src/engine/pretrain/objectives';
import { resolveOptions } from '../src/engine/pretrain/options';
import { pretrainingStep, sampleAdvantages, type StepSettings } from '../src/engine/pretrain/step';
import { pretrain } from '../src/engine/pretrain/trainer';
import { randomBatch, ROOT, tempDir, tinySpec } from './helpers';

const SETTINGS: StepSettings = { objective: OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };

/** A generator the discriminator's size (tinySpec's discriminator has 2 heads of 32, so width 1 alone differs). */
function sameSize(sharing: ElectraModelSpec['embeddingSharing']): ElectraModelSpec {
  const base = tinySpec(300, sharing);
  return { ...base, generator: { ...base.discriminator } };
}

function maskFor(batch: ReturnType<typeof randomBatch>, seed: number) {
  return maskBatch(batch, new Rng(seed), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, batch.length), maskId: 4, isSpecial: (id) => id < 5 });
}

/** Plain SGD on the generator only: its update is then exactly its gradient (no clipping across both networks). */
function sgdOnGenerator(model: ElectraModel, lr = 0.1) {
  const named = model.namedVariables();
  const variableNames = new Map([...named].map(([n, v]) => [v, n]));
  return {
    variableNames,
    applyGradients: (grads: Map<string, tf.Tensor>) => {
      for (const [name, g] of grads) {
        if (name.startsWith('generator/')) {
          const next = tf.tidy(() => tf.sub(named.get(name)!, tf.mul(g, lr)));
          named.get(name)!.assign(next);
          next.dispose();
        }
        g.dispose();
      }
      return 0;
    },
  };
}

function corpusDir(): string {
  const dir = tempDir('alt-corpus');
  for (const p of ['typescript', 'esbuild', 'fast-glob']) fs.copyFileSync(path.join(ROOT, 'node_modules', p, 'README.md'), path.join(dir, `${p}.md`));
  return dir;
}

test('`all` sharing: one encoder for both networks (heads apart), trained by both losses, kept through a checkpoint', async () => {
  await initBackend('wasm');
  const spec = sameSize('all');
  const model = ElectraModel.initialise(spec, 3);
  const names = [...model.namedVariables().keys()];
  assert.ok(names.some((n) => n.startsWith('generator/electra.encoder.layer.0.')));
  assert.deepEqual(names.filter((n) => n.startsWith('discriminator/')).sort(), [
    'discriminator/discriminator_predictions.dense.bias', 'discriminator/discriminator_predictions.dense.weight',
    'discriminator/discriminator_predictions.dense_prediction.bias', 'discriminator/discriminator_predictions.dense_prediction.weight',
  ], 'the discriminator owns only its head');
  const q = 'electra.encoder.layer.1.attention.self.query.weight';
  assert.equal(model.discParams.get(q), model.genParams.get(q));
  const batch = randomBatch(1, 3, 24, 300);
  const out = pretrainingStep(model, batch, maskFor(batch, 1), SETTINGS, 1);
  assert.ok(Number.isFinite(out.loss));
  // The shared encoder gets both gradients: with the discriminator's loss weighed 0 it moves differently.
  const sharedAfter = (discriminatorWeight: number) => {
    const m = ElectraModel.fromTensors(spec, model.exportTensors().discriminator, model.exportTensors().generator, { discriminator: 'm', generator: 'g' });
    pretrainingStep(m, batch, maskFor(batch, 2), { ...SETTINGS, discriminatorWeight }, 2, sgdOnGenerator(m));
    const w = m.genParams.get(q)!.dataSync().slice();
    m.dispose();
    return w;
  };
  const [withDisc, withoutDisc] = [sharedAfter(50), sharedAfter(0)];
  assert.ok(withDisc.some((v, i) => v !== withoutDisc[i]), 'the discriminator\'s loss trains the shared encoder');
  const exported = model.exportTensors();
  const reloaded = ElectraModel.fromTensors(spec, exported.discriminator, exported.generator, { discriminator: 'm', generator: 'g' });
  assert.equal(reloaded.discParams.get(q), reloaded.genParams.get(q));
  model.dispose();
  reloaded.dispose();

  assert.throws(() => ElectraModel.initialise(tinySpec(300, 'all'), 1), /sharing "all" ties the whole encoder.* — use --gen-width 1 --gen-depth 1/);
  assert.throws(() => resolveOptions({ corpus: ['x'], out: 'y', preset: 'tiny', embeddingSharing: 'all' }), /add --gen-width 1 --gen-depth 1/);
});

test('two-stage: the generator trains alone, the discriminator starts from its weights, then trains with it frozen', async () => {
  await initBackend('wasm');
  const out = path.join(tempDir('two-stage'), 'run');
  const messages: string[] = [];
  await pretrain({
    corpus: [corpusDir()], out, preset: 'tiny', steps: 4, batchSize: 4, seqLength: 32, vocabSize: 600, logEvery: 1, saveEvery: 2, keepCheckpoints: 5,
    genWidth: 1, embeddingSharing: 'none', training: 'two-stage', learningRate: 1e-7, backend: 'wasm',
  }, (e) => { if (e.kind === 'info') messages.push(e.message); });
  assert.ok(messages.some((m) => /^two-stage: the discriminator starts from the generator's \d+ encoder tensors; the generator is frozen from step 3$/.test(m)), messages.join('\n'));
  const read = async (step: number, file: string) => (await readSafetensors(path.join(out, 'checkpoints', `step-${step}`, file))).tensors;
  const gen2 = await read(2, 'generator.safetensors'), gen4 = await read(4, 'generator.safetensors');
  const disc2 = await read(2, 'model.safetensors'), disc4 = await read(4, 'model.safetensors');
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const encoderNames = [...gen2.keys()].filter((n) => n.startsWith('electra.'));
  assert.ok(encoderNames.length > 10);
  for (const name of encoderNames) {
    assert.equal(maxDiff(gen2.get(name)!.data, gen4.get(name)!.data), 0, `${name}: the generator is frozen in stage 2`);
    // At lr 1e-7 two steps move a weight by ~2e-7: the discriminator is the generator's copy, plus its training.
    assert.ok(maxDiff(gen2.get(name)!.data, disc4.get(name)!.data) < 1e-5, `${name}: the discriminator starts from the generator`);
  }
  const w = 'electra.encoder.layer.0.attention.self.query.weight';
  assert.ok(maxDiff(disc2.get(w)!.data, gen2.get(w)!.data) > 1e-3, 'before the switch the discriminator held its own random weights');
  assert.ok(maxDiff(disc4.get(w)!.data, gen2.get(w)!.data) > 0, 'and after it, it trains');
  const metrics = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; flops: number });
  // Stage 1 costs the generator alone; stage 2 the frozen generator's forward pass plus the discriminator trained.
  const perStep = metrics.map((m, i) => m.flops - (i ? metrics[i - 1].flops : 0));
  assert.ok(perStep[2] > perStep[1], `stage 2 steps cost more: ${perStep}`);
  assert.throws(() => resolveOptions({ corpus: ['x'], out: 'y', preset: 'tiny', training: 'two-stage', genWidth: 1 }), /add --embedding-sharing none/);
});

test('adversarial: the generator\'s update depends on the discriminator (its reward); the MLM update does not', async () => {
  await initBackend('wasm');
  const spec = tinySpec(300, 'none');
  const first = ElectraModel.initialise(spec, 5).exportTensors();
  const otherDisc = ElectraModel.initialise(spec, 6).exportTensors().discriminator;
  const batch = randomBatch(2, 4, 24, 300);
  const masked = maskFor(batch, 3);
  const generatorAfter = (discTensors: typeof otherDisc, generatorUpdate: 'mlm' | 'adversarial') => {
    const model = ElectraModel.fromTensors(spec, discTensors, first.generator, { discriminator: 'm', generator: 'g' });
    pretrainingStep(model, batch, masked, { ...SETTINGS, generatorUpdate }, 7, sgdOnGenerator(model));
    const w = model.exportTensors().generator!.get('electra.encoder.layer.0.attention.self.query.weight')!.data;
    model.dispose();
    return w;
  };
  const differs = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);
  assert.ok(!differs(generatorAfter(first.discriminator, 'mlm'), generatorAfter(otherDisc, 'mlm')), 'MLM: the same update whatever the discriminator');
  assert.ok(differs(generatorAfter(first.discriminator, 'adversarial'), generatorAfter(otherDisc, 'adversarial')), 'adversarial: the discriminator\'s loss is the reward');

  // With the paper's learned baseline: the generator's update still follows the discriminator, and the baseline learns.
  const withBaseline = { ...spec, adversarialBaseline: true };
  const seeded = ElectraModel.initialise(withBaseline, 5).exportTensors();
  const baselineRun = (discTensors: typeof otherDisc) => {
    const model = ElectraModel.fromTensors(withBaseline, discTensors, seeded.generator, { discriminator: 'm', generator: 'g' });
    const before = (model.genParams.get(ADVERSARIAL_BASELINE.weight)!.dataSync() as Float32Array).slice();
    const trainer = sgdOnGenerator(model);
    pretrainingStep(model, batch, masked, { ...SETTINGS, generatorUpdate: 'adversarial' }, 7, trainer);
    const count = tf.memory().numTensors;
    pretrainingStep(model, batch, masked, { ...SETTINGS, generatorUpdate: 'adversarial' }, 8, trainer);
    assert.equal(tf.memory().numTensors, count, 'an adversarial step leaks no tensors');
    const after = model.exportTensors().generator!;
    model.dispose();
    return { before, baseline: after.get(ADVERSARIAL_BASELINE.weight)!.data, query: after.get('electra.encoder.layer.0.attention.self.query.weight')!.data };
  };
  const a = baselineRun(seeded.discriminator), b = baselineRun(otherDisc);
  assert.ok(differs(a.before, a.baseline), 'the baseline is trained');
  assert.ok(differs(a.query, b.query), 'the update depends on the discriminator with the learned baseline too');

  // The advantage: the discriminator's loss at each placed sample minus the batch mean; unused and duplicate slots 0.
  const m = { ...masked, weights: Float32Array.from([1, 1, 1, 0]), flatPositions: Int32Array.from([3, 5, 3, 0]) };
  const loss = new Float32Array(40);
  loss[3] = 0.2;
  loss[5] = 1.0;
  assert.deepEqual(Array.from(sampleAdvantages(m as typeof masked, loss)).map((x) => Number(x.toFixed(6))), [-0.4, 0.4, 0, 0]);

  // End to end, with the MLM warm start: finite losses, the generator still learning something.
  const out = path.join(tempDir('adversarial'), 'run');
  const losses: number[] = [];
  await pretrain({ corpus: [corpusDir()], out, preset: 'tiny', steps: 4, batchSize: 4, seqLength: 32, vocabSize: 600, logEvery: 1, saveEvery: 4, training: 'adversarial', adversarialWarmup: 2, backend: 'wasm' },
    (e) => { if (e.kind === 'step') losses.push(e.loss); });
  assert.equal(losses.length, 4);
  assert.ok(losses.every(Number.isFinite));
  const saved = (await readSafetensors(path.join(out, 'checkpoints', 'step-4', 'generator.safetensors'))).tensors;
  assert.deepEqual(saved.get(ADVERSARIAL_BASELINE.weight)!.shape, [32, 1], 'the learned baseline is kept with the generator');
  // And a resumed adversarial run picks it (and its optimizer state) up again.
  await pretrain({ corpus: [corpusDir()], out, steps: 5, resume: true, backend: 'wasm' }, (e) => { if (e.kind === 'step') losses.push(e.loss); });
  assert.equal(losses.length, 5);
  assert.throws(() => resolveOptions({ corpus: ['x'], out: 'y', preset: 'tiny', training: 'adversarial', objective: 'mlm' }), /use --objective electra or electra-15/);
});
