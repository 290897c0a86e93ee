/**
 * GFLOP/s of the stock tfjs-backend-wasm BatchMatMul vs our re-registered one (src/engine/backend/
 * wasm-kernels.ts), for the products of one ELECTRA-Small training step, plus the leading-axis Sum.
 *
 *   node --import tsx bench/matmul.ts [--threads N]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../src/engine/backend';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/engine/backend/wasm-kernels';

interface Case {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const CASES: Case[] = [
  { name: 'dX = dY·Wᵀ    [1024,256]×[256,256]ᵀ', a: [1024, 256], b: [256, 256], transposeA: false, transposeB: true },
  { name: 'dW = Xᵀ·dY    [1024,256]ᵀ×[1024,1024]', a: [1024, 256], b: [1024, 1024], transposeA: true, transposeB: false },
  { name: 'scores Q·Kᵀ   [32,128,64]×[32,128,64]ᵀ', a: [32, 128, 64], b: [32, 128, 64], transposeA: false, transposeB: true },
  { name: 'context P·V   [32,128,128]×[32,128,64]', a: [32, 128, 128], b: [32, 128, 64], transposeA: false, transposeB: false },
  { name: 'forward X·W   [1024,256]×[256,1024]', a: [1024, 256], b: [256, 1024], transposeA: false, transposeB: false },
  { name: 'dense 3-D·2-D [8,128,256]×[256,256]', a: [8, 128, 256], b: [256, 256], transposeA: false, transposeB: false },
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
function timeIt(fn: () => tf.Tensor, budgetMs = 1500): number {
  const warm = Date.now() + 400;
  for (let i = 0; i < 3 || Date.now() < warm; i++) fn().dispose();
  const times: number[] = [];
  const end = Date.now() + budgetMs;
  while (times.length < 3 || (Date.now() < end && times.length < 50)) {
    const t = performance.now();
    const out = fn();
    out.dataSync();
    times.push((performance.now() - t) / 1000);
    out.dispose();
  }
  times.sort((p, q) => p - q);
  return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const ti = process.argv.indexOf('--threads');
  const threads = ti > 0 ? Number(process.argv[ti + 1]) : undefined;
  const report = await initBackend('wasm', { threads });
  console.log(`backend: ${report.describe()}`);
  console.log(`${'product'.padEnd(42)} ${'stock'.padStart(8)} ${'patched'.padStart(8)}  ratio   (GFLOP/s)`);
  for (const c of CASES) {
    const a = tf.randomNormal(c.a);
    const b = tf.randomNormal(c.b);
    const run = () => tf.matMul(a, b, c.transposeA, c.transposeB);
    uninstallWasmKernelFixes();
    const stock = flops(c) / timeIt(run) / 1e9;
    installWasmKernelFixes();
    const patched = flops(c) / timeIt(run) / 1e9;
    console.log(`${c.name.padEnd(42)} ${stock.toFixed(1).padStart(8)} ${patched.toFixed(1).padStart(8)}  ${(patched / stock).toFixed(1)}x`);
    tf.dispose([a, b]);
  }

  // Bias / LayerNorm-scale gradient: a sum over the leading (token) axis.
  const x = tf.randomNormal([1024, 1024]);
  const sum = () => tf.sum(x, 0);
  uninstallWasmKernelFixes();
  const sStock = timeIt(sum) * 1000;
  installWasmKernelFixes();
  const sPatched = timeIt(sum) * 1000;
  console.log(`${'Sum axis 0 [1024,1024] (ms)'.padEnd(42)} ${sStock.toFixed(2).padStart(8)} ${sPatched.toFixed(2).padStart(8)}  ${(sStock / sPatched).toFixed(1)}x faster`);
  x.dispose();
  shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
