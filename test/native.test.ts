// The native kernel tier (native/ + src/engine/backend/native/): its kernels must agree with the pure-JS cpu
// backend, training with it must follow the wasm tier's losses, and without it the engine must still train
// and say why. Needs the addon built (`npm run build` builds it; CI installs g++ and libdnnl-dev first).
// Run: node --import tsx --test test/native.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend, type BackendOptions, type BackendRequest } from '../src/engine/backend';
import { loadNativeAddon } from '../src/engine/backend/native';
import { inPlaceUpdater } from '../src/engine/backend/native/adamw';
import { ElectraModel } from '../src/engine/model/electra';
import { isDecayed } from '../src/engine/model/names';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { pretrainingStep } from '../src/engine/pretrain/step';
import { OBJECTIVES } from '../src/engine/pretrain/objectives';
import { AdamW } from '../src/engine/pretrain/optimizer';
import { Rng } from '../src/engine/data/rng';
import { gelu, linear } from '../src/engine/model/layers';
import { randomBatch, tempDir, tinySpec } from './helpers';

const REL_TOL = 1e-4;

function randoms(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
}

function relError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

async function on<T>(request: BackendRequest, f: () => T, options: BackendOptions = {}): Promise<T> {
  await initBackend(request, { threads: 1, ...options });
  return f();
}

test('the addon is built here and auto selects the native tier, naming its BLAS library', async () => {
  const loaded = loadNativeAddon();
  assert.ok(loaded.addon, `addon not loaded: ${'reason' in loaded ? loaded.reason : ''}`);
  const report = await initBackend('auto');
  assert.equal(report.tier, 'native');
  assert.equal(report.backend, 'wasm');
  assert.match(report.describe(), /^native kernels \(oneDNN [\d.]+, \d threads?\) on wasm/);
  assert.deepEqual(report.skipped.map((s) => s.tier), ['gpu', 'node']);
});

/** matMul and its gradients on random data, as plain arrays. */
function matMulCase(aShape: number[], bShape: number[], ta: boolean, tb: boolean, seed: number) {
  return () => tf.tidy(() => {
    const a = tf.tensor(randoms(tf.util.sizeFromShape(aShape), seed), aShape);
    const b = tf.tensor(randoms(tf.util.sizeFromShape(bShape), seed + 1), bShape);
    const y = tf.matMul(a, b, ta, tb);
    const w = tf.tensor(randoms(y.size, seed + 2), y.shape);
    const [da, db] = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, z, ta, tb), w)))([a, b]);
    return [y, da, db].map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
  });
}

test('native BatchMatMul equals cpu on random shapes: odd sizes, every transpose, batched and broadcast, with gradients', async () => {
  const rng = new Rng(7);
  const dim = () => 1 + rng.nextInt(37);
  const cases: [number[], number[], boolean, boolean][] = [];
  for (let i = 0; i < 24; i++) {
    const [m, k, n] = [dim(), dim(), dim()];
    const ta = rng.nextFloat() < 0.5;
    const tb = rng.nextFloat() < 0.5;
    const a2 = ta ? [k, m] : [m, k];
    const b2 = tb ? [n, k] : [k, n];
    const batch = 1 + rng.nextInt(4);
    const kind = i % 4; // 2-D, batched both, A batched × shared B, shared A × B batched
    const aShape = kind === 0 || kind === 3 ? a2 : [batch, ...a2];
    const bShape = kind === 0 || kind === 2 ? b2 : [batch, ...b2];
    cases.push([aShape, bShape, ta, tb]);
  }
  cases.push([[2, 3, 129, 65], [2, 3, 65, 31], false, false], [[8, 128, 256], [1024, 256], false, true]);
  for (const [i, [aShape, bShape, ta, tb]] of cases.entries()) {
    const expected = await on('cpu', matMulCase(aShape, bShape, ta, tb, i * 3));
    const actual = await on('native', matMulCase(aShape, bShape, ta, tb, i * 3));
    const label = `${JSON.stringify(aShape)}${ta ? 'ᵀ' : ''} × ${JSON.stringify(bShape)}${tb ? 'ᵀ' : ''}`;
    expected.forEach((ref, j) => {
      assert.deepEqual(actual[j].shape, ref.shape, `${label}: output ${j} shape`);
      const err = relError(actual[j].values, ref.values);
      assert.ok(err <= REL_TOL, `${label}: output ${j} relative error ${err.toExponential(2)}`);
    });
  }
});

test('native GELU and its gradient equal the tfjs-op GELU on cpu (odd sizes, large and tiny inputs)', async () => {
  for (const n of [1, 7, 1029, 70_001]) {
    const values = Float32Array.from(randoms(n, n), (v, i) => (i % 5 === 0 ? v * 12 : i % 7 === 0 ? v * 1e-30 : v * 3));
    const f = () => tf.tidy(() => {
      const x = tf.tensor(values);
      const w = tf.tensor(randoms(n, n + 1));
      const [dx] = tf.grads((z: tf.Tensor) => tf.sum(tf.mul(gelu(z), w)))([x]);
      return [gelu(x), dx].map((t) => Array.from(t.dataSync()));
    });
    const expected = await on('cpu', f);
    const actual = await on('native', f);
    expected.forEach((ref, j) => {
      const err = relError(actual[j], ref);
      assert.ok(err <= REL_TOL, `n=${n} output ${j}: relative error ${err.toExponential(2)}`);
    });
  }
});

test('a dense layer (x·Wᵀ + b in one kernel) on native and wasm equals cpu, with all three gradients, odd sizes', async () => {
  for (const [i, [m, k, n]] of [[1, 1, 1], [3, 37, 5], [129, 65, 31], [1024, 256, 1024]].entries()) {
    const f = () => tf.tidy(() => {
      const [x, weight, bias] = [[m, k], [n, k], [n]].map((shape, j) => tf.tensor(randoms(tf.util.sizeFromShape(shape), i * 5 + j), shape));
      const w = tf.tensor(randoms(m * n, i * 5 + 4), [m, n]);
      const [dx, dw, db] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear(a, b, c), w)))([x, weight, bias]);
      return [linear(x, weight, bias), dx, dw, db].map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
    });
    const expected = await on('cpu', f);
    for (const tier of ['wasm', 'native'] as const) {
      const actual = await on(tier, f);
      expected.forEach((ref, j) => {
        assert.deepEqual(actual[j].shape, ref.shape, `${tier} [${m},${k}]×[${n},${k}]ᵀ: output ${j} shape`);
        const err = relError(actual[j].values, ref.values);
        assert.ok(err <= REL_TOL, `${tier} [${m},${k}]×[${n},${k}]ᵀ: output ${j} relative error ${err.toExponential(2)}`);
      });
    }
  }
});

test('native matmul refuses operands outside the heap instead of reading past it', () => {
  const addon = loadNativeAddon().addon!;
  const heap = new Float32Array(64);
  assert.throws(() => addon.matmul(heap, false, false, 1, 8, 8, 8, 0, 0, 0, 0, 4 * 16), /operand outside the heap/);
  assert.throws(() => addon.matmul(heap, false, false, 1, 4, 4, 4, -4, 0, 0, 0, 0), /operand outside the heap/);
  assert.throws(() => addon.linear(heap, 8, 8, 8, 0, 0, 0, 4 * 16), /operand outside the heap/);
  assert.throws(() => addon.adamw(heap, 0, 0, 65, new Float32Array(65), new Float32Array(65), 1, 0.9, 0.999, 1e-6, 0, 1), /outside the heap/);
});

test('native AdamW updates parameters in place exactly as the JS loop does', async () => {
  const run = async (request: BackendRequest) => on(request, () => {
    const params = new Map([['w', tf.variable(tf.tensor(randoms(300, 1), [20, 15]))], ['b', tf.variable(tf.tensor(randoms(15, 2)))]]);
    const optimizer = new AdamW(params, { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => n === 'w' });
    const norms: number[] = [];
    for (let step = 0; step < 5; step++) {
      const grads = new Map([...params].map(([name, p]) => [name, tf.mul(tf.tensor(randoms(p.size, 10 + step), p.shape), step + 1)] as [string, tf.Tensor]));
      norms.push(optimizer.apply(grads, 1e-2));
    }
    const out = { norms, w: Array.from(params.get('w')!.dataSync()), b: Array.from(params.get('b')!.dataSync()), native: inPlaceUpdater() !== undefined };
    for (const p of params.values()) p.dispose();
    return out;
  });
  const js = await run('wasm');
  const native = await run('native');
  assert.equal(js.native, false);
  assert.equal(native.native, true);
  assert.deepEqual(native.w, js.w);
  assert.deepEqual(native.b, js.b);
  native.norms.forEach((n, i) => assert.ok(Math.abs(n - js.norms[i]) <= 1e-9 * js.norms[i]));
});

test('a parameter whose memory is shared is updated by copy, leaving the sharer untouched', async () => {
  await initBackend('native', { threads: 1 });
  const p = tf.variable(tf.tensor([1, 2, 3, 4]));
  const sharer = tf.clone(p); // shares p's memory on wasm (zero-copy Identity)
  const optimizer = new AdamW(new Map([['p', p]]), { weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 100, decays: () => false });
  optimizer.apply(new Map([['p', tf.tensor([1, 1, 1, 1])]]), 0.1);
  assert.deepEqual(Array.from(sharer.dataSync()), [1, 2, 3, 4]);
  assert.ok(Array.from(p.dataSync()).every((x, i) => x < i + 1));
  tf.dispose([p, sharer]);
});

/** 20 tiny training steps with dropout and sampling; the losses per step. */
function trainTiny(): number[] {
  const spec = tinySpec(300);
  const model = ElectraModel.initialise(spec, 3);
  const named = model.namedVariables();
  const variableNames = new Map([...named].map(([n, v]) => [v, n]));
  const optimizer = new AdamW(named, { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => isDecayed(n.slice(n.indexOf('/') + 1)) });
  const settings = { objective: OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const batch = randomBatch(100 + step, 4, 32, 300);
    const masked = maskBatch(batch, new Rng(step), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, 32), maskId: 4, isSpecial: (id) => id < 5 });
    const outcome = pretrainingStep(model, batch, masked, settings, step, { variableNames, applyGradients: (g) => optimizer.apply(g, 1e-3) });
    losses.push(outcome.loss);
  }
  optimizer.dispose();
  model.dispose();
  return losses;
}

test('training losses with and without the native tier agree to 1e-4 over 20 steps', async () => {
  const wasm = await on('wasm', trainTiny);
  const native = await on('native', trainTiny);
  wasm.forEach((loss, i) => {
    assert.ok(Math.abs(native[i] - loss) <= 1e-4 * Math.max(1, Math.abs(loss)), `step ${i}: native ${native[i]} vs wasm ${loss}`);
  });
});

test('a missing or broken addon: auto falls back to wasm, says why in one line, and still trains', async () => {
  const dir = tempDir('native-broken');
  const broken = path.join(dir, 'electra_native.node');
  fs.writeFileSync(broken, 'not a shared object');
  for (const [file, reason] of [[path.join(dir, 'missing.node'), /native addon is not built/], [broken, /electra_native\.node failed to load: .*invalid ELF header|failed to load/]] as const) {
    shutdownBackend();
    const report = await initBackend('auto', { threads: 1, nativeAddon: file });
    assert.equal(report.tier, 'wasm');
    const native = report.skipped.find((s) => s.tier === 'native');
    assert.ok(native, 'native listed as skipped');
    assert.match(native.reason, reason);
    assert.ok(!native.reason.includes('\n'));
    assert.equal(inPlaceUpdater(), undefined);
    const losses = trainTiny().slice(0, 3);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  }
  await assert.rejects(initBackend('native', { nativeAddon: broken }), /Backend 'native' is not available: .*failed to load/);
});

test('the bundle loads the addon and its libraries from dist/native (what the VSIX ships)', () => {
  const bundled = path.join(__dirname, '..', 'dist', 'native', 'electra_native.node');
  assert.ok(fs.existsSync(bundled), 'run npm run build first');
  const loaded = loadNativeAddon(bundled);
  assert.ok(loaded.addon, 'reason' in loaded ? loaded.reason : '');
  for (const lib of ['libdnnl.so.2', 'libgomp.so.1']) assert.ok(fs.existsSync(path.join(path.dirname(bundled), lib)), `${lib} beside the addon`);
});

test('signals arriving during native products do not corrupt memory (a profiled process runs a training step\'s shapes)', () => {
  // oneDNN's gemm corrupted the malloc heap when a signal handler ran mid-product; node --cpu-prof sends ~1,000
  // signals a second. The step's shapes, 1,000 products: the unfixed addon aborted within the first pass.
  const script = `
    const addon = require(${JSON.stringify(loadNativeAddon().addon ? (loadNativeAddon() as { file: string }).file : '')});
    const heap = new Float32Array(40 << 20);
    for (let i = 0; i < heap.length; i += 3) heap[i] = Math.random() - 0.5;
    const shapes = [[1,1024,256,256],[1,1024,1024,256],[1,1024,256,1024],[32,128,128,64],[32,128,64,128],[1,152,30522,128],[1,1024,64,64]];
    for (let r = 0; r < 1000; r++) {
      const [b, m, n, k] = shapes[r % shapes.length];
      addon.matmul(heap, r % 3 === 1, r % 2 === 1, b, m, n, k, 0, m * k, 4 * (10 << 20), k * n, 4 * (20 << 20));
    }
    console.log('done');`;
  const dir = tempDir('native-signals');
  const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', script], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ''}: ${run.stderr.slice(-300)}`);
  assert.match(run.stdout, /done/);
});
