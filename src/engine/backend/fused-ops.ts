/**
 * Fused GELU, LayerNorm and dropout for tfjs-backend-wasm: tfjs kernels (registered for 'wasm' under our
 * own names, with gradients) that run the SIMD kernels of wasm-simd.ts on the heap.
 *
 * WHY (measured, ELECTRA-Small step at batch 8 × 128): built from tfjs ops, one GELU on [1024,1024] took
 * ~11 ms forward and ~33 ms forward + backward (the stock Erf and Exp kernels cost ~13 and ~5 ns per
 * element), and one LayerNorm on [1024,256] ~12 ms forward + backward (80 kernels under autodiff, each
 * with ~50 µs of tfjs bookkeeping). Fused: ~1 and ~2 ns per element for GELU, one pass each way for
 * LayerNorm. The model code (model/layers.ts) asks `fusedGelu` & co. first and falls back to the tfjs ops
 * when they return undefined: on other backends, when the SIMD module cannot run, for shapes the kernels
 * do not take (LayerNorm width not a multiple of 4), and while the fixes are uninstalled (benchmarks).
 *
 * Same math as the tfjs-op versions, in float32: GELU(x) = (x·0.5)·(1 + erf(x·√½)) with erf from XLA's
 * float32 approximation (within 5e-7); LayerNorm as tf.moments + rsqrt; dropout with the very masks
 * `dropoutMask` draws (same seed → same mask on every backend and path). The elements a SIMD loop leaves
 * over (n % 4) are done here in JS with the same float32 operations, so results do not depend on where
 * an element falls.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { LINEAR, linearGradient, wasmLinearKernel } from './fused-linear';
import { EXP_HI, EXP_LO, EXP_P, ERF_P, ERF_Q, LN2_HI, LN2_LO, heapOffset, simdKernelsOf, type SimdKernels, type WasmBackendLike } from './wasm-simd';

const GELU = 'ElectraGelu';
const GELU_GRAD = 'ElectraGeluGrad';
const LAYER_NORM = 'ElectraLayerNorm';
const LAYER_NORM_GRAD = 'ElectraLayerNormGrad';
const DROPOUT = 'ElectraDropout';
const SOFTMAX_XENT = 'ElectraSoftmaxCrossEntropy';
const SOFTMAX_XENT_GRAD = 'ElectraSoftmaxCrossEntropyGrad';
const GUMBEL_ARGMAX = 'ElectraGumbelArgmax';

type KernelArgs = Parameters<KernelFunc>[0];

// ---- counter-based random bits (shared with the tfjs-op fallback in model/layers.ts) ----

/** 32-bit integer hash (hash-prospector's lowbias32). */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return x ^ (x >>> 16);
}

/** The per-stream key: element i of the stream of `seed` is hash32(i·φ ⊕ key). */
function streamKey(seed: number): number {
  return hash32(hash32((seed | 0) ^ 0x3c6ef372) + Math.floor(seed / 4294967296));
}

const PHI = 0x9e3779b9;

/** Keep iff the element's 32-bit draw, as unsigned, is ≥ rate·2^32 (compared signed after flipping bit 31). */
function dropoutThreshold(rate: number): number {
  return (Math.min(4294967295, Math.floor(rate * 4294967296)) - 2147483648) | 0;
}

/** n dropout multipliers: 0 with probability `rate`, else 1/(1 − rate) in float32 (as tf.dropout's). */
export function dropoutMask(n: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const scale = Math.fround(1 / (1 - rate));
  const threshold = dropoutThreshold(rate);
  const key = streamKey(seed);
  for (let i = 0; i < n; i++) {
    if ((hash32(Math.imul(i, PHI) ^ key) ^ 0x80000000) >= threshold) out[i] = scale;
  }
  return out;
}

/** n uniform floats in [0, 1) with 24-bit resolution (every value exactly representable, never 1). */
export function uniformNoise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const key = streamKey(seed);
  for (let i = 0; i < n; i++) out[i] = (hash32(Math.imul(i, PHI) ^ key) >>> 8) * 5.9604644775390625e-8;
  return out;
}

// ---- float32 mirrors of the SIMD formulas (for the n % 4 leftovers) ----

const f = Math.fround;
const pmin = (a: number, b: number) => (b < a ? b : a);
const pmax = (a: number, b: number) => (a < b ? b : a);
const horner = (x: number, coefficients: number[]) => coefficients.slice(1).reduce((acc, c) => f(f(acc * x) + f(c)), f(coefficients[0]));
/** Round half to even, as f32x4.nearest. */
function nearest(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
function erf32(x: number): number {
  const t = pmax(pmin(x, 4), -4);
  const x2 = f(t * t);
  return f(f(t * horner(x2, ERF_P)) / horner(x2, ERF_Q));
}
function exp32(x: number): number {
  const t = pmax(pmin(x, EXP_HI), f(EXP_LO));
  const n = nearest(f(t * f(Math.LOG2E)));
  const r = f(f(t - f(n * f(LN2_HI))) - f(n * f(LN2_LO)));
  const p = horner(r, EXP_P);
  return f(f(f(f(p * f(r * r)) + r) + 1) * 2 ** n);
}
const SQRT1_2 = f(Math.SQRT1_2);
const INV_SQRT_2PI = f(1 / Math.sqrt(2 * Math.PI));
const gelu32 = (x: number) => f(f(x * 0.5) * f(1 + erf32(f(x * SQRT1_2))));
function geluGrad32(dy: number, x: number): number {
  const e = erf32(f(x * SQRT1_2));
  const g = exp32(f(f(x * x) * -0.5));
  return f(dy * f(f(0.5 * f(1 + e)) + f(x * f(g * INV_SQRT_2PI))));
}

// ---- kernels ----

function wasmArgs(args: KernelArgs): { backend: WasmBackendLike; simd: SimdKernels } {
  const backend = args.backend as unknown as WasmBackendLike;
  const simd = simdKernelsOf(backend);
  if (!simd) throw new Error(`${GELU}/${LAYER_NORM}/${DROPOUT}: the SIMD kernels are not available on this backend`);
  return { backend, simd };
}

function geluKernel(args: KernelArgs): TensorInfo {
  const { backend, simd } = wasmArgs(args);
  const { x } = args.inputs as { x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  simd.gelu(heapOffset(backend, x), heapOffset(backend, out), n);
  if (n % 4 !== 0) {
    const xs = backend.typedArrayFromHeap(x);
    const ys = backend.typedArrayFromHeap(out);
    for (let i = n & ~3; i < n; i++) ys[i] = gelu32(xs[i]);
  }
  return out;
}

function geluGradKernel(args: KernelArgs): TensorInfo {
  const { backend, simd } = wasmArgs(args);
  const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  simd.geluGrad(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, out), n);
  if (n % 4 !== 0) {
    const [dys, xs, dxs] = [backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    for (let i = n & ~3; i < n; i++) dxs[i] = geluGrad32(dys[i], xs[i]);
  }
  return out;
}

function dropoutKernel(args: KernelArgs): TensorInfo {
  const { backend, simd } = wasmArgs(args);
  const { x } = args.inputs as { x: TensorInfo };
  const { rate, seed } = args.attrs as { rate: number; seed: number };
  const out = backend.makeOutput(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  const scale = f(1 / (1 - rate));
  const scaleBits = new Int32Array(new Float32Array([scale]).buffer)[0];
  const key = streamKey(seed);
  const threshold = dropoutThreshold(rate);
  simd.dropout(heapOffset(backend, x), heapOffset(backend, out), n, key, threshold, scaleBits);
  if (n % 4 !== 0) {
    const [xs, ys] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    for (let i = n & ~3; i < n; i++) ys[i] = (hash32(Math.imul(i, PHI) ^ key) ^ 0x80000000) >= threshold ? f(xs[i] * scale) : 0;
  }
  return out;
}

const epsBits = (eps: number) => new Int32Array(new Float32Array([eps]).buffer)[0];

function layerNormKernel(args: KernelArgs): TensorInfo {
  const { backend, simd } = wasmArgs(args);
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { eps } = args.attrs as { eps: number };
  const H = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / H;
  const out = backend.makeOutput(x.shape, 'float32');
  simd.layerNorm(heapOffset(backend, x), heapOffset(backend, gamma), heapOffset(backend, beta), heapOffset(backend, out), rows, H, epsBits(eps));
  return out;
}

function layerNormGradKernel(args: KernelArgs): TensorInfo[] {
  const { backend, simd } = wasmArgs(args);
  const { dy, x, gamma } = args.inputs as { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo };
  const { eps } = args.attrs as { eps: number };
  const H = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / H;
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgamma = backend.makeOutput([H], 'float32');
  const dbeta = backend.makeOutput([H], 'float32');
  // float64 accumulators for the column sums: 2H doubles in one scratch tensor.
  const scratch = backend.makeOutput([4 * H], 'float32');
  try {
    backend.typedArrayFromHeap(scratch).fill(0);
    const base = heapOffset(backend, scratch);
    simd.layerNormGrad(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, gamma), heapOffset(backend, dx), base, base + 8 * H, rows, H, epsBits(eps));
    const acc = new Float64Array((backend.typedArrayFromHeap(scratch) as Float32Array).buffer, base, 2 * H);
    (backend.typedArrayFromHeap(dgamma) as Float32Array).set(acc.subarray(0, H));
    (backend.typedArrayFromHeap(dbeta) as Float32Array).set(acc.subarray(H));
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return [dx, dgamma, dbeta];
}

/** log Σ_v exp(x[r,v]) per row of [R, V] (float64): SIMD max and Σexp passes, the log in JS. */
function rowLogSumExp(backend: WasmBackendLike, simd: SimdKernels, logits: TensorInfo, R: number, V: number): Float64Array {
  // Scratch: R float64 sums, then R float32 maxes.
  const scratch = backend.makeOutput([3 * R], 'float32');
  try {
    const base = heapOffset(backend, scratch);
    simd.rowMax(heapOffset(backend, logits), R, V, base + 8 * R);
    simd.rowSumExp(heapOffset(backend, logits), R, V, base + 8 * R, base);
    const buffer = (backend.typedArrayFromHeap(scratch) as Float32Array).buffer;
    const sums = new Float64Array(buffer, base, R);
    const maxes = new Float32Array(buffer, base + 8 * R, R);
    return Float64Array.from(sums, (sum, r) => maxes[r] + Math.log(sum));
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

function checkedLabels(backend: WasmBackendLike, labels: TensorInfo, V: number): Int32Array {
  const ids = backend.typedArrayFromHeap(labels) as Int32Array;
  for (const id of ids) tf.util.assert(id >= 0 && id < V, () => `${SOFTMAX_XENT}: label ${id} is not in [0, ${V - 1}]`);
  return ids;
}

/** nll[r] = log Σ_v exp(x[r,v]) − x[r, labels[r]] for logits [R, V]. */
function softmaxXentKernel(args: KernelArgs): TensorInfo {
  const { backend, simd } = wasmArgs(args);
  const { logits, labels } = args.inputs as { logits: TensorInfo; labels: TensorInfo };
  const [R, V] = logits.shape;
  const out = backend.makeOutput([R], 'float32');
  const lse = rowLogSumExp(backend, simd, logits, R, V);
  const ids = checkedLabels(backend, labels, V);
  const xs = backend.typedArrayFromHeap(logits);
  const nll = backend.typedArrayFromHeap(out);
  for (let r = 0; r < R; r++) nll[r] = lse[r] - xs[r * V + ids[r]];
  return out;
}

/** dlogits[r,v] = dy[r]·(softmax(x)[r,v] − [v = labels[r]]). */
function softmaxXentGradKernel(args: KernelArgs): TensorInfo {
  const { backend, simd } = wasmArgs(args);
  const { dy, logits, labels } = args.inputs as { dy: TensorInfo; logits: TensorInfo; labels: TensorInfo };
  const [R, V] = logits.shape;
  const dx = backend.makeOutput(logits.shape, 'float32');
  const lse32 = backend.makeOutput([R], 'float32');
  try {
    (backend.typedArrayFromHeap(lse32) as Float32Array).set(rowLogSumExp(backend, simd, logits, R, V));
    simd.rowSoftmaxGrad(heapOffset(backend, logits), R, V, heapOffset(backend, lse32), heapOffset(backend, dy), heapOffset(backend, dx));
  } finally {
    backend.disposeData(lse32.dataId);
  }
  const ids = checkedLabels(backend, labels, V);
  const [dys, dxs] = [backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(dx)];
  for (let r = 0; r < R; r++) dxs[r * V + ids[r]] = f(dxs[r * V + ids[r]] - dys[r]);
  return dx;
}

/** [samples, predictions] (int32 [R]) of logits [R, V]: Gumbel-max draws and plain argmax. */
function gumbelArgmaxKernel(args: KernelArgs): TensorInfo[] {
  const { backend, simd } = wasmArgs(args);
  const { logits } = args.inputs as { logits: TensorInfo };
  const { seed, temperature } = args.attrs as { seed: number; temperature: number };
  const [R, V] = logits.shape;
  const samples = backend.makeOutput([R], 'int32');
  const predictions = backend.makeOutput([R], 'int32');
  const temperatureBits = new Int32Array(new Float32Array([temperature]).buffer)[0];
  simd.gumbelArgmax(heapOffset(backend, logits), R, V, streamKey(seed), temperatureBits, heapOffset(backend, samples), heapOffset(backend, predictions));
  return [samples, predictions];
}

// ---- gradients ----

const runKernel = (name: string, inputs: Record<string, tf.Tensor>, attrs: NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs);

const gradients: tf.GradConfig[] = [
  {
    kernelName: GELU,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => runKernel(GELU_GRAD, { dy: dy as tf.Tensor, x: saved[0] }) as tf.Tensor }),
  },
  {
    // The same mask on the way back: y = x·m, so dx = dy·m.
    kernelName: DROPOUT,
    gradFunc: (dy, _saved, attrs) => ({ x: () => runKernel(DROPOUT, { x: dy as tf.Tensor }, attrs) as tf.Tensor }),
  },
  {
    kernelName: SOFTMAX_XENT,
    inputsToSave: ['logits', 'labels'],
    gradFunc: (dy, saved) => ({
      logits: () => runKernel(SOFTMAX_XENT_GRAD, { dy: dy as tf.Tensor, logits: saved[0], labels: saved[1] }) as tf.Tensor,
      labels: () => tf.zerosLike(saved[1]),
    }),
  },
  {
    kernelName: LAYER_NORM,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      // One kernel gives all three; run it here (in the caller's scope), not inside the per-input
      // closures, each of which tfjs runs in its own tidy (that would dispose the other two outputs).
      const [dx, dgamma, dbeta] = runKernel(LAYER_NORM_GRAD, { dy: dy as tf.Tensor, x: saved[0], gamma: saved[1] }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  },
];

let registered = false;
let enabled = false;

/** Registers the fused kernels for 'wasm' and their gradients (idempotent), and enables them. */
export function installFusedKernels(): void {
  if (!registered) {
    const kernels: [string, KernelFunc][] = [
      [GELU, geluKernel as KernelFunc],
      [GELU_GRAD, geluGradKernel as KernelFunc],
      [LAYER_NORM, layerNormKernel as KernelFunc],
      [LAYER_NORM_GRAD, layerNormGradKernel as unknown as KernelFunc],
      [DROPOUT, dropoutKernel as KernelFunc],
      [SOFTMAX_XENT, softmaxXentKernel as KernelFunc],
      [SOFTMAX_XENT_GRAD, softmaxXentGradKernel as KernelFunc],
      [GUMBEL_ARGMAX, gumbelArgmaxKernel as unknown as KernelFunc],
      [LINEAR, wasmLinearKernel as KernelFunc],
    ];
    for (const [kernelName, kernelFunc] of kernels) {
      if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    }
    for (const g of [...gradients, linearGradient]) tf.registerGradient(g);
    registered = true;
  }
  enabled = true;
}

/** Benchmarks of stock tfjs switch the fused ops off (the model then uses tfjs ops). */
export function setFusedOpsEnabled(on: boolean): void {
  enabled = on;
}

/** True when the current backend can run the fused kernels. */
function usable(x: tf.Tensor): boolean {
  if (!enabled || x.dtype !== 'float32' || tf.getBackend() !== 'wasm') return false;
  return simdKernelsOf(tf.backend() as unknown as WasmBackendLike) !== undefined;
}

/** GELU (erf form) as one kernel each way, or undefined (use tfjs ops). */
export function fusedGelu(x: tf.Tensor): tf.Tensor | undefined {
  return usable(x) ? (runKernel(GELU, { x }) as tf.Tensor) : undefined;
}

/** x [M,K] · W [N,K]ᵀ + b [N] as one kernel (fused-linear.ts), or undefined (use tfjs ops). */
export function fusedLinear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D | undefined {
  const ok = usable(x) && weight.dtype === 'float32' && bias.dtype === 'float32' && bias.rank === 1 && weight.rank === 2 &&
    x.shape[1] === weight.shape[1] && bias.shape[0] === weight.shape[0] && x.size > 0 && weight.size > 0;
  return ok ? (runKernel(LINEAR, { x, weight, bias }) as tf.Tensor2D) : undefined;
}

/** LayerNorm over the last axis as one kernel each way, or undefined (use tfjs ops). */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor | undefined {
  const H = x.shape[x.shape.length - 1];
  if (!usable(x) || H % 4 !== 0 || H === 0 || gamma.size !== H || beta.size !== H || gamma.dtype !== 'float32' || beta.dtype !== 'float32') return undefined;
  return runKernel(LAYER_NORM, { x, gamma, beta }, { eps }) as tf.Tensor;
}

/** Inverted dropout with `dropoutMask(x.size, rate, seed)` as one kernel each way, or undefined. */
export function fusedDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor | undefined {
  return usable(x) && rate > 0 && rate < 1 ? (runKernel(DROPOUT, { x }, { rate, seed }) as tf.Tensor) : undefined;
}

/**
 * −log softmax(logits)[r, labels[r]] per row of [R, V] (the masked-LM loss before weighting) as one kernel
 * each way — no [R, V] log-probabilities, no dense gradient of a gather — or undefined (use tfjs ops).
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D | undefined {
  if (!usable(logits) || logits.rank !== 2 || logits.shape[1] < 4 || labels.dtype !== 'int32' || labels.size !== logits.shape[0]) return undefined;
  return runKernel(SOFTMAX_XENT, { logits, labels }) as tf.Tensor1D;
}

/**
 * Gumbel-max sampling from softmax(logits / T) per row, with the draws of `uniformNoise(logits.size, seed)`,
 * and the plain argmax of the logits, in one pass over [R, V] — or undefined (use tfjs ops). Off the
 * gradient path (int32 outputs).
 */
export function fusedGumbelArgmax(logits: tf.Tensor2D, seed: number, temperature: number): { samples: tf.Tensor1D; predictions: tf.Tensor1D } | undefined {
  if (!usable(logits) || logits.rank !== 2 || logits.shape[1] < 4) return undefined;
  const [samples, predictions] = runKernel(GUMBEL_ARGMAX, { logits }, { seed, temperature }) as tf.Tensor1D[];
  return { samples, predictions };
}
