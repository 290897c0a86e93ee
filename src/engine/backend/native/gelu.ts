/**
 * GELU and its gradient on the native tier: the wasm SIMD kernels' approximations (fused-ops.ts) in C, 16 lanes
 * wide where the CPU has AVX-512 and on every BLAS thread, in place on the heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendLike } from '../wasm-simd';
import type { NativeAddon } from './addon';
import { heapView } from './heap';

type KernelArgs = Parameters<KernelFunc>[0];

export function nativeGelu(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return fallback(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(x.shape, 'float32');
    addon.gelu(heapView(backend), heapOffset(backend, x), heapOffset(backend, out), tf.util.sizeFromShape(x.shape));
    return out;
  };
}

export function nativeGeluGrad(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(x.shape, 'float32');
    addon.geluGrad(heapView(backend), heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, out), tf.util.sizeFromShape(x.shape));
    return out;
  };
}
