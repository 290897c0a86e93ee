/**
 * Backend selection: the fastest TensorFlow.js backend this machine can run, and why the better ones are
 * not in use (one short line each, for logs and the UI).
 *
 * Tiers, best first: `gpu` (@tensorflow/tfjs-node-gpu, CUDA), `node` (@tensorflow/tfjs-node, native
 * libtensorflow), `native` (wasm with its matrix products and optimizer update in C over oneDNN/OpenBLAS,
 * native/ + ./native/), `wasm` (XNNPACK, with our kernel fixes and threads), `cpu` (pure JS, tests only). The
 * native packages are optionalDependencies whose install downloads libtensorflow, so they are often absent;
 * they are loaded with a guarded `require` (esbuild keeps them external).
 *
 * Process exit: with wasm threads the pool workers are unref'ed so Node can exit by itself, but a CLI
 * should still call `shutdownBackend()` (or process.exit) when done: it frees the wasm heap and threads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// Imported by name, not as a bare side-effect import: the package marks its node bundle side-effect free,
// so esbuild would drop `import '@tensorflow/tfjs-backend-cpu'` (and the 'cpu' backend with it).
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { UserError } from '../errors';
import { installGradientFixes, installWasmKernelFixes } from './wasm-kernels';
import { shutdownWasm, startWasm } from './wasm-threads';
import { installNativeKernels, loadNativeAddon, uninstallNativeKernels } from './native';

export { installWasmKernelFixes } from './wasm-kernels';

export type BackendRequest = 'auto' | 'gpu' | 'node' | 'native' | 'wasm' | 'cpu';
export type BackendTier = 'gpu' | 'node' | 'native' | 'wasm' | 'cpu';

export interface BackendReport {
  requested: BackendRequest;
  /** tf.getBackend() after init. */
  backend: 'tensorflow' | 'wasm' | 'cpu';
  tier: BackendTier;
  /** wasm: XNNPACK threads in use (1 if none); tensorflow: logical cores; cpu: 1 (pure JS). */
  threads: number;
  /** Why each better tier was not used, one short line each. */
  skipped: { tier: string; reason: string }[];
  /** wasm only: whether the SIMD build runs. */
  simd?: boolean;
  /** wasm only: the folder the .wasm binaries were loaded from. */
  wasmDir?: string;
  /** wasm only: why fewer threads than requested are in use. */
  threadsNote?: string;
  /** native only: the BLAS library behind the native kernels, its threads, and the addon's file. */
  native?: { library: string; threads: number; file: string };
  /** One line for logs/UI, e.g. "wasm (2 threads, SIMD); skipped gpu: ..., node: ...". */
  describe(): string;
}

export interface BackendOptions {
  /** wasm threads wanted (default: logical cores, at most 4; 1 disables threads); on the native tier, its BLAS threads. */
  threads?: number;
  /** Folder holding the tfjs-backend-wasm *.wasm files (default: next to the bundle, else node_modules). */
  wasmDir?: string;
  /** The native addon's file (default: next to the bundle, else the source tree's build). */
  nativeAddon?: string;
  /** BLAS threads for the native tier (default: `threads`, else the cores idle when the engine starts; bench/). */
  nativeThreads?: number;
}

const GPU_PKG = '@tensorflow/tfjs-node-gpu';
const NODE_PKG = '@tensorflow/tfjs-node';
const INSTALL_HINT: Record<'gpu' | 'node', string> = {
  gpu: `npm install ${GPU_PKG}; needs Linux, an NVIDIA GPU, CUDA 11.2 + cuDNN 8.1`,
  node: `npm install ${NODE_PKG}; its install downloads libtensorflow, so it needs internet access`,
};

/** Thrown inside a tier attempt: the one-line reason that tier cannot be used. */
class TierUnavailable extends Error {}

let current: { key: string; report: BackendReport } | undefined;

/**
 * Selects and initialises a backend. `auto` takes the best available tier; an explicit tier that cannot
 * be used throws a UserError saying why and how to fix it. Calling it again with the same arguments
 * returns the same report; with other arguments it switches backend (tensors must be created afterwards).
 */
export async function initBackend(request: BackendRequest, options: BackendOptions = {}): Promise<BackendReport> {
  installGradientFixes();
  const key = JSON.stringify([request, options.threads ?? null, options.wasmDir ?? null, options.nativeAddon ?? null, options.nativeThreads ?? null]);
  if (current && current.key === key && tf.getBackend() === current.report.backend) return current.report;

  const order: BackendTier[] = request === 'auto' ? ['gpu', 'node', 'native', 'wasm', 'cpu'] : [request];
  uninstallNativeKernels();
  const skipped: { tier: string; reason: string }[] = [];
  for (const tier of order) {
    try {
      const partial = await startTier(tier, options);
      const report = makeReport({ requested: request, tier, skipped, ...partial });
      current = { key, report };
      return report;
    } catch (e) {
      const reason = e instanceof TierUnavailable ? e.message : firstLine(e);
      if (request !== 'auto') {
        throw new UserError(`Backend '${tier}' is not available: ${reason}. Or request 'auto' to use the best available backend.`);
      }
      skipped.push({ tier, reason });
    }
  }
  // Unreachable in practice: the cpu tier always starts.
  throw new UserError(`No TensorFlow.js backend could start: ${skipped.map((s) => `${s.tier}: ${s.reason}`).join('; ')}`);
}

/** The backend initBackend selected last, if it is still the one tfjs runs on (run.json records it). */
export function currentBackend(): BackendReport | undefined {
  return current && tf.getBackend() === current.report.backend ? current.report : undefined;
}

/** Frees the wasm module (heap and threads) and forgets the selection; initBackend can be called again. */
export function shutdownBackend(): void {
  uninstallNativeKernels();
  shutdownWasm();
  current = undefined;
}

type TierResult = Omit<BackendReport, 'requested' | 'tier' | 'skipped' | 'describe'>;

async function startTier(tier: BackendTier, options: BackendOptions): Promise<TierResult> {
  switch (tier) {
    case 'gpu':
    case 'node':
      return startNative(tier);
    case 'native':
      return startNativeKernelTier(options);
    case 'wasm':
      return startWasmTier(options);
    case 'cpu':
      if (!tf.findBackendFactory('cpu')) tf.registerBackend('cpu', () => new MathBackendCPU(), 1);
      if (!(await tf.setBackend('cpu'))) throw new TierUnavailable('tf.setBackend("cpu") failed');
      return { backend: 'cpu', threads: 1 };
  }
}

/** Guarded loads: literal specifiers so esbuild sees (and keeps external) exactly these two packages. */
function requireNative(tier: 'gpu' | 'node'): void {
  if (tier === 'gpu') require('@tensorflow/tfjs-node-gpu');
  else require('@tensorflow/tfjs-node');
}

async function startNative(tier: 'gpu' | 'node'): Promise<TierResult> {
  const pkg = tier === 'gpu' ? GPU_PKG : NODE_PKG;
  try {
    requireNative(tier);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${pkg}'`)) {
      throw new TierUnavailable(`${pkg} is not installed (${INSTALL_HINT[tier]})`);
    }
    throw new TierUnavailable(`${pkg} failed to load: ${firstLine(e)} (${INSTALL_HINT[tier]})`);
  }
  if (!tf.findBackendFactory('tensorflow') || !(await tf.setBackend('tensorflow'))) {
    throw new TierUnavailable(`${pkg} loaded but its 'tensorflow' backend did not start`);
  }
  if (tier === 'gpu') {
    // tfjs-node-gpu silently runs on the CPU when CUDA finds no device.
    const usingGpu = (tf.backend() as { isUsingGpuDevice?: boolean | (() => boolean) }).isUsingGpuDevice;
    const onGpu = typeof usingGpu === 'function' ? usingGpu() : usingGpu;
    if (onGpu === false) throw new TierUnavailable(`${pkg} found no usable CUDA GPU (check nvidia-smi, CUDA 11.2 + cuDNN 8.1)`);
  }
  return { backend: 'tensorflow', threads: os.cpus().length };
}

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** The first folder holding the wasm binaries: option, the bundle's folder, then the installed package. */
function findWasmDir(explicit: string | undefined): string {
  if (explicit !== undefined) {
    const dir = path.resolve(explicit);
    if (!WASM_FILES.every((f) => fs.existsSync(path.join(dir, f)))) {
      throw new TierUnavailable(`no tfjs-backend-wasm *.wasm files in ${dir} (point --wasm-dir at the folder holding ${WASM_FILES[0]})`);
    }
    return dir;
  }
  const candidates = [__dirname];
  try {
    candidates.push(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // Not resolvable from here (e.g. a bundle shipped without node_modules).
  }
  const dir = candidates.find((d) => WASM_FILES.every((f) => fs.existsSync(path.join(d, f))));
  if (!dir) {
    throw new TierUnavailable(`the tfjs-backend-wasm *.wasm files were not found in ${candidates.join(' or ')} (rebuild with "npm run build", or reinstall)`);
  }
  return dir;
}

function defaultThreads(): number {
  return Math.max(1, Math.min(4, os.cpus().length));
}

async function startWasmTier(options: BackendOptions): Promise<TierResult> {
  const wasmDir = findWasmDir(options.wasmDir);
  if (!tf.findBackend('wasm')) tfwasm.setWasmPaths(wasmDir + path.sep);
  installWasmKernelFixes();
  const wanted = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  let started;
  try {
    started = await startWasm(wanted, wasmDir);
  } catch (e) {
    throw new TierUnavailable(`the wasm backend failed to start: ${firstLine(e)}`);
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { backend: 'wasm', threads: started.threads, simd, wasmDir, threadsNote: started.note };
}

/**
 * The wasm backend with native kernels (matrix products, the optimizer's update) over oneDNN/OpenBLAS.
 * The addon is loaded before wasm starts, so a missing addon costs nothing and auto falls to plain wasm.
 */
async function startNativeKernelTier(options: BackendOptions): Promise<TierResult> {
  const loaded = loadNativeAddon(options.nativeAddon);
  if (!loaded.addon) throw new TierUnavailable(loaded.reason);
  // The products run in C; the wasm side keeps one thread (its pool only spun against the BLAS thread here).
  const wasm = await startWasmTier({ ...options, threads: 1 });
  loaded.addon.setThreads(Math.max(1, Math.floor(options.nativeThreads ?? options.threads ?? idleCores())));
  installNativeKernels(loaded.addon);
  const { library, threads } = loaded.addon.info();
  return { ...wasm, native: { library, threads, file: loaded.file } };
}

/**
 * Cores not busy at start (cores − 1-minute load, 1 to 4). Two BLAS threads made an ELECTRA-Small step ~15% faster
 * on an idle 2-core machine and products up to 2× slower while other work held a core (bench/train-throughput.ts).
 */
function idleCores(): number {
  const cores = os.cpus().length;
  return Math.max(1, Math.min(4, cores, Math.round(cores - os.loadavg()[0])));
}

function makeReport(r: Omit<BackendReport, 'describe'>): BackendReport {
  return {
    ...r,
    describe() {
      let head: string;
      if (r.tier === 'native') {
        head = `native kernels (${r.native!.library}, ${r.native!.threads} thread${r.native!.threads === 1 ? '' : 's'}) on wasm (${r.threads} thread${r.threads === 1 ? '' : 's'})`;
      } else if (r.tier === 'wasm') {
        const threads = `${r.threads} thread${r.threads === 1 ? '' : 's'}${r.threadsNote ? ` (${r.threadsNote})` : ''}`;
        head = `wasm (${threads}${r.simd ? ', SIMD' : ''})`;
      } else if (r.tier === 'cpu') {
        head = 'cpu (pure JS, slow: for tests and tiny models)';
      } else {
        head = `${r.tier === 'gpu' ? 'tensorflow on GPU' : 'tensorflow on CPU'} (${r.threads} cores)`;
      }
      const skipped = r.skipped.map((s) => `${s.tier}: ${s.reason}`).join(', ');
      return skipped ? `${head}; skipped ${skipped}` : head;
    },
  };
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}
