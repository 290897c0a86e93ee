#include "heap.h"

bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != n) {
    napi_throw_type_error(env, NULL, "electra-native: wrong number of arguments");
    return false;
  }
  return true;
}

bool heap_from_value(napi_env env, napi_value value, heap_t *out) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) {
    napi_throw_type_error(env, NULL, "electra-native: expected a typed array over the heap");
    return false;
  }
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, &offset) != napi_ok) return false;
  size_t element = (type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array) ? 4
                 : (type == napi_uint8_array || type == napi_int8_array) ? 1 : 0;
  if (element == 0) {
    napi_throw_type_error(env, NULL, "electra-native: unsupported typed array type");
    return false;
  }
  out->base = (uint8_t *)data; /* napi gives the view's first element already */
  out->bytes = length * element;
  return true;
}

float *heap_floats(napi_env env, const heap_t *heap, int64_t byte_offset, int64_t count) {
  if (byte_offset < 0 || count < 0 || (byte_offset & 3) != 0 ||
      (uint64_t)byte_offset + (uint64_t)count * 4u > heap->bytes) {
    napi_throw_range_error(env, NULL, "electra-native: operand outside the heap");
    return NULL;
  }
  return (float *)(heap->base + byte_offset);
}

bool arg_i64(napi_env env, napi_value value, int64_t *out) {
  if (napi_get_value_int64(env, value, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "electra-native: expected an integer");
    return false;
  }
  return true;
}

bool arg_f64(napi_env env, napi_value value, double *out) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "electra-native: expected a number");
    return false;
  }
  return true;
}

bool arg_bool(napi_env env, napi_value value, bool *out) {
  if (napi_get_value_bool(env, value, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "electra-native: expected a boolean");
    return false;
  }
  return true;
}
