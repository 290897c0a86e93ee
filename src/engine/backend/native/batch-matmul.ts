/**
 * BatchMatMul on the native tier: one BLAS call per batch item, in place on the wasm heap, every transpose
 * handled by the library (no transposes, no packing copies on our side). A right operand shared by the
 * whole batch (the [B,T,H]×[H,N] of every dense layer) folds A's batch into rows: one call.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendLike } from '../wasm-simd';
import type { NativeAddon } from './addon';
import { heapView } from './heap';

type KernelArgs = Parameters<KernelFunc>[0];

export function nativeBatchMatMul(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as WasmBackendLike;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback(args);

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
    // Shape errors, empty products and outer broadcasting (both sides batched differently) keep tfjs' behaviour.
    if (k !== kB || m * n * k === 0 || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
      return fallback(args);
    }
    const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
    const heap = heapView(backend);
    const [aOff, bOff, cOff] = [heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out)];
    if (batchB === 1 && !transposeA) {
      addon.matmul(heap, false, transposeB, 1, batchA * m, n, k, aOff, 0, bOff, 0, cOff);
    } else {
      addon.matmul(heap, transposeA, transposeB, batch, m, n, k, aOff, batchA === 1 ? 0 : m * k, bOff, batchB === 1 ? 0 : k * n, cOff);
    }
    return out;
  };
}
