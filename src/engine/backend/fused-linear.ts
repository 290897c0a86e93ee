/**
 * A dense layer's forward, y = x·Wᵀ + b, as one kernel ('ElectraLinear', W stored [out, in]) with its gradient.
 * On wasm it is the product and the bias add (the same two kernels the model ran before); the native tier
 * replaces it with one BLAS call that adds the product onto the bias rows, which saves walking every dense
 * output a second time (113 adds in an ELECTRA-Small window forward).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

export const LINEAR = 'ElectraLinear';

type KernelArgs = Parameters<KernelFunc>[0];

/** The wasm kernel: BatchMatMul then Add, as registered for wasm when it runs (our fixes included). */
export function wasmLinearKernel(args: KernelArgs): TensorInfo {
  const { x, weight, bias } = args.inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const backend = args.backend as unknown as { disposeData(dataId: object): void };
  const product = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc({
    inputs: { a: x, b: weight }, attrs: { transposeA: false, transposeB: true }, backend: args.backend,
  }) as TensorInfo;
  const y = tf.getKernel('Add', 'wasm')!.kernelFunc({ inputs: { a: product, b: bias }, attrs: {}, backend: args.backend }) as TensorInfo;
  backend.disposeData(product.dataId);
  return y;
}

export const linearGradient: tf.GradConfig = {
  kernelName: LINEAR,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, saved) => {
    const [x, weight] = saved;
    const g = dy as tf.Tensor2D;
    return {
      x: () => tf.matMul(g, weight as tf.Tensor2D),
      weight: () => tf.matMul(g, x as tf.Tensor2D, true, false),
      bias: () => tf.sum(g, 0),
    };
  },
};
