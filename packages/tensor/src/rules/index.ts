// @pullback/tensor/rules — the op table: every differentiable op of @pullback/tensor declared once,
// in its domain file (`export const op = defineOp({ op, differentiable, rule, frule, kernels })`,
// the backward kernels and forward forms declared with their forward rules by `defineKernel`
// next to the op that uses them), and next to it the classification of every other function
// export. @pullback/ad derives from this module what its loader knows of the ops
// (passes/known_ops.ts) and registers the table's rules and forward rules; @pullback/tensor/rrules
// (explicit mode) re-exports the entries, which are callable as rrules. It imports only ops:
// loading it does not load the Zig library (that happens on the first kernel call).
import * as arithmetic from "./arithmetic.ts";
import * as attention from "./attention.ts";
import { tensorConstructors } from "./constructors.ts";
import * as linalg from "./linalg.ts";
import * as nn from "./nn.ts";
import * as reduce from "./reduce.ts";
import * as shape from "./shape.ts";
import type { KernelRule, KernelTable, OpTable } from "./types.ts";

export { rruleOf, setRuleHook } from "./define.ts";
export type { Frule, FruleSpec, KernelRule, KernelSpec, KernelTable, OpRule, OpSpec, OpTable, Rrule, Rule, RuleHook, RulePullback } from "./types.ts";

/** The differentiable ops of @pullback/tensor, keyed by export name. */
export const opTable: OpTable = { ...arithmetic, ...linalg, ...nn, ...attention, ...reduce, ...shape };

/**
 * Every function the table's rules call without a rule of its own, keyed by name, with its forward
 * rule: the entries' backward kernels and forward forms, and Tensor's constructors. A name
 * declared twice is an error.
 */
export const kernelTable: KernelTable = (() => {
  const out: Record<string, KernelRule> = {};
  const add = (kernel: KernelRule, where: string) => {
    const seen = out[kernel.name];
    if (seen !== undefined && seen !== kernel)
      throw new Error(
        `@pullback/tensor/rules: the kernel ${kernel.name} is declared twice (again by ${where}); declare it once with defineKernel and list that declaration`,
      );
    out[kernel.name] = kernel;
  };
  for (const [name, entry] of Object.entries(opTable)) {
    for (const kernel of [...entry.kernels, ...(entry.forward ? [entry.forward] : [])]) add(kernel, name);
  }
  for (const kernel of tensorConstructors) add(kernel, "constructors.ts");
  return out;
})();

// ---- the other function exports of @pullback/tensor, each in exactly one list ----------------

/** Exports whose result carries no gradient, even given tensors: no rule is needed. */
export const NON_DIFFERENTIABLE_EXPORTS: ReadonlySet<string> = new Set([
  // constants: the attention dropout factors (the forward rules of attention read them)
  "attentionDropoutFactors",
  // predicates and shape helpers
  "isTensor",
  "sizeOf",
  "fmtShape",
  // backend, threads and profiling settings
  "getBackend",
  "setBackend",
  "getThreads",
  "setThreads",
  "poolSize",
  "startKernelProfile",
  "stopKernelProfile",
  // memory: whether a MemoryPool.run is in progress
  "inMemoryPool",
  // stop signals and the check before kernel calls (a stoppable computation is not differentiated through)
  "setKernelGuard",
  "catchStopSignals",
  "clearStopSignal",
  "releaseStopSignals",
  "stopSignal",
  "stopSignalNumber",
  "stoppable",
  "StopRequested",
  // GEMM precision settings (bf16)
  "getPrecision",
  "setPrecision",
  "getBf16Kernel",
  "setBf16Kernel",
  "bf16Support",
  "bf16KernelInUse",
  "resolveBf16Kernel",
  // I/O (saveSafetensors writes a file, not an argument)
  "loadSafetensors",
  "saveSafetensors",
  "writeFileAtomic",
  "fsyncDir",
  // classes: constructing them, or their static factories (Tensor.zeros, Tensor.from…), gives constants
  "Tensor",
  "Rng",
  "TensorError",
  "SafetensorsError",
  "MemoryPool",
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
    ["withPrecision", "runs a callback; call setPrecision around the differentiated code instead"],
    ["releasingTemporaries", "a memory scope for the AD runtime: every module-level function's pullback already runs in one"],
    ["geluSecondBackward", "gelu'' for the forward rule of geluBackward (second order); there are no third derivatives"],
    ["layerNormBackwardTangent", "the forward rule of layerNormBackward (second order); there are no third derivatives"],
    ["attentionRowsForwardTangent", "the forward rule of attentionRowsForward (second order); there are no third derivatives"],
    ["attentionRowsBackwardTangent", "the forward rule of attentionRowsBackward (second order); there are no third derivatives"],
  ]);
  for (const [name, entry] of Object.entries(opTable)) {
    if (entry.forward)
      out.set(entry.forward.name, `the forward form ${name}'s rule calls (it returns what the pullback needs); differentiate ${name}`);
    for (const kernel of entry.kernels) out.set(kernel.name, kernel.noRule ?? "a backward kernel: there are no second derivatives");
  }
  return out;
})();
