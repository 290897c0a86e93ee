/* oneDNN picks its kernels from the CPU itself (AVX-512 where present); it threads through OpenMP. */
#include <stdio.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include "gemm.h"

void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

void gemm_set_threads(int threads) { omp_set_num_threads(threads); }
int gemm_get_threads(void) { return omp_get_max_threads(); }

const char *gemm_library(void) {
  static char name[64];
  const dnnl_version_t *v = dnnl_version();
  snprintf(name, sizeof name, "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
  return name;
}
