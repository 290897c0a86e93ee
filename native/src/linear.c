/* A dense layer's forward, y = x·Wᵀ + b, as one product: the bias rows are laid into y first and the product
 * adds onto them (beta = 1), so no separate broadcast add walks the output again. */
#include <string.h>
#include <xmmintrin.h>
#include "gemm.h"
#include "kernels.h"
#include "signals.h"

/* linear(heap, M, N, K, xOffset, wOffset, biasOffset, yOffset): x [M,K], W [N,K] (PyTorch layout), b [N], y [M,N]. */
napi_value kernel_linear(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!get_args(env, info, 8, argv)) return NULL;
  heap_t heap;
  int64_t m, n, k, x_off, w_off, b_off, y_off;
  if (!heap_from_value(env, argv[0], &heap) || !arg_i64(env, argv[1], &m) || !arg_i64(env, argv[2], &n) ||
      !arg_i64(env, argv[3], &k) || !arg_i64(env, argv[4], &x_off) || !arg_i64(env, argv[5], &w_off) ||
      !arg_i64(env, argv[6], &b_off) || !arg_i64(env, argv[7], &y_off)) {
    return NULL;
  }
  if (m < 1 || n < 1 || k < 1) {
    napi_throw_range_error(env, NULL, "electra-native: linear sizes must be positive");
    return NULL;
  }
  const float *x = heap_floats(env, &heap, x_off, m * k);
  const float *w = x ? heap_floats(env, &heap, w_off, n * k) : NULL;
  const float *bias = w ? heap_floats(env, &heap, b_off, n) : NULL;
  float *y = bias ? heap_floats(env, &heap, y_off, m * n) : NULL;
  if (!y) return NULL;
  for (int64_t row = 0; row < m; row++) memcpy(y + row * n, bias, (size_t)n * sizeof(float));
  /* As matmul.c: denormals flushed for the product only, asynchronous signals held (oneDNN's JIT gemm). */
  const unsigned int saved_csr = _mm_getcsr();
  _mm_setcsr(saved_csr | 0x8040);
  const sigset_t saved_mask = signals_hold();
  gemm_f32(false, true, m, n, k, x, k, w, k, 1.0f, y, n);
  signals_release(saved_mask);
  _mm_setcsr(saved_csr);
  return NULL;
}
