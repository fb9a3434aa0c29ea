// The implicit-mode rules of the differentiable ops of @pullback/tensor (passes/known_ops.ts lists
// them by name). A rule takes exactly the op's own arguments, `rule(...args) → [y, pullback]`, and
// `pullback(dy)` returns one cotangent per argument: `null` for the non-differentiable ones
// (indices, shapes, axes, p/seed/offset, options). Each rule is built on the explicit rrule of
// @pullback/tensor/rrules (differentiable inputs packed first), so anomaly detection (`watched`)
// still checks every output and cotangent. Importing this module registers every rule with
// `defineRrule(op, rule, "op")`, so `findRule(ops.matmul) === tensorRules.matmul`.
import * as ops from "@pullback/tensor";
import type { Tensor } from "@pullback/tensor";
import * as rr from "@pullback/tensor/rrules";
import { defineRrule, type Rule, type RulePullback } from "./registry.ts";

/** Names `f` (stack traces show it) and returns it. */
function named<F extends Function>(name: string, f: F): F {
  Object.defineProperty(f, "name", { value: name });
  return f;
}

/** The NoTangent of each trailing non-differentiable argument. */
const nulls = (rest: unknown[]): null[] => rest.map(() => null);

type ExplicitPullback = (dy: any) => any;

/**
 * A rule for an op whose first `arity` arguments are differentiable and whose rrule takes them
 * packed: `rrule([a, b, …], ...rest)`, pullback → [da, db, …].
 */
function packed(name: string, arity: number, rrule: (xs: any, ...rest: any[]) => [any, (dy: any) => any[]]): Rule {
  return named(name, (...args: any[]): [any, RulePullback] => {
    const rest = args.slice(arity);
    const [y, pullback] = rrule(args.slice(0, arity), ...rest);
    return [y, named(`${name}_pullback`, (dy: any) => [...pullback(dy), ...nulls(rest)])];
  });
}

/** A rule for an op whose first argument only is differentiable: `rrule(x, ...rest)`, pullback → dx. */
function first(name: string, rrule: (x: any, ...rest: any[]) => [any, ExplicitPullback]): Rule {
  return named(name, (x: any, ...rest: any[]): [any, RulePullback] => {
    const [y, pullback] = rrule(x, ...rest);
    return [y, named(`${name}_pullback`, (dy: any) => [pullback(dy), ...nulls(rest)])];
  });
}

/**
 * A rule for `op(x, s)` with a number s: the rrule gives dx, `ds(dy, x, s)` the cotangent of s
 * (a number: s may itself be computed from tracked values).
 */
function withScalar(name: string, rrule: (x: Tensor, s: number) => [Tensor, (dy: Tensor) => Tensor], ds: (dy: Tensor, x: Tensor, s: number) => number): Rule {
  return named(name, (x: Tensor, s: number): [Tensor, RulePullback] => {
    const [y, pullback] = rrule(x, s);
    return [y, named(`${name}_pullback`, (dy: Tensor) => [pullback(dy), ds(dy, x, s)])];
  });
}

/** ⟨dy, x⟩, in float64. */
const dot = (dy: Tensor, x: Tensor): number => ops.sum(ops.mul(dy, x));

/** [left, right] = splitAt(x, axis, index); a null cotangent of either half is a zero one. */
function splitAt(x: Tensor, axis: number, index: number): [[Tensor, Tensor], RulePullback] {
  const [parts, pullback] = rr.splitAt(x, axis, index);
  return [parts, function splitAt_pullback(dy: [Tensor | null, Tensor | null]) {
    const [dl, dr] = dy;
    if (dl == null && dr == null) return [null, null, null];
    const zeros = (t: Tensor) => ops.Tensor.zeros(t.shape, t.dtype);
    return [pullback([dl ?? zeros(parts[0]), dr ?? zeros(parts[1])]), null, null];
  }];
}

/** The rule of every differentiable op of @pullback/tensor, keyed by its export name. */
export const tensorRules: Record<string, Rule> = {
  // elementwise: broadcasting binary ops (the cotangents are summed back to each operand's shape)
  add: packed("add", 2, rr.add),
  sub: packed("sub", 2, rr.sub),
  mul: packed("mul", 2, rr.mul),
  div: packed("div", 2, rr.div),
  // ops with a number s
  addScalar: withScalar("addScalar", rr.addScalar, (dy) => ops.sum(dy)),
  mulScalar: withScalar("mulScalar", rr.mulScalar, (dy, x) => dot(dy, x)),
  divScalar: withScalar("divScalar", rr.divScalar, (dy, x, s) => -dot(dy, x) / (s * s)),
  // unary maps
  exp: first("exp", rr.exp),
  log: first("log", rr.log),
  sqrt: first("sqrt", rr.sqrt),
  square: first("square", rr.square),
  tanh: first("tanh", rr.tanh),
  gelu: first("gelu", rr.gelu),
  // matrix products (bmm's options are not differentiated)
  matmul: packed("matmul", 2, rr.matmul),
  bmm: packed("bmm", 2, rr.bmm),
  linear: packed("linear", 3, rr.linear),
  // neural-network ops (eps, targets, options, p/seed/offset, indices are not differentiated)
  softmax: first("softmax", rr.softmax),
  logSoftmax: first("logSoftmax", rr.logSoftmax),
  layerNorm: packed("layerNorm", 3, rr.layerNorm),
  crossEntropy: first("crossEntropy", rr.crossEntropy),
  linearCrossEntropy: packed("linearCrossEntropy", 2, rr.linearCrossEntropy),
  attention: packed("attention", 3, rr.attention),
  attentionRows: first("attentionRows", rr.attentionRows),
  dropout: first("dropout", rr.dropout),
  addDropout: packed("addDropout", 2, rr.addDropout),
  take: first("take", rr.take),
  pick: first("pick", rr.pick),
  // reductions (sum returns a number; its cotangent is a number)
  sum: first("sum", rr.sum),
  sumAlong: first("sumAlong", rr.sumAlong),
  maxAlong: first("maxAlong", rr.maxAlong),
  // data movement (concat's cotangent is an array, one per tensor of xs)
  reshape: first("reshape", rr.reshape),
  permute: first("permute", rr.permute),
  swapAxes: first("swapAxes", rr.swapAxes),
  splitAt,
  concat: first("concat", rr.concat),
};

for (const [name, rule] of Object.entries(tensorRules)) {
  const op = (ops as Record<string, unknown>)[name];
  if (typeof op !== "function") throw new Error(`tensor_rules: @pullback/tensor has no function ${name}`);
  defineRrule(op, rule, "op");
}
