/**
 * The wasm heap as one Float32Array for the native kernels. The view is rebuilt whenever the heap has
 * grown (growth replaces the memory's buffer and detaches old views), so callers take it after they
 * allocate their outputs, never before.
 */
import { emscriptenMemory, type WasmBackendLike } from '../wasm-simd';

const views = new WeakMap<object, Float32Array>();

export function heapView(backend: WasmBackendLike): Float32Array {
  const memory = emscriptenMemory(backend.wasm);
  if (!memory) throw new Error('the wasm backend exposes no memory object');
  const buffer = memory.buffer as ArrayBufferLike;
  let view = views.get(backend.wasm);
  if (!view || view.buffer !== buffer) {
    view = new Float32Array(buffer);
    views.set(backend.wasm, view);
  }
  return view;
}
