/**
 * Kernel fixes for tfjs-backend-wasm 4.22, installed through the public kernel/gradient registries.
 *
 * WHY (measured, see shared/notes/tfjs-backends.md and bench/matmul.ts):
 *  - BatchMatMul: the stock wasm kernel uses XNNPACK only for batch 1 with neither operand transposed.
 *    Every matmul gradient (transposeA/transposeB) and every batched attention product falls to a scalar
 *    loop at ~1-3 GFLOP/s. We transpose explicitly (wasm Transpose kernel) and run the 2-D XNNPACK path,
 *    once for the whole product when B has no batch (A's batch folds into rows), else once per batch item
 *    on zero-copy views of the heap (NOT the wasm Slice kernel, which copies the whole input each call).
 *  - UnsortedSegmentSum is missing on wasm, so `tf.gather`'s gradient (embedding lookup) throws.
 *    We register a small JS kernel that works on the wasm heap directly.
 *  - Sum over leading axes (bias and LayerNorm-scale gradients) transposes first and is ~10x slower than a
 *    plain column sum; we do leading-axes sums in JS with float64 accumulators.
 *  - Identity (tf.clone, and many gradient/customGrad paths: ~3,000 calls in an ELECTRA-Small step) copies
 *    the data on wasm; tensors are immutable, so we share it by reference count, as the cpu backend does.
 *  - The core BatchMatMul gradient (all backends) does not reduce over broadcast batch dims, so a 3-D x 2-D
 *    matMul has a wrong-shaped gradient for the 2-D operand. We re-register a gradient that does.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' stock gradients now, so that our BatchMatMul gradient below always replaces the stock one
// (a later import of this module is a no-op: ES modules evaluate once).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm we use (all public members of that class). */
interface WasmBackendLike {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
    tfjs: { disposeData(id: number): void };
  };
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number } | undefined;
    delete(dataId: object): void;
  };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = Parameters<KernelFunc>[0];

/** Stock kernels captured before we replace them (we delegate unusual cases and helpers to them). */
let stockBatchMatMul: KernelConfig | undefined;
let stockSum: KernelConfig | undefined;
let stockTranspose: KernelConfig | undefined;
let stockIdentity: KernelConfig | undefined;
let installed = false;

/** The C++ BatchMatMul entry point, wrapped once per wasm module instance. */
const cppMatMul = new WeakMap<object, (...a: unknown[]) => void>();

function idOf(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.id;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/**
 * A tensor id registered on `base`'s heap memory at `elementOffset`, without copying. Disposing it only
 * unregisters it (and drops any XNNPACK operator cached on it) — the memory stays with `base`.
 */
function heapView(backend: WasmBackendLike, base: TensorInfo, elementOffset: number, shape: number[]): TensorInfo {
  const offset = backend.dataIdMap.get(base.dataId)!.memoryOffset + elementOffset * 4;
  return backend.makeOutput(shape, 'float32', offset);
}

function disposeView(backend: WasmBackendLike, view: TensorInfo): void {
  const id = idOf(backend, view);
  backend.dataIdMap.delete(view.dataId);
  backend.wasm.tfjs.disposeData(id);
}

/**
 * tfjs' C++ BatchMatMul caches its XNNPACK operator (holding the packed right operand, "weights") per
 * right-operand tensor id, keyed by nothing else: it assumes the [K,N] of the first call. Reusing the id
 * keeps that cache working for weight matrices (~10% faster forward products), but tfjs' reshape keeps the
 * data id, so the same id seen with another [K,N] uses a stale operator (the stock kernel then reads out of
 * bounds and aborts the process: "memory access out of bounds"). We remember the [K,N] each data id was
 * first used with and hand the C++ side a fresh view id whenever it differs.
 */
const weightShapes = new WeakMap<object, string>();

/**
 * out[M,N] = a[M,K] x b[K,N] through the C++ kernel's XNNPACK path (batch 1, no transposes).
 * `bIsFreshView`: b is a view made for this call only (no cache concern).
 */
function matMul2D(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number, bIsFreshView = false): void {
  let fn = cppMatMul.get(backend.wasm);
  if (!fn) {
    fn = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    cppMatMul.set(backend.wasm, fn);
  }
  let bView: TensorInfo | undefined;
  if (!bIsFreshView) {
    const key = `${k},${n}`;
    const first = weightShapes.get(b.dataId);
    if (first === undefined) weightShapes.set(b.dataId, key);
    else if (first !== key) bView = heapView(backend, b, 0, [k, n]);
  }
  try {
    const bId = idOf(backend, bView ?? b);
    fn(idOf(backend, a), shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, false, false, idOf(backend, out));
  } finally {
    if (bView) disposeView(backend, bView);
  }
}

/** [batch, rows, cols] -> [batch, cols, rows] with the stock wasm Transpose kernel. */
function swapLastTwo(backend: WasmBackendLike, t: TensorInfo, batch: number, rows: number, cols: number): TensorInfo {
  const x: TensorInfo = { dataId: t.dataId, shape: [batch, rows, cols], dtype: t.dtype };
  return stockTranspose!.kernelFunc({ inputs: { x }, backend: backend as never, attrs: { perm: [0, 2, 1] } }) as TensorInfo;
}

function fastBatchMatMul(args: KernelArgs): TensorInfo {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const backend = args.backend as unknown as WasmBackendLike;
  const stock = () => stockBatchMatMul!.kernelFunc(args) as TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return stock();

  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const kB = transposeB ? bCols : bRows;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outBatchShape);
  // Unusual cases (mismatch errors, empty tensors, 2-way outer broadcasting) keep the stock behaviour.
  if (k !== kB || m * n * k === 0 || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
    return stock();
  }

  const temps: TensorInfo[] = [];
  const aMK = transposeA ? swapLastTwo(backend, a, batchA, aRows, aCols) : a;
  if (transposeA) temps.push(aMK);
  const bKN = transposeB ? swapLastTwo(backend, b, batchB, bRows, bCols) : b;
  if (transposeB) temps.push(bKN);
  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  try {
    if (batchB === 1) {
      // Shared right operand: A's batch folds into the row dimension -> one big 2-D product.
      matMul2D(backend, aMK, bKN, out, batchA * m, k, n);
    } else {
      for (let i = 0; i < batch; i++) {
        const aI = batchA === 1 ? aMK : heapView(backend, aMK, i * m * k, [m, k]);
        const bI = heapView(backend, bKN, i * k * n, [k, n]);
        const oI = heapView(backend, out, i * m * n, [m, n]);
        try {
          matMul2D(backend, aI, bI, oI, m, k, n, true);
        } finally {
          if (aI !== aMK) disposeView(backend, aI);
          disposeView(backend, bI);
          disposeView(backend, oI);
        }
      }
    }
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
  return out;
}

/** JS UnsortedSegmentSum for wasm (missing in 4.22); float64 accumulation, out-of-range ids dropped (as TF). */
function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = args.attrs as { numSegments: number };
  const backend = args.backend as unknown as WasmBackendLike;
  const numIds = tf.util.sizeFromShape(segmentIds.shape);
  const inner = numIds === 0 ? 0 : tf.util.sizeFromShape(x.shape) / numIds;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  // Allocate first: a heap growth would detach views taken before it.
  const out = backend.makeOutput(outShape, x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const acc = new Float64Array(numSegments * inner);
  for (let i = 0; i < numIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) acc[dst + j] += xs[src + j];
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/** Sum over leading axes (the bias-gradient shape) in JS; everything else goes to the stock kernel. */
function fastSum(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const backend = args.backend as unknown as WasmBackendLike;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((ax, i) => ax === i);
  if (!leading || x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) {
    return stockSum!.kernelFunc(args) as TensorInfo;
  }
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = tf.util.sizeFromShape(x.shape.slice(axes.length));
  const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
  const out = backend.makeOutput(outShape, 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const acc = new Float64Array(cols);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    for (let c = 0; c < cols; c++) acc[c] += xs[off + c];
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/** Zero-copy Identity: the output shares the input's memory (reference-counted, like tfjs-backend-cpu). */
function sharedIdentity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return stockIdentity!.kernelFunc(args) as TensorInfo;
  (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Sums `g` over the dims that were broadcast from `shape` (leading extra dims, or size-1 dims). */
function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  return tf.reshape(tf.sum(g, axes, true), shape);
}

/**
 * BatchMatMul gradient that is correct when the batch dims broadcast (e.g. [B,M,K] x [K,N]).
 * For the common "2-D weight" case the weight gradient is one flattened product instead of a batch of
 * products followed by a sum.
 */
const batchMatMulGrad: tf.GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [a, b] = saved;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => tf.matMul(g, b, false, true);
      db = () => tf.matMul(a, g, true, false);
    } else if (!transposeA && transposeB) {
      da = () => tf.matMul(g, b, false, false);
      db = () => tf.matMul(g, a, true, false);
    } else if (transposeA && !transposeB) {
      da = () => tf.matMul(b, g, false, true);
      db = () => tf.matMul(a, g, false, false);
    } else {
      da = () => tf.matMul(b, g, true, true);
      db = () => tf.matMul(g, a, true, true);
    }
    if (b.rank === 2 && a.rank > 2 && !transposeA) {
      // dW over all rows at once: [K, rows] x [rows, N] (or its transpose for transposeB).
      const k = a.shape[a.rank - 1];
      const n = g.shape[g.rank - 1];
      db = () => {
        const a2 = tf.reshape(a, [-1, k]);
        const g2 = tf.reshape(g, [-1, n]);
        return transposeB ? tf.matMul(g2, a2, true, false) : tf.matMul(a2, g2, true, false);
      };
    }
    return { a: () => reduceToShape(da(), a.shape), b: () => reduceToShape(db(), b.shape) };
  },
};

let gradientsInstalled = false;

/** Installs the broadcast-safe BatchMatMul gradient (global: applies to every backend). Idempotent. */
export function installGradientFixes(): void {
  if (gradientsInstalled) return;
  tf.registerGradient(batchMatMulGrad);
  gradientsInstalled = true;
}

/**
 * Installs the wasm kernel fixes and the broadcast-safe BatchMatMul gradient. Idempotent; safe to call
 * before or after the wasm backend is initialised (each replacement keeps the stock setup function, which
 * tfjs runs whenever a wasm backend instance is created).
 */
export function installWasmKernelFixes(): void {
  if (installed) return;
  stockBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
  stockSum = tf.getKernel('Sum', 'wasm');
  stockTranspose = tf.getKernel('Transpose', 'wasm');
  stockIdentity = tf.getKernel('Identity', 'wasm');
  if (!stockBatchMatMul || !stockSum || !stockTranspose || !stockIdentity) {
    throw new Error('tfjs-backend-wasm kernels are not registered (import @tensorflow/tfjs-backend-wasm first)');
  }
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...stockBatchMatMul, kernelFunc: fastBatchMatMul as KernelFunc });
  tf.unregisterKernel('Sum', 'wasm');
  tf.registerKernel({ ...stockSum, kernelFunc: fastSum as KernelFunc });
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...stockIdentity, kernelFunc: sharedIdentity as KernelFunc });
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as KernelFunc });
  }
  installGradientFixes();
  installed = true;
}

/**
 * Puts the stock BatchMatMul, Sum and Identity kernels back (benchmarks compare against them). UnsortedSegmentSum
 * stays: it is a missing kernel, not a faster one, and without it stock tfjs cannot train an embedding.
 * The gradient fix stays too (it is global and only affects broadcast shapes).
 */
export function uninstallWasmKernelFixes(): void {
  if (!installed) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(stockBatchMatMul!);
  tf.unregisterKernel('Sum', 'wasm');
  tf.registerKernel(stockSum!);
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(stockIdentity!);
  installed = false;
}
