// Backend selection and the wasm kernel fixes: the patched wasm kernels must agree with the pure-JS cpu
// backend (the reference) on values and gradients. Run: node --import tsx --test test/backend.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../src/engine/backend';
import { isUserError } from '../src/engine/errors';

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

test('auto selects wasm here and says why gpu and node were skipped', async () => {
  const report = await initBackend('auto');
  assert.equal(report.backend, 'wasm');
  assert.equal(report.tier, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(report.skipped.map((s) => s.tier), ['gpu', 'node']);
  assert.match(report.skipped[0].reason, /@tensorflow\/tfjs-node-gpu is not installed \(npm install .*CUDA/);
  assert.match(report.skipped[1].reason, /@tensorflow\/tfjs-node is not installed \(npm install /);
  for (const s of report.skipped) assert.ok(!s.reason.includes('\n'), 'one line per reason');
  assert.ok(report.threads >= 1);
  assert.match(report.describe(), /^wasm \(\d+ threads?.*\); skipped gpu: .*, node: /);
  // Calling again is harmless and returns the same report.
  assert.equal(await initBackend('auto'), report);
});

test('wasm uses 2 threads on this 2-core machine (or says why not)', async () => {
  const report = await initBackend('auto');
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
