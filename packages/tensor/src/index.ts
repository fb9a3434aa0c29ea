// @pullback/tensor — tensors, their ops (Zig kernels through bun:ffi) and the reference backend.
export { Tensor, isTensor, sizeOf, type DType, type NestedArray, type Shape, type TensorData } from "./tensor.ts";
export { Rng, type RngState } from "./rng.ts";
export { TensorError, fmtShape } from "./errors.ts";
export { getBackend, setBackend, type Backend } from "./backend.ts";
export {
  getPrecision,
  setPrecision,
  withPrecision,
  getBf16Kernel,
  setBf16Kernel,
  bf16Support,
  bf16KernelInUse,
  resolveBf16Kernel,
  bf16Kernels,
  precisions,
  type Precision,
  type Bf16Kernel,
  type Bf16Support,
} from "./precision.ts";
export { getThreads, setThreads, poolSize, startKernelProfile, stopKernelProfile, type KernelTime } from "./native/library.ts";
export { setKernelGuard } from "./native/library.ts";
export { catchStopSignals, clearStopSignal, releaseStopSignals, stopSignal, stopSignalNumber, stoppable, StopRequested } from "./native/signals.ts";
export * from "./io/safetensors.ts";
export { writeFileAtomic, fsyncDir, type AtomicContent } from "./io/atomic.ts";
export * from "./ops/elementwise.ts";
export * from "./ops/reduce.ts";
export * from "./ops/shape.ts";
export * from "./ops/softmax.ts";
export * from "./ops/layernorm.ts";
export * from "./ops/cross_entropy.ts";
export * from "./ops/linear_cross_entropy.ts";
export * from "./ops/embedding.ts";
export * from "./ops/dropout.ts";
export * from "./ops/adam.ts";
export * from "./ops/attention.ts";
export * from "./ops/matmul.ts";
export { MemoryPool, inMemoryPool, releasingTemporaries, type MemoryPoolStats } from "./memory.ts";
