/* ELECTRA Lab's native kernel tier: the registration list. A new kernel is a file and a line here. */
#include <omp.h>
#include <xmmintrin.h>
#include "gemm.h"
#include "kernels.h"
#include "signals.h"

static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t threads;
  if (!get_args(env, info, 1, argv) || !arg_i64(env, argv[0], &threads)) return NULL;
  if (threads < 1) threads = 1;
  gemm_set_threads((int)threads);
  /* Start the OpenMP pool now, with asynchronous signals held (its threads keep the mask for life: see
   * signals.h) and denormals flushed on the pool's own threads (this thread is V8's and keeps IEEE rules;
   * matmul.c flushes them here only for the product). */
  const sigset_t saved = signals_hold();
  #pragma omp parallel
  {
    if (omp_get_thread_num() != 0) _mm_setcsr(_mm_getcsr() | 0x8040);
  }
  signals_release(saved);
  return NULL;
}

static napi_value info_value(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, library, threads;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, gemm_library(), NAPI_AUTO_LENGTH, &library);
  napi_create_int32(env, gemm_get_threads(), &threads);
  napi_set_named_property(env, out, "library", library);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}

static const struct { const char *name; napi_callback fn; } KERNELS[] = {
  {"matmul", kernel_matmul},
  {"linear", kernel_linear},
  {"sumSquares", kernel_sum_squares},
  {"adamw", kernel_adamw},
  {"gelu", kernel_gelu},
  {"geluGrad", kernel_gelu_grad},
  {"setThreads", set_threads},
  {"info", info_value},
};

static napi_value init(napi_env env, napi_value exports) {
  for (size_t i = 0; i < sizeof KERNELS / sizeof KERNELS[0]; i++) {
    napi_value fn;
    napi_create_function(env, KERNELS[i].name, NAPI_AUTO_LENGTH, KERNELS[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, KERNELS[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
