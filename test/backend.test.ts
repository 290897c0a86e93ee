// Backend selection and the wasm kernel fixes: the patched wasm kernels must agree with the pure-JS cpu
// backend (the reference) on values and gradients. Run: node --import tsx --test test/backend.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../src/engine/backend';
import { isUserError } from '../src/engine/errors';
import { preferTransposedProduct } from '../src/engine/backend/wasm-kernels';
import { kernelModuleBytes, setSimdKernelsEnabled, simdKernelsOf } from '../src/engine/backend/wasm-simd';
import { fusedGumbelArgmax, fusedSoftmaxCrossEntropy, setFusedOpsEnabled } from '../src/engine/backend/fused-ops';
import { DropoutSeeds, dropout, dropoutMask, gelu, layerNorm, uniformNoise } from '../src/engine/model/layers';

const REL_TOL = 1e-4;

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32), so cpu and wasm see identical inputs. */
function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randoms(tf.util.sizeFromShape(shape), seed), shape);
}

interface Result {
  shape: number[];
  values: Float32Array;
}

/** Runs `f` on a backend (tensors are created inside `f`, i.e. after the switch) and reads the outputs. */
async function runOn(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Result[]> {
  assert.ok(await tf.setBackend(backend));
  const outs = tf.tidy(f);
  const results = outs.map((t) => ({ shape: t.shape.slice(), values: Float32Array.from(t.dataSync()) }));
  tf.dispose(outs);
  return results;
}

/** max |x - y| / max |y|: one relative error for a whole tensor (robust to values near zero). */
function relError(x: Float32Array, y: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

async function assertSameOnWasmAndCpu(label: string, f: () => tf.Tensor[]): Promise<void> {
  const cpu = await runOn('cpu', f);
  const wasm = await runOn('wasm', f);
  assert.equal(wasm.length, cpu.length);
  cpu.forEach((ref, i) => {
    assert.deepEqual(wasm[i].shape, ref.shape, `${label}: output ${i} shape`);
    const err = relError(wasm[i].values, ref.values);
    assert.ok(err <= REL_TOL, `${label}: output ${i} relative error ${err.toExponential(2)} > ${REL_TOL}`);
  });
}

test('auto without the native addon selects wasm and says why gpu, node and native were skipped', async () => {
  const options = { nativeAddon: '/nonexistent-folder/electra_native.node' };
  const report = await initBackend('auto', options);
  assert.equal(report.backend, 'wasm');
  assert.equal(report.tier, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(report.skipped.map((s) => s.tier), ['gpu', 'node', 'native']);
  assert.match(report.skipped[0].reason, /@tensorflow\/tfjs-node-gpu is not installed \(npm install .*CUDA/);
  assert.match(report.skipped[1].reason, /@tensorflow\/tfjs-node is not installed \(npm install /);
  assert.match(report.skipped[2].reason, /native addon is not built .*npm run build:native/);
  for (const s of report.skipped) assert.ok(!s.reason.includes('\n'), 'one line per reason');
  assert.ok(report.threads >= 1);
  assert.match(report.describe(), /^wasm \(\d+ threads?.*\); skipped gpu: .*, node: .*, native: /);
  // Calling again is harmless and returns the same report.
  assert.equal(await initBackend('auto', options), report);
});

test('wasm uses 2 threads on this 2-core machine (or says why not)', async () => {
  const report = await initBackend('wasm');
  assert.ok(report.threads === 2 || report.threadsNote, `threads=${report.threads} without a note`);
  console.log(`  backend: ${report.describe()}`);
});

test('explicit tiers that cannot be met throw a one-line UserError', async () => {
  for (const tier of ['gpu', 'node'] as const) {
    await assert.rejects(initBackend(tier), (e: unknown) => {
      assert.ok(isUserError(e), 'UserError');
      const msg = (e as Error).message;
      assert.ok(!msg.includes('\n'), 'one line');
      assert.match(msg, tier === 'gpu' ? /tfjs-node-gpu is not installed \(npm install/ : /tfjs-node is not installed/);
      return true;
    });
  }
  // A failed request leaves the working backend in place.
  assert.equal(tf.getBackend(), 'wasm');
});

test('wasm directory option is checked', async () => {
  await assert.rejects(initBackend('wasm', { wasmDir: '/nonexistent-folder' }), (e: unknown) => {
    assert.ok(isUserError(e));
    assert.match((e as Error).message, /no tfjs-backend-wasm \*\.wasm files in \/nonexistent-folder/);
    return true;
  });
});

test('switching cpu <-> wasm works (tensors created after each switch)', async () => {
  const cpu = await initBackend('cpu');
  assert.equal(cpu.backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.match(cpu.describe(), /^cpu /);
  const wasm = await initBackend('wasm');
  assert.equal(wasm.backend, 'wasm');
  assert.deepEqual(wasm.skipped, []);
  assert.deepEqual(Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync()), [2, 3]);
});

test('the patched wasm kernels are installed', () => {
  assert.equal(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc.name, 'fastBatchMatMul');
  assert.equal(tf.getKernel('Sum', 'wasm')?.kernelFunc.name, 'fastSum');
  assert.equal(tf.getKernel('Identity', 'wasm')?.kernelFunc.name, 'sharedIdentity');
  assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
});

test('shared Identity: clones stay valid after the original is disposed, memory is freed with the last one', async () => {
  await tf.setBackend('wasm');
  const before = tf.backend().numDataIds();
  const x = tf.tensor([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  assert.equal(tf.backend().numDataIds(), before + 1);
  y.dispose();
  assert.equal(tf.backend().numDataIds(), before);
});

/** matMul and its gradients (through a random weighting of the output so dy is not uniform). */
function matMulWithGrads(aShape: number[], bShape: number[], ta: boolean, tb: boolean): () => tf.Tensor[] {
  return () => {
    const a = rand(aShape, 1);
    const b = rand(bShape, 2);
    const y = tf.matMul(a, b, ta, tb);
    const w = rand(y.shape, 3);
    const grads = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, z, ta, tb), w)));
    return [y, ...grads([a, b])];
  };
}

test('patched BatchMatMul equals cpu: 2-D and batched 3-D, all transpose combos, with gradients', async () => {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const a2 = ta ? [48, 32] : [32, 48];
      const b2 = tb ? [16, 48] : [48, 16];
      await assertSameOnWasmAndCpu(`2-D ta=${ta} tb=${tb}`, matMulWithGrads(a2, b2, ta, tb));
      await assertSameOnWasmAndCpu(`3-D ta=${ta} tb=${tb}`, matMulWithGrads([4, ...a2], [4, ...b2], ta, tb));
    }
  }
});

test('broadcast matMul: 3-D x 2-D and 2-D x 3-D, with gradients of the right shape', async () => {
  for (const tb of [false, true]) {
    await assertSameOnWasmAndCpu(`[4,32,48] x 2-D tb=${tb}`, matMulWithGrads([4, 32, 48], tb ? [16, 48] : [48, 16], false, tb));
  }
  await assertSameOnWasmAndCpu('[4,48,32]^T x [48,16]', matMulWithGrads([4, 48, 32], [48, 16], true, false));
  await assertSameOnWasmAndCpu('[32,48] x [4,48,16]', matMulWithGrads([32, 48], [4, 48, 16], false, false));
  await assertSameOnWasmAndCpu('[1,32,48] x [3,48,16]^T', matMulWithGrads([1, 32, 48], [3, 16, 48], false, true));
  const [, da, db] = await runOn('wasm', matMulWithGrads([4, 32, 48], [48, 16], false, false));
  assert.deepEqual(da.shape, [4, 32, 48]);
  assert.deepEqual(db.shape, [48, 16]);
});

test('a weight reused under another shape is not served a stale XNNPACK packing', async () => {
  await assertSameOnWasmAndCpu('reshaped weight', () => {
    const w = rand([16, 48], 4);
    const first = tf.matMul(rand([8, 16], 5), w);
    const second = tf.matMul(rand([8, 32], 6), tf.reshape(w, [32, 24]));
    return [first, second];
  });
});

test('patched BatchMatMul frees its temporaries and views', async () => {
  await tf.setBackend('wasm');
  const a = rand([4, 32, 48], 1);
  const b = rand([4, 16, 48], 2);
  tf.matMul(a, b, false, true).dispose(); // warm caches
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) tf.matMul(a, b, false, true).dispose();
  tf.tidy(() => {
    tf.matMul(tf.reshape(a, [128, 48]), tf.reshape(b, [64, 48]), false, true);
    tf.sum(tf.matMul(a, tf.reshape(b, [64, 48]), false, true), [0, 1]);
  });
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.backend().numDataIds(), dataIds);
  tf.dispose([a, b]);
});

test('gather gradient (embedding lookup, duplicate indices) works on wasm and equals cpu', async () => {
  await assertSameOnWasmAndCpu('gather grad', () => {
    const table = rand([20, 8], 7);
    const ids = tf.tensor2d([[0, 3, 3, 7], [19, 3, 0, 5]], [2, 4], 'int32');
    const w = rand([2, 4, 8], 8);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table);
    const direct = tf.unsortedSegmentSum(rand([6, 3], 9), tf.tensor1d([2, 0, 2, -1, 5, 2], 'int32'), 4);
    return [g, direct];
  });
});

test('leading-axis Sum equals cpu (keepDims, several axes) and other sums still work', async () => {
  await assertSameOnWasmAndCpu('sum', () => {
    const x = rand([3, 5, 7], 10);
    return [tf.sum(x, 0), tf.sum(x, [0, 1]), tf.sum(x, [1, 0], true), tf.sum(x, -1), tf.sum(x, 1), tf.sum(x), tf.sum(rand([9], 11), 0)];
  });
});

test('a small attention + MLP step: loss and gradients equal on wasm and cpu', async () => {
  await assertSameOnWasmAndCpu('attention/MLP step', () => {
    const [batch, seq, hidden, ffn, vocab, classes] = [2, 8, 16, 32, 30, 5];
    const params = {
      emb: rand([vocab, hidden], 20),
      wq: rand([hidden, hidden], 21),
      wk: rand([hidden, hidden], 22),
      wv: rand([hidden, hidden], 23),
      w1: rand([hidden, ffn], 24),
      b1: rand([ffn], 25),
      w2: rand([ffn, classes], 26),
      b2: rand([classes], 27),
    };
    const ids = tf.tensor2d(Array.from({ length: batch * seq }, (_, i) => (i * 7) % vocab), [batch, seq], 'int32');
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch * seq }, (_, i) => i % classes), 'int32'), classes);
    const names = Object.keys(params) as (keyof typeof params)[];
    const lossFn = (...p: tf.Tensor[]): tf.Scalar => {
      const P = Object.fromEntries(names.map((n, i) => [n, p[i]])) as typeof params;
      const x = tf.gather(P.emb, ids); // [B,S,H]
      const q = tf.matMul(x, P.wq);
      const k = tf.matMul(x, P.wk);
      const v = tf.matMul(x, P.wv);
      const att = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hidden)));
      const ctx = tf.add(x, tf.matMul(att, v));
      const h = tf.relu(tf.add(tf.matMul(tf.reshape(ctx, [batch * seq, hidden]), P.w1), P.b1));
      const logits = tf.add(tf.matMul(h, P.w2), P.b2);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(lossFn)(names.map((n) => params[n]));
    return [value, ...grads];
  });
});

test('a process using threaded wasm exits by itself; shutdownBackend allows a clean re-init', async () => {
  const backendModule = path.join(__dirname, '..', 'src', 'engine', 'backend', 'index.ts');
  const script = `
    const tf = require('@tensorflow/tfjs-core');
    const { initBackend } = require(${JSON.stringify(backendModule)});
    initBackend('wasm', { threads: 2 }).then((r) => {
      tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]), false, true).dataSync();
      console.log(r.describe());
    });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.signal, null, `child did not exit by itself (stderr: ${child.stderr})`);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /^wasm \(/);

  shutdownBackend();
  const again = await initBackend('wasm', { threads: 1 });
  assert.equal(again.threads, 1);
  assert.deepEqual(Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([2, 3]), false, true).dataSync()), [3, 3, 3, 3]);
});

test('shutdownBackend before any backend started leaves cpu usable (it must not half-start wasm)', () => {
  const script = `
    const tf = require('@tensorflow/tfjs-core');
    const { initBackend, shutdownBackend } = require('./src/engine/backend');
    (async () => { shutdownBackend(); await initBackend('cpu'); console.log(tf.sum(tf.ones([3])).dataSync()[0]); process.exit(0); })()
      .catch((e) => { console.log('failed: ' + e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^3$/m);
});

// ---- Transpose, Cast, SIMD column sums, the transposed matmul formulation, fused GELU/LayerNorm/dropout ----

/** Runs the same comparison with the SIMD kernels on, then off (the JS fallbacks). */
async function withAndWithoutSimd(label: string, f: () => tf.Tensor[]): Promise<void> {
  await assertSameOnWasmAndCpu(`${label} (SIMD)`, f);
  setSimdKernelsEnabled(false);
  try {
    await assertSameOnWasmAndCpu(`${label} (JS fallback)`, f);
  } finally {
    setSimdKernelsEnabled(true);
  }
}

test('the SIMD kernel module assembles and validates (shared and unshared memory)', async () => {
  await initBackend('wasm');
  for (const shared of [false, true]) {
    assert.ok((globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(kernelModuleBytes(shared)), `shared=${shared}`);
  }
  await tf.setBackend('wasm');
  assert.ok(simdKernelsOf(tf.backend() as never), 'the kernels run on the wasm backend here');
  assert.equal(tf.getKernel('Transpose', 'wasm')?.kernelFunc.name, 'fastTranspose');
  assert.equal(tf.getKernel('Cast', 'wasm')?.kernelFunc.name, 'fastCast');
});

test('Transpose equals cpu for every permutation kind, float32 and int32, with gradients', async () => {
  const cases: [number[], number[]][] = [
    [[5, 7], [1, 0]], [[36, 44], [1, 0]], [[37, 45], [1, 0]], [[64, 130], [1, 0]],
    [[3, 5, 6], [0, 2, 1]], [[2, 33, 17], [0, 2, 1]],
    [[4, 6, 3, 8], [0, 2, 1, 3]], [[2, 9, 5, 3], [0, 2, 1, 3]],
    [[6, 5, 8], [1, 0, 2]], [[2, 3, 4], [2, 0, 1]], [[2, 3, 4, 5], [3, 1, 2, 0]],
  ];
  await withAndWithoutSimd('transposes', () => cases.flatMap(([shape, perm], i) => {
    const x = rand(shape, 40 + i);
    const w = rand(perm.map((ax) => shape[ax]), 60 + i);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.transpose(t, perm), w)))(x);
    const ints = tf.cast(tf.mul(x, 1000), 'int32');
    return [tf.transpose(x, perm), g, tf.cast(tf.transpose(ints, perm), 'float32')];
  }));
});

test('Transpose that moves no data, and Cast to the same dtype, share memory (and stay valid)', async () => {
  await tf.setBackend('wasm');
  const before = tf.backend().numDataIds();
  const x = rand([8, 1, 6, 5], 70);
  const values = Array.from(x.dataSync());
  const moved = tf.transpose(x, [0, 2, 1, 3]);
  const same = tf.transpose(x, [0, 1, 2, 3]);
  const cast = tf.cast(x, 'float32');
  assert.deepEqual(moved.shape, [8, 6, 1, 5]);
  assert.equal(tf.backend().numDataIds(), before + 1, 'no copies');
  x.dispose();
  for (const t of [moved, same, cast]) assert.deepEqual(Array.from(t.dataSync()), values);
  tf.dispose([moved, same, cast]);
  assert.equal(tf.backend().numDataIds(), before);
  const ints = tf.cast(tf.tensor([1.7, -2.2, 3.9]), 'int32');
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3], 'casts that change dtype still convert');
  ints.dispose();
});

test('leading-axis Sum (SIMD column sums) equals cpu for widths around multiples of 4 and 16', async () => {
  await withAndWithoutSimd('column sums', () => [[64, 36], [33, 17], [9, 16], [5, 3], [2, 6, 20]].map((shape, i) => tf.sum(rand(shape, 80 + i), shape.length === 3 ? [0, 1] : 0)));
});

test('matMul through the transposed formulation (packing the smaller operand) equals cpu, with gradients', async () => {
  // Shapes like the FFN-out weight gradient and the generator's vocabulary head, scaled down.
  assert.ok(preferTransposedProduct(8, 64, 40, true, false), 'Aᵀ·B with a wide B');
  assert.ok(preferTransposedProduct(8, 16, 300, false, true), 'A·Bᵀ with a tall B (vocabulary head)');
  assert.ok(!preferTransposedProduct(1024, 256, 256, false, true), 'forward linear stays direct');
  assert.ok(!preferTransposedProduct(1024, 1024, 256, true, false), 'FFN-in weight gradient stays direct');
  await withAndWithoutSimd('transposed product', () => [
    ...matMulWithGrads([64, 8], [64, 40], true, false)(),
    ...matMulWithGrads([8, 16], [300, 16], false, true)(),
    ...matMulWithGrads([64, 10], [40, 64], true, true)(),
  ]);
});

test('fused GELU, LayerNorm and dropout equal the tfjs-op versions on cpu: values and gradients', async () => {
  const f = () => {
    const x = tf.concat([tf.reshape(rand([3, 7, 5], 90), [105]), tf.tensor([-40, -9, -4.5, -1e-3, 0, 2e-3, 3.9, 4.2, 12, 30])]);
    const xg = tf.mul(x, 3);
    const w = rand([115], 91);
    const [geluGrad] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)))([xg]);
    const out: tf.Tensor[] = [gelu(xg), geluGrad];
    for (const [shape, seed] of [[[6, 12], 92], [[2, 3, 64], 93], [[5, 10], 94]] as [number[], number][]) {
      const h = shape[shape.length - 1];
      const [xs, gamma, beta, dy] = [rand(shape, seed), tf.add(rand([h], seed + 1), 1), rand([h], seed + 2), rand(shape, seed + 3)];
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b, 1e-12), dy)))([tf.mul(xs, 5), gamma, beta]);
      out.push(layerNorm(tf.mul(xs, 5), gamma, beta, 1e-12), ...grads);
    }
    for (const n of [37, 64, 1001]) {
      const xs = rand([n], 95 + n);
      const seeds = new DropoutSeeds(n);
      const dropped = dropout(xs, 0.1, seeds);
      const dy = rand([n], 96);
      const [dx] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(dropout(t, 0.1, new DropoutSeeds(n)), dy)))([xs]);
      out.push(dropped, dx);
    }
    return out;
  };
  await assertSameOnWasmAndCpu('fused ops', f);
  // The wasm run really used the fused kernels (and the tfjs ops when fused ops are off).
  await tf.setBackend('wasm');
  const names = async () => new Set((await tf.profile(() => { tf.dispose(f()); return tf.scalar(0); })).kernels.map((k) => k.name));
  const fused = await names();
  for (const k of ['ElectraGelu', 'ElectraGeluGrad', 'ElectraLayerNorm', 'ElectraLayerNormGrad', 'ElectraDropout']) assert.ok(fused.has(k), `${k} ran`);
  setFusedOpsEnabled(false);
  try {
    assert.ok(!(await names()).has('ElectraGelu'), 'off: tfjs ops');
    await assertSameOnWasmAndCpu('tfjs-op versions on wasm', f);
  } finally {
    setFusedOpsEnabled(true);
  }
});

test('dropout keeps the share of elements it should, with the same mask for the same seed', () => {
  const n = 200_000;
  const a = dropoutMask(n, 0.1, 7);
  const b = dropoutMask(n, 0.1, 7);
  const c = dropoutMask(n, 0.1, 8);
  const kept = a.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / n;
  assert.ok(Math.abs(kept - 0.9) < 0.005, `kept ${kept}`);
  assert.ok(a.every((v) => v === 0 || v === Math.fround(1 / 0.9)));
  assert.deepEqual(a, b);
  assert.ok(a.some((v, i) => v !== c[i]), 'another seed, another mask');
  const u = uniformNoise(n, 3);
  const mean = u.reduce((s, v) => s + v, 0) / n;
  assert.ok(u.every((v) => v >= 0 && v < 1) && Math.abs(mean - 0.5) < 0.005, `uniform mean ${mean}`);
});

test('fused softmax cross-entropy and Gumbel-max sampling equal the tfjs-op versions on cpu', async () => {
  const shapes: [number, number][] = [[6, 37], [3, 4], [5, 64], [4, 301]];
  const f = () => shapes.flatMap(([rows, vocab], i) => {
    const logits = tf.mul(rand([rows, vocab], 100 + i), 8) as tf.Tensor2D;
    const labels = tf.tensor1d(Array.from({ length: rows }, (_, r) => (r * 7 + i) % vocab), 'int32');
    const w = rand([rows], 110 + i);
    const lossOf = (l: tf.Tensor) => {
      const fused = fusedSoftmaxCrossEntropy(l as tf.Tensor2D, labels);
      return fused ?? tf.neg(tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(labels, vocab)), -1));
    };
    const [grad] = tf.grads((l: tf.Tensor) => tf.sum(tf.mul(lossOf(l), w)))([logits]);
    const out: tf.Tensor[] = [lossOf(logits), grad];
    for (const temperature of [1, 0.7]) {
      const fused = fusedGumbelArgmax(logits, 1234 + i, temperature);
      const gumbel = tf.neg(tf.log(tf.neg(tf.log(tf.tensor(uniformNoise(logits.size, 1234 + i), logits.shape)))));
      const samples = fused?.samples ?? tf.argMax(tf.add(temperature === 1 ? logits : tf.div(logits, temperature), gumbel), -1);
      const predictions = fused?.predictions ?? tf.argMax(logits, -1);
      out.push(tf.cast(samples, 'float32'), tf.cast(predictions, 'float32'));
    }
    return out;
  });
  await assertSameOnWasmAndCpu('softmax cross-entropy and sampling', f);
  await tf.setBackend('wasm');
  const ran = new Set((await tf.profile(() => { tf.dispose(f()); return tf.scalar(0); })).kernels.map((k) => k.name));
  for (const k of ['ElectraSoftmaxCrossEntropy', 'ElectraSoftmaxCrossEntropyGrad', 'ElectraGumbelArgmax']) assert.ok(ran.has(k), `${k} ran`);
  await runOn('wasm', () => {
    assert.throws(() => fusedSoftmaxCrossEntropy(tf.zeros([2, 8]) as tf.Tensor2D, tf.tensor1d([1, 8], 'int32')), /label 8 is not in \[0, 7\]/);
    return [];
  });
});

test('GatherV2 (row copies) equals cpu, with gradients, and rejects out-of-range indices like the stock kernel', async () => {
  await assertSameOnWasmAndCpu('gathers', () => {
    const table = rand([12, 5], 120);
    const ids = tf.tensor2d([[0, 11, 3], [3, 3, 7]], [2, 3], 'int32');
    const ints = tf.cast(tf.mul(table, 100), 'int32');
    const w = rand([2, 3, 5], 121);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table);
    return [tf.gather(table, ids), tf.cast(tf.gather(ints, ids), 'float32'), tf.gather(table, tf.tensor1d([4, 0], 'int32'), 1), g, tf.gather(rand([30], 122), tf.tensor1d([29, 0, 5], 'int32'))];
  });
  await runOn('wasm', () => {
    assert.throws(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([4], 'int32')), /GatherV2: the index value 4 is not in \[0, 3\]/);
    return [];
  });
});
