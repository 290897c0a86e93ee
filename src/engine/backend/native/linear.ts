/** A dense layer's forward on the native tier: one BLAS call adding x·Wᵀ onto the bias rows (native/src/linear.c). */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendLike } from '../wasm-simd';
import type { NativeAddon } from './addon';
import { heapView } from './heap';

type KernelArgs = Parameters<KernelFunc>[0];

export function nativeLinear(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, weight, bias } = args.inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
    if (x.dtype !== 'float32' || weight.dtype !== 'float32' || bias.dtype !== 'float32') return fallback(args);
    const [m, k] = x.shape;
    const [n] = weight.shape;
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput([m, n], 'float32');
    addon.linear(heapView(backend), m, n, k, heapOffset(backend, x), heapOffset(backend, weight), heapOffset(backend, bias), heapOffset(backend, out));
    return out;
  };
}
