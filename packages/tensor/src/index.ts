// @pullback/tensor — tensors, their ops (Zig kernels through bun:ffi) and the reference backend.
export { Tensor, isTensor, sizeOf, type DType, type NestedArray, type Shape, type TensorData } from "./tensor.ts";
export { Rng, type RngState } from "./rng.ts";
export { TensorError, fmtShape } from "./errors.ts";
export { getBackend, setBackend, type Backend } from "./backend.ts";
export { getThreads, setThreads, poolSize, startKernelProfile, stopKernelProfile, type KernelTime } from "./native/library.ts";
export * from "./io/safetensors.ts";
export { writeFileAtomic, fsyncDir, type AtomicContent } from "./io/atomic.ts";
export * from "./ops/elementwise.ts";
export * from "./ops/reduce.ts";
export * from "./ops/shape.ts";
export * from "./ops/softmax.ts";
export * from "./ops/layernorm.ts";
export * from "./ops/cross_entropy.ts";
export * from "./ops/embedding.ts";
export * from "./ops/dropout.ts";
export * from "./ops/adam.ts";
export * from "./ops/attention.ts";
export * from "./ops/matmul.ts";
