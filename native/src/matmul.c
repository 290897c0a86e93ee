/* Batched matrix product in place on the heap: every transpose, broadcast batch operands (stride 0). */
#include <xmmintrin.h>
#include "gemm.h"
#include "kernels.h"
#include "signals.h"

/* matmul(heap, transA, transB, batch, M, N, K, aOffset, aStride, bOffset, bStride, cOffset)
 * Offsets in bytes; strides in elements between batch items (0: the operand is shared by all items).
 * A item is [M,K] ([K,M] if transA), B item [K,N] ([N,K] if transB), C item [M,N], all row-major. */
napi_value kernel_matmul(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!get_args(env, info, 12, argv)) return NULL;
  heap_t heap;
  bool ta, tb;
  int64_t batch, m, n, k, a_off, a_stride, b_off, b_stride, c_off;
  if (!heap_from_value(env, argv[0], &heap) || !arg_bool(env, argv[1], &ta) || !arg_bool(env, argv[2], &tb) ||
      !arg_i64(env, argv[3], &batch) || !arg_i64(env, argv[4], &m) || !arg_i64(env, argv[5], &n) ||
      !arg_i64(env, argv[6], &k) || !arg_i64(env, argv[7], &a_off) || !arg_i64(env, argv[8], &a_stride) ||
      !arg_i64(env, argv[9], &b_off) || !arg_i64(env, argv[10], &b_stride) || !arg_i64(env, argv[11], &c_off)) {
    return NULL;
  }
  if (batch < 1 || m < 1 || n < 1 || k < 1 || a_stride < 0 || b_stride < 0) {
    napi_throw_range_error(env, NULL, "electra-native: matmul sizes must be positive");
    return NULL;
  }
  const float *a = heap_floats(env, &heap, a_off, a_stride * (batch - 1) + m * k);
  const float *b = a ? heap_floats(env, &heap, b_off, b_stride * (batch - 1) + k * n) : NULL;
  float *c = b ? heap_floats(env, &heap, c_off, batch * m * n) : NULL;
  if (!c) return NULL;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  /* Gradients reach denormal magnitudes, where x86 runs ~100x slower (one product took 13 ms instead of
   * 0.1 ms in a training step). Flush them to zero for the product only: V8 shares this thread and expects
   * IEEE denormals, so the control register is restored before returning. */
  const unsigned int saved_csr = _mm_getcsr();
  _mm_setcsr(saved_csr | 0x8040); /* FTZ | DAZ */
  const sigset_t saved_mask = signals_hold();
  if (batch > 1 && gemm_get_threads() > 1) {
    /* Many small products (attention's heads): one product per thread beats splitting each (measured 66 vs
     * 177 GFLOP/s on 32 × [128,64]·[64,128] with 2 threads splitting each). A gemm inside a parallel
     * region runs on its own thread. */
    #pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < batch; i++) {
      gemm_f32(ta, tb, m, n, k, a + i * a_stride, lda, b + i * b_stride, ldb, 0.0f, c + i * m * n, n);
    }
  } else {
    for (int64_t i = 0; i < batch; i++) {
      gemm_f32(ta, tb, m, n, k, a + i * a_stride, lda, b + i * b_stride, ldb, 0.0f, c + i * m * n, n);
    }
  }
  signals_release(saved_mask);
  _mm_setcsr(saved_csr);
  return NULL;
}
