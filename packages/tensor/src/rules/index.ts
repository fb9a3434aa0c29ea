// @pullback/tensor/rules — the op table: every differentiable op of @pullback/tensor declared once,
// in its domain file (`export const op = defineOp({ op, differentiable, rule, kernels })`), and
// next to it the classification of every other function export. @pullback/ad derives from this
// module what its loader knows of the ops (passes/known_ops.ts) and registers the table's rules;
// @pullback/tensor/rrules (explicit mode) re-exports the entries, which are callable as rrules.
// It imports only ops: loading it does not load the Zig library (that happens on the first
// kernel call).
import * as arithmetic from "./arithmetic.ts";
import * as linalg from "./linalg.ts";
import * as nn from "./nn.ts";
import * as reduce from "./reduce.ts";
import * as shape from "./shape.ts";
import type { OpTable } from "./types.ts";

export { rruleOf, setRuleHook } from "./define.ts";
export type { OpRule, OpSpec, OpTable, Rrule, Rule, RuleHook, RulePullback } from "./types.ts";

/** The differentiable ops of @pullback/tensor, keyed by export name. */
export const opTable: OpTable = { ...arithmetic, ...linalg, ...nn, ...reduce, ...shape };

// ---- the other function exports of @pullback/tensor, each in exactly one list ----------------

/** Exports whose result carries no gradient, even given tensors: no rule is needed. */
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

/**
 * Ops that write into arguments in place: export name → the positions of the written arguments.
 * They have no rule, and a tracked value passed at a written position would be corrupted.
 */
export const MUTATING_OPS: ReadonlyMap<string, readonly number[]> = new Map([
  ["addInto", [0]], // addInto(dst, src): dst += src
  ["adamUpdate", [0, 2, 3]], // adamUpdate(params, grads, m, v, options): params, m and v are updated; grads is read
]);

/**
 * Exports intentionally without a rule, with the reason (a call with tracked arguments is an
 * error naming it): these, and the forward forms and backward kernels the table's entries name.
 */
export const NO_RULE_OPS: ReadonlyMap<string, string> = (() => {
  const out = new Map<string, string>([
    ["gemm", "use matmul / linear (gemm's out and beta accumulate into a buffer in place)"],
    ["withPrecision", "runs a callback; call setPrecision around the differentiated code instead"],
    ["sumToShape", "the broadcasting backward of add/sub/mul/div; use sumAlong"],
    ["releasingTemporaries", "a memory scope for the AD runtime: every module-level function's pullback already runs in one"],
  ]);
  for (const [name, entry] of Object.entries(opTable)) {
    if (entry.forward) out.set(entry.forward.name, `the forward form ${name}'s rule calls (it returns what the pullback needs); differentiate ${name}`);
    for (const kernel of entry.kernels) if (!out.has(kernel.name)) out.set(kernel.name, "a backward kernel: there are no second derivatives");
  }
  return out;
})();
