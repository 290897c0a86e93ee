/* Operands live in JavaScript typed arrays (the tfjs wasm heap, or a cpu-backend tensor's values): every
 * kernel takes (array, byte offset, element count) and checks the range before touching memory, so a
 * wrong offset is a JS exception, never a write past the end of the heap. */
#ifndef ELECTRA_NATIVE_HEAP_H
#define ELECTRA_NATIVE_HEAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

typedef struct {
  uint8_t *base;
  size_t bytes;
} heap_t;

/* Reads a Float32Array/Int32Array/Uint8Array argument as raw memory. Throws and returns false otherwise. */
bool heap_from_value(napi_env env, napi_value value, heap_t *out);
/* A float pointer at `byte_offset` holding `count` floats, or NULL after throwing a RangeError. */
float *heap_floats(napi_env env, const heap_t *heap, int64_t byte_offset, int64_t count);

bool arg_i64(napi_env env, napi_value value, int64_t *out);
bool arg_f64(napi_env env, napi_value value, double *out);
bool arg_bool(napi_env env, napi_value value, bool *out);

/* Fetches exactly `n` arguments or throws. */
bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);

#endif
