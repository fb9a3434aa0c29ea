// @pullback/tensor/rrules — explicit mode's front-end onto the op table: every entry is callable
// as its op's rrule, `op(x, ...rest) → [y, op_pullback]`, with the differentiable arguments packed
// first (an array when there are several: `linear([x, w, b])`) and the rest passed through; the
// pullback returns their cotangents packed the same way. `fork`, `detach`, `attach` and
// `splitFirst` live in @pullback/ad (they are about tracking).
export * from "./arithmetic.ts";
export * from "./attention.ts";
export * from "./linalg.ts";
export * from "./nn.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export type { Rrule } from "./types.ts";
