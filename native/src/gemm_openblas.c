/* OpenBLAS honours OPENBLAS_CORETYPE from the environment (the engine never overrides it). */
#include <stdio.h>
#include <cblas.h>
#include "gemm.h"

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_corename(void);

void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

void gemm_set_threads(int threads) { openblas_set_num_threads(threads); }
int gemm_get_threads(void) { return openblas_get_num_threads(); }

const char *gemm_library(void) {
  static char name[64];
  snprintf(name, sizeof name, "OpenBLAS (%s kernels)", openblas_get_corename());
  return name;
}
