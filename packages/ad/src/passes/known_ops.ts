// What implicit mode knows about the exports of @pullback/tensor, by name. This file imports
// NOTHING: the loader reads it while expanding a file, without loading tensors or the Zig library
// through FFI. test/tensor_rules.test.ts checks it against the real exports and the real rules.
//
// Every function export of @pullback/tensor is in exactly one of:
//   DIFFERENTIABLE_OPS         ops with a rule (runtime/tensor_rules.ts registers them): a call
//                              with tracked arguments is differentiated through the rule;
//   NON_DIFFERENTIABLE_EXPORTS the result carries no gradient, whatever the arguments (predicates,
//                              shape helpers, settings, I/O; classes, whose construction and static
//                              factories such as Tensor.zeros give constants): no rule is needed;
//   MUTATING_OPS               ops that write into some of their arguments in place (positions
//                              listed): they have no rule, and a tracked value passed at a written
//                              position would be corrupted, so the loader can reject that;
//   NO_RULE_OPS                intentionally without a rule (backward kernels, statistics forms,
//                              gemm): a call with tracked arguments is an error naming the reason.
// A new export of @pullback/tensor fails that test until it is placed in one of them.

/** Ops of @pullback/tensor with an implicit-mode rule (the keys of `tensorRules`). */
export const DIFFERENTIABLE_OPS: ReadonlySet<string> = new Set([
  // elementwise (broadcasting binary ops, ops with a number, unary maps)
  "add", "sub", "mul", "div",
  "addScalar", "mulScalar", "divScalar",
  "exp", "log", "sqrt", "square", "tanh", "gelu",
  // matrix products
  "matmul", "bmm", "linear",
  // neural-network ops
  "softmax", "logSoftmax", "layerNorm", "crossEntropy", "linearCrossEntropy", "attention", "attentionRows", "dropout", "addDropout", "take", "pick",
  // reductions
  "sum", "sumAlong", "maxAlong",
  // data movement
  "reshape", "permute", "swapAxes", "splitAt", "concat",
]);

/**
 * How many leading arguments of each op of DIFFERENTIABLE_OPS are differentiable (the rest —
 * shapes, axes, indices, targets, options — always get a null cotangent). Activity analysis uses
 * it: a value that only reaches the other arguments needs no cotangent.
 */
export const DIFFERENTIABLE_ARGS: ReadonlyMap<string, number> = new Map([
  ["add", 2], ["sub", 2], ["mul", 2], ["div", 2],
  ["addScalar", 2], ["mulScalar", 2], ["divScalar", 2],
  ["exp", 1], ["log", 1], ["sqrt", 1], ["square", 1], ["tanh", 1], ["gelu", 1],
  ["matmul", 2], ["bmm", 2], ["linear", 3],
  ["softmax", 1], ["logSoftmax", 1], ["layerNorm", 3], ["crossEntropy", 1], ["linearCrossEntropy", 2], ["attention", 3], ["attentionRows", 1], ["dropout", 1], ["addDropout", 2], ["take", 1], ["pick", 1],
  ["sum", 1], ["sumAlong", 1], ["maxAlong", 1],
  ["reshape", 1], ["permute", 1], ["swapAxes", 1], ["splitAt", 1], ["concat", 1],
]);

/** Exports of @pullback/tensor whose result carries no gradient, even given tensors. */
export const NON_DIFFERENTIABLE_EXPORTS: ReadonlySet<string> = new Set([
  // predicates and shape helpers
  "isTensor", "sizeOf", "fmtShape",
  // backend, threads and profiling settings
  "getBackend", "setBackend", "getThreads", "setThreads", "poolSize", "startKernelProfile", "stopKernelProfile",
  // memory: whether a MemoryPool.run is in progress
  "inMemoryPool",
  // stop signals and the check before kernel calls (a stoppable computation is not differentiated through)
  "setKernelGuard", "catchStopSignals", "clearStopSignal", "releaseStopSignals", "stopSignal", "stopSignalNumber", "stoppable", "StopRequested",
  // GEMM precision settings (bf16)
  "getPrecision", "setPrecision", "getBf16Kernel", "setBf16Kernel", "bf16Support", "bf16KernelInUse", "resolveBf16Kernel",
  // I/O (saveSafetensors writes a file, not an argument)
  "loadSafetensors", "saveSafetensors", "writeFileAtomic", "fsyncDir",
  // classes: constructing them, or their static factories (Tensor.zeros, Tensor.from…), gives constants
  "Tensor", "Rng", "TensorError", "SafetensorsError", "MemoryPool",
]);

/** Ops that write into arguments in place: export name → the positions of the written arguments. */
export const MUTATING_OPS: ReadonlyMap<string, readonly number[]> = new Map([
  ["addInto", [0]], // addInto(dst, src): dst += src
  ["adamUpdate", [0, 2, 3]], // adamUpdate(params, grads, m, v, options): params, m and v are updated; grads is read
]);

/** The backward kernels: what rules call, never differentiated themselves. */
export const BACKWARD_KERNELS: readonly string[] = [
  "expBackward", "logBackward", "sqrtBackward", "squareBackward", "tanhBackward", "geluBackward",
  "softmaxBackward", "logSoftmaxBackward", "layerNormBackward", "crossEntropyBackward", "attentionBackward", "attentionRowsBackward",
  "dropoutBackward", "takeBackward", "pickBackward", "maxAlongBackward",
];

/** Function exports of @pullback/tensor that intentionally have no rule, with the reason. */
export const NO_RULE_OPS: ReadonlyMap<string, string> = new Map([
  ["gemm", "use matmul / linear (gemm's out and beta accumulate into a buffer in place)"],
  ["withPrecision", "runs a callback; call setPrecision around the differentiated code instead"],
  ["sumToShape", "the broadcasting backward of add/sub/mul/div; use sumAlong"],
  ["crossEntropyForward", "returns the statistics for crossEntropyBackward; differentiate crossEntropy"],
  ["linearCrossEntropyForward", "returns the loss with its gradients (dx, dw) computed in the same pass; differentiate linearCrossEntropy"],
  ["layerNormForward", "returns the statistics for layerNormBackward; differentiate layerNorm"],
  ["attentionForward", "returns the statistics for attentionBackward; differentiate attention"],
  ["attentionRowsForward", "returns the statistics for attentionRowsBackward; differentiate attentionRows"],
  ["releasingTemporaries", "a memory scope for the AD runtime: every module-level function's pullback already runs in one"],
  ["maxAlongForward", "returns the argmax for maxAlongBackward; differentiate maxAlong"],
  ...BACKWARD_KERNELS.map((name): [string, string] => [name, "a backward kernel: it has a forward rule (runtime/tensor_frules.ts) but no reverse rule"]),
]);
