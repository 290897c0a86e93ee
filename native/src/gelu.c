/* GELU (erf form) and its gradient, the same float32 approximations as the wasm SIMD kernels (XLA's rational
 * erf, |error| < 5e-7; Cephes' expf polynomial), written so the compiler vectorizes them: built for AVX-512,
 * AVX2 and plain x86-64, picked at load time. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kernels.h"
#include "signals.h"

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

static inline float erf32(float x) {
  const float t = x > 4.0f ? 4.0f : (x < -4.0f ? -4.0f : x);
  const float x2 = t * t;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return t * p / q;
}

/* e^x for x ≤ 0 (GELU's gradient only needs e^(−x²/2)): 2^n · poly(r), Cephes' coefficients. */
static inline float exp_neg32(float x) {
  const float t = x < -87.0f ? -87.0f : x;
  const float n = __builtin_rintf(t * 1.44269504088896341f);
  const float r = (t - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

CLONES static void gelu_loop(const float *restrict x, float *restrict y, int64_t n) {
  #pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf32(x[i] * 0.70710678118654752f));
}

CLONES static void gelu_grad_loop(const float *restrict dy, const float *restrict x, float *restrict dx, int64_t n) {
  #pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) {
    const float xi = x[i];
    const float cdf = 0.5f * (1.0f + erf32(xi * 0.70710678118654752f));
    const float pdf = exp_neg32(-0.5f * xi * xi) * 0.39894228040143268f;
    dx[i] = dy[i] * (cdf + xi * pdf);
  }
}

/* gelu(heap, xOffset, yOffset, count) */
napi_value kernel_gelu(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  heap_t heap;
  int64_t x_off, y_off, n;
  if (!heap_from_value(env, argv[0], &heap) || !arg_i64(env, argv[1], &x_off) || !arg_i64(env, argv[2], &y_off) || !arg_i64(env, argv[3], &n)) return NULL;
  const float *x = heap_floats(env, &heap, x_off, n);
  float *y = x ? heap_floats(env, &heap, y_off, n) : NULL;
  if (!y) return NULL;
  const sigset_t saved = signals_hold();
  gelu_loop(x, y, n);
  signals_release(saved);
  return NULL;
}

/* geluGrad(heap, dyOffset, xOffset, dxOffset, count) */
napi_value kernel_gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  heap_t heap;
  int64_t dy_off, x_off, dx_off, n;
  if (!heap_from_value(env, argv[0], &heap) || !arg_i64(env, argv[1], &dy_off) || !arg_i64(env, argv[2], &x_off) ||
      !arg_i64(env, argv[3], &dx_off) || !arg_i64(env, argv[4], &n)) return NULL;
  const float *dy = heap_floats(env, &heap, dy_off, n);
  const float *x = dy ? heap_floats(env, &heap, x_off, n) : NULL;
  float *dx = x ? heap_floats(env, &heap, dx_off, n) : NULL;
  if (!dx) return NULL;
  const sigset_t saved = signals_hold();
  gelu_grad_loop(dy, x, dx, n);
  signals_release(saved);
  return NULL;
}
