// @pullback/tensor — tensors, their ops (Zig kernels through bun:ffi) and the reference backend.
export { Tensor, isTensor, sizeOf, type DType, type NestedArray, type Shape, type TensorData } from "./tensor.ts";
export { Rng, type RngState } from "./rng.ts";
export { TensorError, fmtShape } from "./errors.ts";
export { getBackend, setBackend, type Backend } from "./backend.ts";
export { getThreads, setThreads, poolSize } from "./native/library.ts";
export * from "./ops/matmul.ts";
