/**
 * Kernel fixes for tfjs-backend-wasm 4.22, installed through the public kernel/gradient registries.
 *
 * WHY (measured, see shared/notes/tfjs-backends.md and bench/matmul.ts):
 *  - BatchMatMul: the stock wasm kernel uses XNNPACK only for batch 1 with neither operand transposed.
 *    Every matmul gradient (transposeA/transposeB) and every batched attention product falls to a scalar
 *    loop at ~1-3 GFLOP/s. We transpose explicitly and run the 2-D XNNPACK path, once for the whole
 *    product when B has no batch (A's batch folds into rows), else once per batch item on zero-copy views
 *    of the heap (NOT the wasm Slice kernel, which copies the whole input each call). XNNPACK re-packs its
 *    right operand on every call for a new tensor at ~3.4-5.5 ns per element, so for 2-D products we pick
 *    the formulation (C or Cᵀ) that packs the smaller operand (preferTransposedProduct).
 *  - Transpose: the stock kernel is a scalar loop with one strided store per element (~4-9 ns/element) and
 *    copies even when the permutation moves nothing. We share the data for such permutations and run the
 *    others ELECTRA uses (2-D, last-two swap, attention head split/merge) as SIMD kernels (wasm-simd.ts).
 *  - UnsortedSegmentSum is missing on wasm, so `tf.gather`'s gradient (embedding lookup) throws.
 *    We register a small JS kernel that works on the wasm heap directly.
 *  - Sum over leading axes (bias and LayerNorm-scale gradients) transposes first and is ~10x slower than a
 *    plain column sum; we do leading-axes sums as SIMD column sums with float64 accumulators.
 *  - Identity (tf.clone, and many gradient/customGrad paths: ~3,000 calls in an ELECTRA-Small step) and
 *    Cast to the same dtype (tf.moments casts its input) copy the data on wasm; tensors are immutable, so we
 *    share it by reference count, as the cpu backend does.
 *  - GatherV2 (embedding lookups) locates every element with a generic strided loop; we copy rows.
 *  - GELU, LayerNorm and dropout run as fused SIMD kernels (fused-ops.ts), installed with these fixes.
 *  - The core BatchMatMul gradient (all backends) does not reduce over broadcast batch dims, so a 3-D x 2-D
 *    matMul has a wrong-shaped gradient for the 2-D operand. We re-register a gradient that does.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' stock gradients now, so that our BatchMatMul gradient below always replaces the stock one
// (a later import of this module is a no-op: ES modules evaluate once).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, simdKernelsOf, type WasmBackendLike } from './wasm-simd';
import { installFusedKernels, setFusedOpsEnabled } from './fused-ops';

type KernelArgs = Parameters<KernelFunc>[0];

/** Stock kernels captured before we replace them (we delegate unusual cases and helpers to them). */
let stockBatchMatMul: KernelConfig | undefined;
let stockSum: KernelConfig | undefined;
let stockTranspose: KernelConfig | undefined;
let stockIdentity: KernelConfig | undefined;
let stockCast: KernelConfig | undefined;
let stockGather: KernelConfig | undefined;
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

type HeapArray = Float32Array | Int32Array;

/**
 * dst[a][c][b][d] = src[a][b][c][d] for an [A, B, C, D] array: every transpose ELECTRA needs, after
 * size-1 and adjacent axes are merged (2-D [1,0]: A = D = 1; the last-two swap [0,2,1]: D = 1; the
 * attention head split/merge [0,2,1,3]). This is the JS fallback for when the SIMD kernels cannot run
 * (~3-5 ns/element on the heap, still ~2× the stock kernel on large matrices): 32×32 tiles read 4 rows
 * at once, and contiguous D-runs are copied as runs.
 */
function permuteMiddle(src: HeapArray, dst: HeapArray, A: number, B: number, C: number, D: number): void {
  const slab = B * C * D;
  if (D === 1) {
    for (let a = 0; a < A; a++) transposeTile(src, dst, a * slab, B, C);
    return;
  }
  for (let a = 0; a < A; a++) {
    const base = a * slab;
    let o = base;
    for (let c = 0; c < C; c++) {
      for (let b = 0; b < B; b++) {
        let i = base + (b * C + c) * D;
        const end = i + D;
        while (i < end) dst[o++] = src[i++];
      }
    }
  }
}

/** dst[off + c·R + r] = src[off + r·C + c] for one R×C matrix, in 32×32 tiles, 4 source rows per pass. */
function transposeTile(src: HeapArray, dst: HeapArray, off: number, R: number, C: number): void {
  const T = 32;
  for (let r0 = 0; r0 < R; r0 += T) {
    const r1 = Math.min(r0 + T, R);
    for (let c0 = 0; c0 < C; c0 += T) {
      const c1 = Math.min(c0 + T, C);
      let r = r0;
      for (; r + 4 <= r1; r += 4) {
        let s0 = off + r * C + c0;
        let s1 = s0 + C;
        let s2 = s1 + C;
        let s3 = s2 + C;
        for (let c = c0, d = off + c0 * R + r; c < c1; c++, d += R) {
          dst[d] = src[s0++];
          dst[d + 1] = src[s1++];
          dst[d + 2] = src[s2++];
          dst[d + 3] = src[s3++];
        }
      }
      for (; r < r1; r++) {
        let s = off + r * C + c0;
        for (let c = c0, d = off + c0 * R + r; c < c1; c++, d += R) dst[d] = src[s++];
      }
    }
  }
}

/** A new [A, C, B, D] tensor from `t` read as [A, B, C, D]: SIMD kernels on the heap, else permuteMiddle in JS. */
function permuteMiddleTensor(backend: WasmBackendLike, t: TensorInfo, dims: [number, number, number, number], outShape: number[]): TensorInfo {
  // Allocate first: a heap growth would detach views taken before it.
  const out = backend.makeOutput(outShape, t.dtype);
  const [A, B, C, D] = dims;
  const simd = simdKernelsOf(backend);
  if (simd) {
    const srcOffset = heapOffset(backend, t);
    const dstOffset = heapOffset(backend, out);
    if (D > 1) {
      simd.permuteMiddle(srcOffset, dstOffset, A, B, C, D);
      return out;
    }
    const slab = B * C;
    for (let a = 0; a < A; a++) simd.transpose4(srcOffset + a * slab * 4, dstOffset + a * slab * 4, B, C);
    if (B % 4 !== 0 || C % 4 !== 0) {
      // The SIMD kernel did the leading (B & ~3)×(C & ~3) block of each slab; the edges in JS.
      const src = backend.typedArrayFromHeap(t) as HeapArray;
      const dst = backend.typedArrayFromHeap(out) as HeapArray;
      const [B4, C4] = [B & ~3, C & ~3];
      for (let a = 0; a < A; a++) {
        const off = a * slab;
        for (let b = 0; b < B; b++) {
          for (let c = b < B4 ? C4 : 0; c < C; c++) dst[off + c * B + b] = src[off + b * C + c];
        }
      }
    }
    return out;
  }
  const src = backend.typedArrayFromHeap(t) as HeapArray;
  const dst = backend.typedArrayFromHeap(out) as HeapArray;
  permuteMiddle(src, dst, A, B, C, D);
  return out;
}

/** [batch, rows, cols] -> [batch, cols, rows]. */
function swapLastTwo(backend: WasmBackendLike, t: TensorInfo, batch: number, rows: number, cols: number): TensorInfo {
  return permuteMiddleTensor(backend, t, [batch, rows, cols, 1], [batch, cols, rows]);
}

/**
 * A permutation reduced to its essentials: size-1 axes dropped, and input axes that stay adjacent (in
 * order) merged. Returns the merged input shape and the permutation over it.
 */
function reducePermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const index = new Map<number, number>();
  shape.forEach((d, i) => { if (d !== 1) index.set(i, index.size); });
  const kept = shape.filter((d) => d !== 1);
  const p = perm.filter((ax) => shape[ax] !== 1).map((ax) => index.get(ax)!);
  // Merge runs p[j], p[j]+1, ... into single axes.
  const groups: number[][] = [];
  for (const ax of p) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === ax) last.push(ax);
    else groups.push([ax]);
  }
  const order = groups.map((g) => g[0]).sort((x, y) => x - y);
  const mergedShape = order.map((first) => groups.find((g) => g[0] === first)!.reduce((n, ax) => n * kept[ax], 1));
  const mergedPerm = groups.map((g) => order.indexOf(g[0]));
  return { shape: mergedShape, perm: mergedPerm };
}

/**
 * Transpose for wasm: a permutation that moves no data (after dropping size-1 axes, e.g. [8,128,1,64] with
 * [0,2,1,3], or the identity permutation tf.gather's gradient applies) shares the input's memory instead of
 * copying it; the middle-swap permutations run as SIMD kernels (JS without them); anything else goes to the
 * stock kernel.
 */
function fastTranspose(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { perm } = args.attrs as { perm: number[] };
  const backend = args.backend as unknown as WasmBackendLike;
  const outShape = perm.map((ax) => x.shape[ax]);
  const r = reducePermutation(x.shape, perm);
  if (x.dtype !== 'string' && r.perm.every((ax, i) => ax === i)) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: outShape, dtype: x.dtype };
  }
  if (x.dtype === 'float32' || x.dtype === 'int32') {
    const [s, p] = [r.shape, r.perm.join(',')];
    let dims: [number, number, number, number] | undefined;
    if (p === '1,0') dims = [1, s[0], s[1], 1];
    else if (p === '0,2,1') dims = [s[0], s[1], s[2], 1];
    else if (p === '1,0,2') dims = [1, s[0], s[1], s[2]];
    else if (p === '0,2,1,3') dims = [s[0], s[1], s[2], s[3]];
    if (dims) return permuteMiddleTensor(backend, x, dims, outShape);
  }
  return stockTranspose!.kernelFunc(args) as TensorInfo;
}

/**
 * GatherV2 along axis 0 (embedding lookups, row picks) as row copies. The stock kernel computes every
 * element's location with a generic strided loop (~4.5 ms to gather 1024 rows of 128 floats, even from a
 * 2-row table). Same index check and error as the stock kernel; other axes and batch dims go to it.
 */
function fastGather(args: KernelArgs): TensorInfo {
  const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
  const backend = args.backend as unknown as WasmBackendLike;
  const simd = simdKernelsOf(backend);
  const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  if (!simd || parsedAxis !== 0 || (batchDims ?? 0) !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') {
    return stockGather!.kernelFunc(args) as TensorInfo;
  }
  const count = tf.util.sizeFromShape(indices.shape);
  const rows = x.shape[0];
  const ids = backend.typedArrayFromHeap(indices);
  for (let i = 0; i < count; i++) {
    const index = ids[i];
    tf.util.assert(index <= rows - 1 && index >= 0, () => `GatherV2: the index value ${index} is not in [0, ${rows - 1}]`);
  }
  const rowSize = tf.util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  if (count > 0 && rowSize > 0) simd.gatherRows(heapOffset(backend, x), heapOffset(backend, indices), heapOffset(backend, out), count, rowSize * 4);
  return out;
}

/** Cast to the same dtype is a copy on wasm (tf.moments casts every LayerNorm input): share instead. */
function fastCast(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as { dtype: tf.DataType };
  if (dtype !== x.dtype || x.dtype === 'string') return stockCast!.kernelFunc(args) as TensorInfo;
  (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Cost model for one 2-D product C[m,n] = op(A)[m,k]·op(B)[k,n] through XNNPACK's fully-connected operator,
 * which takes its right operand as [k,n] and packs it on every call for a new tensor. Measured here
 * (bench/matmul.ts): the packing costs ~3.4 ns per element (~5.5 once the operand outgrows L2), our SIMD
 * transposes ~0.7 — so which operand gets packed matters more than how many transposes are done. E.g. the
 * FFN-out weight gradient [1024,256]ᵀ·[1024,1024] packs 1M elements one way (~6 ms) and 0.26M the other
 * (~1 ms, plus ~1.3 ms of transposes); the generator's vocabulary head h·Eᵀ packs the 30522×128 table one
 * way (~15 ms) and a 128×152 slice the other.
 *
 * Returns true when computing Cᵀ = op(B)ᵀ·op(A)ᵀ (packing op(A)ᵀ, [k,m]) and transposing it back is cheaper
 * than the direct product (packing op(B), [k,n]). Exported for tests.
 */
export function preferTransposedProduct(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): boolean {
  const T = 0.7;
  const pack = (elements: number) => elements * (elements > 256 * 1024 ? 5.5 : 3.4);
  const direct = (transposeA ? T * k * m : 0) + (transposeB ? T * k * n : 0) + pack(k * n);
  const transposed = (transposeB ? 0 : T * k * n) + (transposeA ? 0 : T * k * m) + pack(k * m) + T * m * n;
  return transposed < direct;
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
  const outShape = [...outBatchShape, m, n];

  const temps: TensorInfo[] = [];
  const temp = (t: TensorInfo) => {
    temps.push(t);
    return t;
  };
  try {
    if (batchB === 1 && batchA === 1 && preferTransposedProduct(m, k, n, transposeA, transposeB)) {
      // Cᵀ[n,m] = op(B)ᵀ[n,k] · op(A)ᵀ[k,m], then one transpose of the result (see preferTransposedProduct).
      const bNK = transposeB ? b : temp(swapLastTwo(backend, b, 1, k, n));
      const aKM = transposeA ? a : temp(swapLastTwo(backend, a, 1, m, k));
      const outT = temp(backend.makeOutput([n, m], 'float32'));
      matMul2D(backend, bNK, aKM, outT, n, k, m);
      const out = swapLastTwo(backend, outT, 1, n, m);
      return { ...out, shape: outShape };
    }
    const aMK = transposeA ? temp(swapLastTwo(backend, a, batchA, aRows, aCols)) : a;
    const bKN = transposeB ? temp(swapLastTwo(backend, b, batchB, bRows, bCols)) : b;
    const out = backend.makeOutput(outShape, 'float32');
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
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * JS UnsortedSegmentSum for wasm (missing in 4.22); float64 accumulation, out-of-range ids dropped (as TF).
 * Only the segments that occur are accumulated (the output is mostly zeros: an embedding gradient touches
 * ≤ 1024 of 30522 rows, and the generator's label pick 152 of 4.6M entries), so the float64 scratch is
 * sized by the input, not the output.
 */
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
  const slotOf = new Map<number, number>();
  const acc = new Float64Array(Math.min(numIds, numSegments) * inner);
  for (let i = 0; i < numIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    let slot = slotOf.get(s);
    if (slot === undefined) {
      slot = slotOf.size;
      slotOf.set(s, slot);
    }
    const src = i * inner;
    const dst = slot * inner;
    for (let j = 0; j < inner; j++) acc[dst + j] += xs[src + j];
  }
  const outs = backend.typedArrayFromHeap(out);
  outs.fill(0);
  for (const [s, slot] of slotOf) outs.set(acc.subarray(slot * inner, (slot + 1) * inner), s * inner);
  return out;
}

/** Sum over leading axes (the bias-gradient shape) as column sums; everything else goes to the stock kernel. */
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
  const simd = simdKernelsOf(backend);
  // SIMD column sums (float64 accumulators) for the 4-aligned columns; JS for the rest (or all of it).
  const first = simd ? cols & ~3 : 0;
  if (simd && first > 0) simd.colSum(heapOffset(backend, x), heapOffset(backend, out), rows, cols);
  if (first < cols) {
    const xs = backend.typedArrayFromHeap(x);
    const acc = new Float64Array(cols - first);
    for (let r = 0, off = first; r < rows; r++, off += cols) {
      for (let c = 0; c < acc.length; c++) acc[c] += xs[off + c];
    }
    backend.typedArrayFromHeap(out).set(acc, first);
  }
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

/** Each stock kernel we replace, with its replacement (captured stock kernels only: after install). */
function replacements(): [KernelConfig, (args: KernelArgs) => TensorInfo][] {
  return [
    [stockBatchMatMul!, fastBatchMatMul], [stockSum!, fastSum], [stockIdentity!, sharedIdentity],
    [stockTranspose!, fastTranspose], [stockCast!, fastCast], [stockGather!, fastGather],
  ];
}

function replaceKernel(config: KernelConfig): void {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
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
  stockCast = tf.getKernel('Cast', 'wasm');
  stockGather = tf.getKernel('GatherV2', 'wasm');
  if (!stockBatchMatMul || !stockSum || !stockTranspose || !stockIdentity || !stockCast || !stockGather) {
    throw new Error('tfjs-backend-wasm kernels are not registered (import @tensorflow/tfjs-backend-wasm first)');
  }
  for (const [stock, kernelFunc] of replacements()) replaceKernel({ ...stock, kernelFunc: kernelFunc as KernelFunc });
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as KernelFunc });
  }
  installFusedKernels();
  installGradientFixes();
  installed = true;
}

/**
 * Puts the stock kernels back (benchmarks compare against them). UnsortedSegmentSum
 * stays: it is a missing kernel, not a faster one, and without it stock tfjs cannot train an embedding.
 * The gradient fix stays too (it is global and only affects broadcast shapes).
 */
export function uninstallWasmKernelFixes(): void {
  if (!installed) return;
  for (const [stock] of replacements()) replaceKernel(stock);
  setFusedOpsEnabled(false);
  installed = false;
}
