/**
 * Stock tfjs-backend-wasm vs our kernels (src/engine/backend/) on the operations of one ELECTRA-Small
 * training step: matrix products (GFLOP/s), transposes, the leading-axis Sum, and GELU / LayerNorm /
 * dropout / the vocabulary cross-entropy forward + backward (ms).
 *
 *   node --import tsx bench/matmul.ts [--threads N]
 *
 * "stock" is tfjs-backend-wasm's own kernels, and for GELU / LayerNorm / dropout / cross-entropy the
 * model's tfjs-op versions (the fused kernels off); "ours" is what training runs (installWasmKernelFixes).
 * Products are timed as training runs them: both operands are new tensors on every call (XNNPACK packs
 * its right operand once per new tensor, at ~3.4-5.5 ns per element, so re-using one tensor would hide
 * that cost); the time to make the fresh copies is measured separately and subtracted.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../src/engine/backend';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/engine/backend/wasm-kernels';
import { DropoutSeeds, dropout, gelu, layerNorm } from '../src/engine/model/layers';
import { fusedSoftmaxCrossEntropy } from '../src/engine/backend/fused-ops';

interface Case {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const CASES: Case[] = [
  { name: 'forward X·Wᵀ  [1024,256]×[256,256]ᵀ', a: [1024, 256], b: [256, 256], transposeA: false, transposeB: true },
  { name: 'forward X·Wᵀ  [1024,256]×[1024,256]ᵀ', a: [1024, 256], b: [1024, 256], transposeA: false, transposeB: true },
  { name: 'dX = dY·W     [1024,256]×[256,1024]', a: [1024, 256], b: [256, 1024], transposeA: false, transposeB: false },
  { name: 'dW = dYᵀ·X    [1024,256]ᵀ×[1024,256]', a: [1024, 256], b: [1024, 256], transposeA: true, transposeB: false },
  { name: 'dW = dYᵀ·X    [1024,256]ᵀ×[1024,1024]', a: [1024, 256], b: [1024, 1024], transposeA: true, transposeB: false },
  { name: 'dW = dYᵀ·X    [1024,1024]ᵀ×[1024,256]', a: [1024, 1024], b: [1024, 256], transposeA: true, transposeB: false },
  { name: 'scores Q·Kᵀ   [32,128,64]×[32,128,64]ᵀ', a: [32, 128, 64], b: [32, 128, 64], transposeA: false, transposeB: true },
  { name: 'context P·V   [32,128,128]×[32,128,64]', a: [32, 128, 128], b: [32, 128, 64], transposeA: false, transposeB: false },
  { name: 'vocab h·Eᵀ    [152,128]×[30522,128]ᵀ', a: [152, 128], b: [30522, 128], transposeA: false, transposeB: true },
  { name: 'vocab dE=gᵀ·h [152,30522]ᵀ×[152,128]', a: [152, 30522], b: [152, 128], transposeA: true, transposeB: false },
];

function flops(c: Case): number {
  const m = c.transposeA ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
  const k = c.transposeA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = Math.max(tf.util.sizeFromShape(c.a.slice(0, -2)), tf.util.sizeFromShape(c.b.slice(0, -2)));
  return 2 * batch * m * n * k;
}

/**
 * Median seconds per call of `fn`, within roughly `budgetMs`. The warm-up is long on purpose: V8 tiers
 * wasm code up lazily (and per thread), so the first ~0.1-0.3 s of a new shape can be several times slower.
 */
function timeIt(fn: () => tf.Tensor | tf.Tensor[], budgetMs = 1200): number {
  const warm = Date.now() + 400;
  for (let i = 0; i < 3 || Date.now() < warm; i++) tf.dispose(fn());
  const times: number[] = [];
  const end = Date.now() + budgetMs;
  while (times.length < 3 || (Date.now() < end && times.length < 50)) {
    const t = performance.now();
    const out = fn();
    times.push((performance.now() - t) / 1000);
    tf.dispose(out);
  }
  times.sort((p, q) => p - q);
  return times[Math.floor(times.length / 2)];
}

/** Median seconds of `fn` under both kernel sets: [stock, ours]. */
function compare(fn: () => tf.Tensor | tf.Tensor[]): [number, number] {
  uninstallWasmKernelFixes();
  const stock = timeIt(fn);
  installWasmKernelFixes();
  return [stock, timeIt(fn)];
}

const row = (name: string, stock: number, ours: number, unit: string, digits = 1) =>
  console.log(`${name.padEnd(44)} ${stock.toFixed(digits).padStart(8)} ${ours.toFixed(digits).padStart(8)}  ${unit}`);

async function main(): Promise<void> {
  const ti = process.argv.indexOf('--threads');
  const threads = ti > 0 ? Number(process.argv[ti + 1]) : undefined;
  const report = await initBackend('wasm', { threads });
  console.log(`backend: ${report.describe()}`);
  console.log(`${'product (fresh operands, as in training)'.padEnd(44)} ${'stock'.padStart(8)} ${'ours'.padStart(8)}  GFLOP/s`);
  for (const c of CASES) {
    const a = tf.randomNormal(c.a);
    const b = tf.randomNormal(c.b);
    const copies = () => [tf.add(a, 0), tf.add(b, 0)];
    const [copyStock, copyOurs] = compare(copies);
    const [stock, ours] = compare(() => tf.tidy(() => {
      const [a2, b2] = copies();
      return tf.matMul(a2, b2, c.transposeA, c.transposeB);
    }));
    row(c.name, flops(c) / (stock - copyStock) / 1e9, flops(c) / (ours - copyOurs) / 1e9, 'GFLOP/s');
    tf.dispose([a, b]);
  }

  console.log(`\n${'operation'.padEnd(44)} ${'stock'.padStart(8)} ${'ours'.padStart(8)}  ms`);
  for (const [shape, perm] of [[[1024, 1024], [1, 0]], [[1024, 256], [1, 0]], [[8, 128, 4, 64], [0, 2, 1, 3]], [[30522, 128], [1, 0]]] as [number[], number[]][]) {
    const x = tf.randomNormal(shape);
    const [stock, ours] = compare(() => tf.transpose(x, perm));
    row(`transpose [${shape}] (${perm})`, stock * 1000, ours * 1000, 'ms', 2);
    x.dispose();
  }
  const x = tf.randomNormal([1024, 1024]);
  const [sStock, sOurs] = compare(() => tf.sum(x, 0));
  row('Sum axis 0 [1024,1024]', sStock * 1000, sOurs * 1000, 'ms', 2);

  // Forward + backward, as autodiff runs them in a step.
  const dy = tf.randomNormal([1024, 1024]);
  const [gStock, gOurs] = compare(() => tf.grads((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dy)))([x]));
  row('GELU fwd+bwd [1024,1024]', gStock * 1000, gOurs * 1000, 'ms', 2);
  const x256 = tf.randomNormal([1024, 256]);
  const dy256 = tf.randomNormal([1024, 256]);
  const [gamma, beta] = [tf.ones([256]), tf.zeros([256])];
  const [lStock, lOurs] = compare(() => tf.grads((t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(t, g, b, 1e-12), dy256)))([x256, gamma, beta]));
  row('LayerNorm fwd+bwd [1024,256]', lStock * 1000, lOurs * 1000, 'ms', 2);
  const [dStock, dOurs] = compare(() => tf.grads((t: tf.Tensor) => tf.sum(tf.mul(dropout(t, 0.1, new DropoutSeeds(1)), dy)))([x]));
  row('dropout fwd+bwd [1024,1024]', dStock * 1000, dOurs * 1000, 'ms', 2);
  const logits = tf.randomNormal([152, 30522]);
  const labels = tf.tensor1d(Array.from({ length: 152 }, (_, i) => (i * 997) % 30522), 'int32');
  const xent = (l: tf.Tensor) => fusedSoftmaxCrossEntropy(l as tf.Tensor2D, labels) ?? tf.neg(tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(labels, 30522)), -1));
  const [cStock, cOurs] = compare(() => tf.grads((l: tf.Tensor) => tf.sum(xent(l)))([logits]));
  row('cross-entropy fwd+bwd [152,30522]', cStock * 1000, cOurs * 1000, 'ms', 2);
  tf.dispose([x, dy, x256, dy256, gamma, beta, logits, labels]);
  shutdownBackend();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
