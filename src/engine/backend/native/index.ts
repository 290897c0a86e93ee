/**
 * The native kernel tier: tfjs-backend-wasm with its heaviest kernels replaced by C (native/src/) over
 * oneDNN/OpenBLAS, working in place on the wasm heap. Everything else (and every unusual case of a
 * replaced kernel) stays on the wasm kernels, so one model definition runs on every tier.
 *
 * A new kernel is a file here and a line in KERNELS.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon';
import { nativeBatchMatMul } from './batch-matmul';
import { nativeGelu, nativeGeluGrad } from './gelu';
import { nativeLinear } from './linear';

export { loadNativeAddon, type NativeAddon } from './addon';

const KERNELS: [string, (addon: NativeAddon, fallback: KernelFunc) => KernelFunc][] = [
  ['BatchMatMul', nativeBatchMatMul],
  ['ElectraGelu', nativeGelu],
  ['ElectraGeluGrad', nativeGeluGrad],
  ['ElectraLinear', nativeLinear],
];

let active: { addon: NativeAddon; replaced: KernelConfig[] } | undefined;

/** Replaces the wasm kernels in KERNELS by native ones (idempotent for the same addon). */
export function installNativeKernels(addon: NativeAddon): void {
  if (active?.addon === addon) return;
  uninstallNativeKernels();
  const replaced: KernelConfig[] = [];
  for (const [name, make] of KERNELS) {
    const previous = tf.getKernel(name, 'wasm');
    if (!previous) throw new Error(`tfjs-backend-wasm has no ${name} kernel to replace`);
    replaced.push(previous);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...previous, kernelFunc: make(addon, previous.kernelFunc) });
  }
  active = { addon, replaced };
}

/** Puts the wasm kernels back (the wasm tier, benchmarks' baselines, the fallback tests). */
export function uninstallNativeKernels(): void {
  if (!active) return;
  for (const config of active.replaced) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  active = undefined;
}

/** The addon while the native tier is installed (the optimizer updates parameters through it). */
export function activeNativeAddon(): NativeAddon | undefined {
  return active?.addon;
}
