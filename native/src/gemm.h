/* The one BLAS call the kernels need, row-major, behind whichever library this build links
 * (gemm_dnnl.c or gemm_openblas.c, chosen in binding.gyp). */
#ifndef ELECTRA_NATIVE_GEMM_H
#define ELECTRA_NATIVE_GEMM_H
#include <stdbool.h>
#include <stdint.h>

/* C[M,N] = op(A)[M,K] · op(B)[K,N] + beta · C, row-major (beta 0 overwrites C, whatever it held). */
void gemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
void gemm_set_threads(int threads);
int gemm_get_threads(void);
/* "onednn 2.6" or "openblas 0.3.21 (Haswell)": for the engine log. */
const char *gemm_library(void);
#endif
