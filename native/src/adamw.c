/* google-research/electra's AdamWeightDecayOptimizer update, in place on the parameter's memory.
 * Arithmetic in double with float storage, exactly as the JS loop it replaces (equal results). */
#include <math.h>
#include "kernels.h"
#include "signals.h"

/* sumSquares(heap, offset, count) -> Σ x² in double (the global gradient norm is the root of the sum). */
napi_value kernel_sum_squares(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  heap_t heap;
  int64_t off, count;
  if (!heap_from_value(env, argv[0], &heap) || !arg_i64(env, argv[1], &off) || !arg_i64(env, argv[2], &count)) return NULL;
  const float *x = heap_floats(env, &heap, off, count);
  if (!x) return NULL;
  double sum = 0;
  const sigset_t saved = signals_hold();
  #pragma omp parallel for reduction(+ : sum) schedule(static) if (count > 65536)
  for (int64_t i = 0; i < count; i++) sum += (double)x[i] * (double)x[i];
  signals_release(saved);
  napi_value result;
  napi_create_double(env, sum, &result);
  return result;
}

/* adamw(heap, paramOffset, gradOffset, count, m, v, lr, beta1, beta2, epsilon, decay, gradScale)
 * m and v are Float32Arrays of `count` elements (the moments, kept outside the heap). */
napi_value kernel_adamw(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!get_args(env, info, 12, argv)) return NULL;
  heap_t heap, mh, vh;
  int64_t p_off, g_off, count;
  double lr, beta1, beta2, eps, decay, scale;
  if (!heap_from_value(env, argv[0], &heap) || !arg_i64(env, argv[1], &p_off) || !arg_i64(env, argv[2], &g_off) ||
      !arg_i64(env, argv[3], &count) || !heap_from_value(env, argv[4], &mh) || !heap_from_value(env, argv[5], &vh) ||
      !arg_f64(env, argv[6], &lr) || !arg_f64(env, argv[7], &beta1) || !arg_f64(env, argv[8], &beta2) ||
      !arg_f64(env, argv[9], &eps) || !arg_f64(env, argv[10], &decay) || !arg_f64(env, argv[11], &scale)) {
    return NULL;
  }
  float *w = heap_floats(env, &heap, p_off, count);
  const float *g = w ? heap_floats(env, &heap, g_off, count) : NULL;
  float *m = g ? heap_floats(env, &mh, 0, count) : NULL;
  float *v = m ? heap_floats(env, &vh, 0, count) : NULL;
  if (!v) return NULL;
  const sigset_t saved = signals_hold();
  #pragma omp parallel for schedule(static) if (count > 65536)
  for (int64_t i = 0; i < count; i++) {
    const double gi = (double)g[i] * scale;
    const float mi = (float)(beta1 * m[i] + (1 - beta1) * gi);
    const float vi = (float)(beta2 * v[i] + (1 - beta2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    const double wi = w[i];
    w[i] = (float)(wi - lr * ((double)mi / (sqrt((double)vi) + eps) + decay * wi));
  }
  signals_release(saved);
  return NULL;
}
