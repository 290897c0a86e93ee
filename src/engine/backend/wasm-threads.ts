/**
 * Starts the tfjs wasm backend with XNNPACK threads under Node, falling back to one thread.
 *
 * WHY this module exists: tfjs-backend-wasm 4.22 never uses threads in Node, for three reasons
 * (measured, see shared/notes/tfjs-backends.md):
 *  1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-coded to false when `IS_NODE`;
 *  2. when forced, Emscripten spawns each pthread worker from a `blob:` URL (and hands the worker its main
 *     script as a Blob), which Node's `worker_threads` cannot load;
 *  3. the C++ side caps the thread pool at (logical cores / 2), i.e. 1 on a 2-core machine.
 * We fix all three for the duration of one `tf.setBackend('wasm')` only: force the flag, write the worker
 * and main scripts to real files and hand out their paths, and report enough cores. The main script is
 * the glue text tfjs itself puts in the Blob, unless a minifier renamed its free variables; then the
 * package's standalone copy (wasm-out/tfjs-backend-wasm-threaded-simd.js, or the same file copied next to
 * the .wasm binaries) is used, and without either we stay single-threaded. Every patch is undone
 * right after initialisation. If anything fails (or hangs), the threaded module is torn down and the
 * backend is started again single-threaded; the caller gets the reason as a one-line note.
 *
 * Exit: the pthread workers are `unref()`ed after start-up so they do not keep the process alive.
 * `shutdownWasm()` tears the module down completely (the backend can be initialised again afterwards).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// `import x = require()` keeps the real module objects: the patches below must be visible to tfjs' own
// `require('os')` / `require('worker_threads')`, which an `import * as` namespace copy would not be.
import os = require('node:os');
import workerThreads = require('node:worker_threads');
import * as tf from '@tensorflow/tfjs-core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

export interface WasmStart {
  /** Threads XNNPACK actually uses (as reported by the wasm module). */
  threads: number;
  /** Why fewer threads than requested are in use (absent when the request was met). */
  note?: string;
}

/** How long the threaded module may take to start before we give up on it (normally ~0.1-0.5 s). */
const THREADED_INIT_TIMEOUT_MS = 30_000;

/**
 * The free variables of the wasm glue as rollup names them inside `tf-backend-wasm.node.js`. The glue is
 * shipped to the worker by `Function.prototype.toString()`, so the worker must define them itself.
 */
const GLUE_PRELUDE =
  'var require$$0 = require("fs"), require$$1 = require("path"), require$$3 = require("perf_hooks"),' +
  ' require$$4 = require("os"), commonjsGlobal = globalThis;\n';

/** The package's own standalone copy of the threaded glue (same build), used when the bundled one is minified. */
const GLUE_FILE = 'tfjs-backend-wasm-threaded-simd.js';

/**
 * Where a standalone glue file may be: next to the .wasm binaries (a build may copy it there), or in the
 * installed package's wasm-out/ folder.
 */
function findStandaloneGlue(wasmDir: string | undefined): string | undefined {
  const candidates: string[] = [];
  if (wasmDir) candidates.push(path.join(wasmDir, GLUE_FILE));
  try {
    candidates.push(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out', GLUE_FILE));
  } catch {
    // Not installed next to us (a bundle shipped without node_modules).
  }
  return candidates.find((f) => fs.existsSync(f));
}

/**
 * The script each pthread worker evaluates to define `WasmBackendModuleThreadedSimd`, built from the text of
 * the Blob tfjs made for it. Throws (which makes tfjs' init reject before any worker starts) when the
 * bundled glue is minified and no standalone copy exists: the worker would crash the process otherwise.
 */
function workerGlue(blobText: string, standaloneGlue: string | undefined): string {
  if (blobText.includes('require$$0')) return GLUE_PRELUDE + blobText;
  if (standaloneGlue) return fs.readFileSync(standaloneGlue, 'utf8');
  throw new Error(`the bundled wasm glue is minified and ${GLUE_FILE} was not found next to the .wasm files`);
}

/** Minimal view of the Emscripten pthread bookkeeping we touch (not part of tfjs' public types). */
interface PThreadLike {
  runningWorkers: workerThreads.Worker[];
  unusedWorkers: workerThreads.Worker[];
}

function pthreadOf(backend: unknown): PThreadLike | undefined {
  const wasm = (backend as { wasm?: { PThread?: PThreadLike } } | undefined)?.wasm;
  return wasm?.PThread;
}

function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return msg.split('\n')[0];
}

/**
 * The temporary patches around one threaded initialisation. `restore()` undoes all of them;
 * `workers` lists every Worker started meanwhile (to terminate them if the start fails).
 */
interface ThreadPatches {
  restore(): void;
  workers: Set<workerThreads.Worker>;
  /** Why the worker scripts could not be prepared (the start then fails before any worker exists). */
  failure?: string;
}

function installThreadPatches(threads: number, scratchDir: string, standaloneGlue: string | undefined): ThreadPatches {
  const workers = new Set<workerThreads.Worker>();
  const blobTexts = new WeakMap<object, string>();
  const patches: ThreadPatches = { restore: () => undefined, workers };
  const mainFile = path.join(scratchDir, 'tfjs-wasm-threaded-main.js');
  const workerFile = path.join(scratchDir, 'tfjs-wasm-threaded.worker.js');

  // (2a) Record the text of every Blob tfjs builds, so the blob: URLs can be replaced by files. The main
  // script Blob is built (synchronously) before the module starts any worker: write it out right away.
  const OrigBlob = globalThis.Blob;
  class RecordingBlob extends OrigBlob {
    constructor(...args: ConstructorParameters<typeof OrigBlob>) {
      super(...args);
      const parts = args[0] as unknown[] | undefined;
      if (parts && parts.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        blobTexts.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
          try {
            fs.writeFileSync(mainFile, workerGlue(text, standaloneGlue));
          } catch (e) {
            patches.failure = errorLine(e);
            throw e;
          }
        }
      }
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;

  // (2b) The worker Blob becomes a real file, whose own URL.createObjectURL (called on the main-script Blob
  // it receives) is pointed at the main script file written above.
  const origCreateObjectURL = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob) => {
    const text = blobTexts.get(obj);
    if (text === undefined || !fs.existsSync(mainFile)) return origCreateObjectURL(obj);
    if (!fs.existsSync(workerFile)) {
      fs.writeFileSync(workerFile, `URL.createObjectURL = () => ${JSON.stringify(mainFile)}; URL.revokeObjectURL = () => {};\n` + text);
    }
    return workerFile;
  };

  // (3) Report enough cores that the C++ cap (cores / 2) allows the requested thread count.
  const origCpus = os.cpus;
  const cpus = origCpus();
  if (cpus.length < 2 * threads) {
    (os as { cpus: typeof os.cpus }).cpus = () => {
      const c = origCpus();
      const out: os.CpuInfo[] = [];
      while (out.length < 2 * threads) out.push(...c);
      return out;
    };
  }

  // Track the Workers Emscripten starts (it reads `worker_threads.Worker` while initialising).
  const OrigWorker = workerThreads.Worker;
  class TrackedWorker extends OrigWorker {
    constructor(...args: ConstructorParameters<typeof OrigWorker>) {
      super(...args);
      workers.add(this);
    }
  }
  (workerThreads as { Worker: typeof OrigWorker }).Worker = TrackedWorker;

  patches.restore = () => {
    globalThis.Blob = OrigBlob;
    URL.createObjectURL = origCreateObjectURL;
    (os as { cpus: typeof os.cpus }).cpus = origCpus;
    (workerThreads as { Worker: typeof OrigWorker }).Worker = OrigWorker;
  };
  return patches;
}

/** Resolves to the result of `tf.setBackend('wasm')`, or rejects after `ms`. */
async function setWasmBackendWithin(ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`threaded wasm module did not start within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([tf.setBackend('wasm'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** After a threaded start: let the process exit on its own, and free the idle pre-spawned workers. */
function tidyWorkers(pthread: PThreadLike | undefined): void {
  if (!pthread) return;
  // Emscripten pre-spawns 8 workers; pthreadpool keeps (threads - 1) of them busy. The idle ones each hold
  // a full copy of the glue code; they are only needed if a new pthread is created, which XNNPACK's fixed
  // pool never does (and which would fail anyway once our blob patch is gone).
  for (const w of pthread.unusedWorkers) void w.terminate();
  pthread.unusedWorkers.length = 0;
  // Running pool threads are `ref()`ed by Emscripten, which keeps Node alive forever after training ends.
  for (const w of pthread.runningWorkers) w.unref();
}

/** Puts the engine back to "wasm not initialised", keeping the factory so it can be initialised again. */
/** Set once startWasm has initialised the module (shutdownWasm has something to free). */
let wasmStarted = false;

export function shutdownWasm(): void {
  const factory = tf.findBackendFactory('wasm');
  // Only a module we started: tf.findBackend would itself start initialising wasm (asynchronously),
  // leaving the engine waiting on it, so a never-started wasm is left alone.
  if (!factory || !wasmStarted) return;
  wasmStarted = false;
  const backend = tf.findBackend('wasm');
  if (backend) {
    // removeBackend disposes the module (terminating its pthreads) and drops the factory; re-register it.
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, 2);
  }
}

/**
 * Initialises (or re-selects) the wasm backend with up to `threads` XNNPACK threads.
 * `setWasmPaths` must have been called. Throws if even the single-threaded start fails.
 */
export async function startWasm(threads: number, wasmDir?: string): Promise<WasmStart> {
  wasmStarted = true;
  if (tf.findBackend('wasm')) {
    // Already initialised: switching back is free, but the thread count is fixed until shutdownWasm().
    if (!(await tf.setBackend('wasm'))) throw new Error('could not switch back to the wasm backend');
    const actual = tfwasm.getThreadsCount();
    return actual < threads ? { threads: actual, note: `already started with ${actual} thread(s)` } : { threads: actual };
  }

  let note: string | undefined;
  if (threads > 1) {
    const result = await tryThreaded(threads, wasmDir);
    if (typeof result === 'number') {
      return result < threads ? { threads: result, note: `the wasm module granted ${result} thread(s)` } : { threads: result };
    }
    note = result;
  }

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tfwasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed (see the tfjs warning above)');
  return note ? { threads: tfwasm.getThreadsCount(), note } : { threads: tfwasm.getThreadsCount() };
}

/** Returns the thread count on success, or a one-line reason on failure (the engine is then clean). */
async function tryThreaded(threads: number, wasmDir: string | undefined): Promise<number | string> {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
  let scratchDir: string;
  try {
    scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-lab-wasm-'));
  } catch (e) {
    return `cannot write the worker script: ${errorLine(e)}`;
  }

  const standaloneGlue = findStandaloneGlue(wasmDir);
  // Cheap early exit (avoids tfjs' failed-init warning): a minifier renamed the library's parameters too.
  if (!standaloneGlue && !String(tfwasm.setThreadsCount).includes('numThreads')) {
    removeDir(scratchDir);
    return `the bundled wasm glue is minified and ${GLUE_FILE} was not found next to the .wasm files`;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  tfwasm.setThreadsCount(threads);
  const patches = installThreadPatches(threads, scratchDir, standaloneGlue);
  let reason: string;
  try {
    const ok = await setWasmBackendWithin(THREADED_INIT_TIMEOUT_MS);
    patches.restore();
    if (ok && !patches.failure) {
      tidyWorkers(pthreadOf(tf.findBackend('wasm')));
      // Every worker has read its scripts by now (the module waits for all of them before it is ready).
      removeDir(scratchDir);
      return tfwasm.getThreadsCount();
    }
    reason = patches.failure ?? 'the threaded wasm module failed to start';
  } catch (e) {
    patches.restore();
    reason = errorLine(e);
  }

  // Tear the threaded attempt down so the single-threaded start begins from a clean engine.
  for (const w of patches.workers) void w.terminate();
  if (tf.findBackend('wasm')) shutdownWasm();
  removeDir(scratchDir);
  return reason;
}

function removeDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // A leftover temp folder is harmless.
  }
}
