#ifndef ELECTRA_NATIVE_KERNELS_H
#define ELECTRA_NATIVE_KERNELS_H
#include "heap.h"
napi_value kernel_matmul(napi_env env, napi_callback_info info);
napi_value kernel_sum_squares(napi_env env, napi_callback_info info);
napi_value kernel_adamw(napi_env env, napi_callback_info info);
napi_value kernel_linear(napi_env env, napi_callback_info info);
napi_value kernel_gelu(napi_env env, napi_callback_info info);
napi_value kernel_gelu_grad(napi_env env, napi_callback_info info);
#endif
