import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { ElectraModel, GLOROT_UNIFORM } from '../src/engine/model/electra';
import { generatorConfig, presetConfig, type PresetName } from '../src/engine/model/config';
import { EMBEDDING_LAYER_NORM } from '../src/engine/model/names';
import { learningRateAt } from '../src/engine/pretrain/optimizer';
import { resolveOptions } from '../src/engine/pretrain/options';
import { UserError } from '../src/engine/errors';
import { checkpointConfig } from '../src/engine/checkpoint/model-io';

// google-research/electra's get_generator_config: int(round(H · fraction)) wide, max(1, hidden // 64) heads.
test('generator heads = max(1, hidden // 64): every width 1/16 … 16/16 of small and tiny runs or is refused in one line', async () => {
  await initBackend('cpu');
  const expectedRefused: Record<string, number[]> = { small: [13, 14], tiny: [] };
  for (const preset of ['small', 'tiny'] as PresetName[]) {
    const disc = { ...presetConfig(preset, 120), max_position_embeddings: 16 };
    const refused: number[] = [];
    for (let k = 1; k <= 16; k++) {
      const fraction = k / 16;
      let gen;
      try {
        gen = generatorConfig(disc, fraction, 1 / disc.num_hidden_layers);
      } catch (e) {
        assert.ok(e instanceof UserError, `${preset} ${k}/16 threw ${String(e)}`);
        assert.match(e.message, /^--gen-width \S+ makes the generator \d+ wide with \d+ heads .* use --gen-width [\d.]+/);
        assert.ok(!e.message.includes('\n'));
        refused.push(k);
        // The suggestion is a width that works.
        const suggested = Number(/use --gen-width ([\d.]+)/.exec(e.message)![1]);
        assert.doesNotThrow(() => generatorConfig(disc, suggested, 1));
        continue;
      }
      const hidden = Math.round(disc.hidden_size * fraction);
      assert.equal(gen.hidden_size, hidden);
      assert.equal(gen.num_attention_heads, Math.max(1, Math.floor(hidden / 64)));
      assert.equal(gen.intermediate_size, 4 * hidden);
      const model = ElectraModel.initialise({ discriminator: disc, generator: gen, embeddingSharing: 'tied' }, k);
      const hiddenStates = tf.tidy(() => {
        const ids = tf.tensor2d([[2, 10, 11, 12, 3, 0]], [1, 6], 'int32');
        const out = model.generator!.encode({ inputIds: ids, tokenTypeIds: tf.zerosLike(ids) as tf.Tensor2D, attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 0]]) });
        return out.shape;
      });
      assert.deepEqual(hiddenStates, [1, 6, hidden]);
      model.dispose();
    }
    assert.deepEqual(refused, expectedRefused[preset], `${preset}: refused widths`);
  }
});

test('a generator width the heads do not divide is refused before the run starts (resolveOptions)', () => {
  assert.throws(() => resolveOptions({ corpus: ['x'], out: 'y', preset: 'small', genWidth: 13 / 16 }), /--gen-width 0.8125 makes the generator 208 wide with 3 heads/);
  assert.doesNotThrow(() => resolveOptions({ corpus: ['x'], out: 'y', preset: 'small', genWidth: 0.625 }));
});

test('base preset: generator 1/3 of the width (256, 4 heads), sequence 512; small keeps 1/4 and 128', () => {
  const base = resolveOptions({ corpus: ['x'], out: 'y', preset: 'base' });
  assert.equal(base.seqLength, 512);
  const gen = generatorConfig(presetConfig('base', 30522), base.genWidth, base.genDepth);
  assert.equal(gen.hidden_size, 256);
  assert.equal(gen.num_attention_heads, 4);
  assert.equal(gen.intermediate_size, 1024);
  const small = resolveOptions({ corpus: ['x'], out: 'y', preset: 'small' });
  assert.equal(small.seqLength, 128);
  assert.equal(generatorConfig(presetConfig('small', 30522), small.genWidth, 1).hidden_size, 64);
  assert.equal(resolveOptions({ corpus: ['x'], out: 'y', preset: 'base', seqLength: 128, genWidth: 0.25 }).genWidth, 0.25);
});

test('tied sharing: the embedding LayerNorm is one variable of both networks, as the reference shares the scope', async () => {
  await initBackend('cpu');
  const disc = { ...presetConfig('tiny', 200), max_position_embeddings: 16 };
  const spec = { discriminator: disc, generator: generatorConfig(disc, 0.5, 1), embeddingSharing: 'tied' as const };
  const model = ElectraModel.initialise(spec, 1);
  for (const name of EMBEDDING_LAYER_NORM) {
    assert.equal(model.discParams.get(name), model.genParams.get(name), `${name} is two variables`);
  }
  const named = [...model.namedVariables().keys()];
  assert.ok(named.includes('generator/electra.embeddings.LayerNorm.weight'));
  assert.ok(!named.includes('discriminator/electra.embeddings.LayerNorm.weight'));
  assert.equal(new Set(model.discriminatorVariables()).size, model.discriminatorVariables().length);
  // config.json records it, so a reload shares it too; a checkpoint without the marker (older) keeps two.
  const extras = checkpointConfig(spec, { do_lower_case: true, strip_accents: true }, 'electra').electra_lab as Record<string, unknown>;
  assert.equal(extras.tied_layer_norm, true);
  const legacy = ElectraModel.initialise({ ...spec, tiedLayerNorm: false }, 1);
  assert.notEqual(legacy.discParams.get(EMBEDDING_LAYER_NORM[0]), legacy.genParams.get(EMBEDDING_LAYER_NORM[0]));
  assert.equal(legacy.discParams.get('electra.embeddings.word_embeddings.weight'), legacy.genParams.get('electra.embeddings.word_embeddings.weight'));
  // none and gdes keep their own LayerNorms.
  for (const sharing of ['none', 'gdes'] as const) {
    const m = ElectraModel.initialise({ ...spec, embeddingSharing: sharing }, 1);
    assert.notEqual(m.discParams.get(EMBEDDING_LAYER_NORM[0]), m.genParams.get(EMBEDDING_LAYER_NORM[0]));
    m.dispose();
  }
  model.dispose();
  legacy.dispose();
});

function stats(data: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0, sq = 0, min = Infinity, max = -Infinity;
  for (const v of data) { sum += v; sq += v * v; min = Math.min(min, v); max = Math.max(max, v); }
  const mean = sum / data.length;
  return { mean, std: Math.sqrt(sq / data.length - mean * mean), min, max };
}

test('initialisers per tensor: Glorot-uniform for embeddings_project and dense_prediction, truncated normal 0.02 else', async () => {
  await initBackend('cpu');
  // Base-like widths with E ≠ H so embeddings_project exists; a small vocabulary keeps it quick.
  const disc = { ...presetConfig('small', 2000), num_hidden_layers: 1, max_position_embeddings: 128 };
  const model = ElectraModel.initialise({ discriminator: disc, generator: generatorConfig(disc, 0.25, 1), embeddingSharing: 'tied' }, 3);
  const tensors = model.exportTensors();
  let checked = 0;
  for (const [side, map] of [['discriminator', tensors.discriminator], ['generator', tensors.generator!]] as const) {
    for (const [name, t] of map) {
      const s = stats(t.data);
      if (name.endsWith('.bias')) assert.equal(s.max === 0 && s.min === 0, true, `${side} ${name} not zero`);
      else if (name.includes('LayerNorm')) assert.ok(s.min === 1 && s.max === 1, `${side} ${name} not one`);
      else if (GLOROT_UNIFORM.includes(name)) {
        const limit = Math.sqrt(6 / (t.shape[0] + t.shape[1]));
        assert.ok(s.max <= limit && s.min >= -limit, `${side} ${name} outside ±${limit}`);
        // U(−a, a) has std a/√3; the larger of the two tensors has enough samples for 10%.
        assert.ok(Math.abs(s.std - limit / Math.sqrt(3)) < 0.1 * limit, `${side} ${name} std ${s.std} vs ${limit / Math.sqrt(3)}`);
        assert.ok(s.max > 0.9 * limit, `${side} ${name} max ${s.max}: not uniform up to ${limit}`);
        checked++;
      } else {
        // Truncated normal(0, 0.02) cut at 2σ: std ≈ 0.88 · 0.02, every value within ±0.04.
        assert.ok(s.max <= 0.04 + 1e-7 && s.min >= -0.04 - 1e-7, `${side} ${name} outside ±2σ`);
        if (t.data.length > 1000) assert.ok(Math.abs(s.std - 0.0176) < 0.002, `${side} ${name} std ${s.std}`);
      }
    }
  }
  assert.equal(checked, 3, 'embeddings_project (both sides) and dense_prediction');
  model.dispose();
});

// optimization.py: lr = polynomial_decay(peak, global_step, T, 0, power 1) · min(1, global_step / W), where
// global_step is the number of updates already applied when the update runs.
test('learning-rate schedule as the reference: the first update has lr 0, peak at the end of warmup, 0 after T', () => {
  const peak = 5e-4, W = 10, T = 100;
  assert.equal(learningRateAt(0, peak, W, T), 0);
  assert.ok(Math.abs(learningRateAt(1, peak, W, T) - peak * (1 - 1 / T) * 0.1) < 1e-15);
  assert.ok(Math.abs(learningRateAt(W, peak, W, T) - peak * (1 - W / T)) < 1e-15);
  assert.ok(Math.abs(learningRateAt(T - 1, peak, W, T) - peak / T) < 1e-15);
  assert.equal(learningRateAt(T, peak, W, T), 0);
  assert.equal(learningRateAt(T + 5, peak, W, T), 0);
  // Without warmup the first update runs at the peak.
  assert.equal(learningRateAt(0, peak, 0, T), peak);
});
