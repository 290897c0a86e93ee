/**
 * Loads the native kernel addon (native/, plain C on Node-API over oneDNN or OpenBLAS). It is optional:
 * when it is missing or cannot load, the caller falls back to the wasm kernels and reports `reason`.
 *
 * Where it is looked for: an explicit path (tests, `--native-addon`), then `native/` next to the bundle
 * (what `npm run build` and the VSIX ship, with its shared libraries beside it), then the source tree's
 * node-gyp output (runs from source through tsx).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

/** Every function the C side exports (native/src/addon.c lists them). Offsets are bytes, strides elements. */
export interface NativeAddon {
  matmul(heap: Float32Array, transposeA: boolean, transposeB: boolean, batch: number, m: number, n: number, k: number,
    aOffset: number, aStride: number, bOffset: number, bStride: number, cOffset: number): void;
  linear(heap: Float32Array, m: number, n: number, k: number, xOffset: number, weightOffset: number, biasOffset: number,
    yOffset: number): void;
  sumSquares(heap: Float32Array, offset: number, count: number): number;
  adamw(heap: Float32Array, paramOffset: number, gradOffset: number, count: number, m: Float32Array, v: Float32Array,
    learningRate: number, beta1: number, beta2: number, epsilon: number, decay: number, gradScale: number): void;
  gelu(heap: Float32Array, xOffset: number, yOffset: number, count: number): void;
  geluGrad(heap: Float32Array, dyOffset: number, xOffset: number, dxOffset: number, count: number): void;
  setThreads(threads: number): void;
  info(): { library: string; threads: number };
}

export const ADDON_FILE = 'electra_native.node';

export type AddonLoad = { addon: NativeAddon; file: string } | { addon?: undefined; reason: string };

export function addonCandidates(explicit?: string): string[] {
  if (explicit !== undefined) return [path.resolve(explicit)];
  return [
    path.join(__dirname, 'native', ADDON_FILE),
    path.resolve(__dirname, '..', '..', '..', '..', 'native', 'build', 'Release', ADDON_FILE),
  ];
}

const REQUIRED: (keyof NativeAddon)[] = ['matmul', 'linear', 'sumSquares', 'adamw', 'gelu', 'geluGrad', 'setThreads', 'info'];

export function loadNativeAddon(explicit?: string): AddonLoad {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `no native kernels are built for ${process.platform}-${process.arch} (see README, "Native kernels")` };
  }
  const candidates = addonCandidates(explicit);
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    return { reason: `the native addon is not built (${candidates.join(' or ')} missing; run "npm run build:native", which needs g++ and libdnnl-dev)` };
  }
  // Read by libgomp when the addon loads it: with its default spin-waiting, a BLAS thread descheduled on a busy
  // 2-core machine stalled every barrier (2 threads ran 7-20x slower than 1 under load; measured). A user's setting wins.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  try {
    const addon = createRequire(__filename)(file) as Partial<NativeAddon>;
    const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
    if (missing.length > 0) return { reason: `${file} is not this version's addon (no ${missing.join(', ')}); rebuild with "npm run build:native"` };
    return { addon: addon as NativeAddon, file };
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { reason: `${file} failed to load: ${message}` };
  }
}
