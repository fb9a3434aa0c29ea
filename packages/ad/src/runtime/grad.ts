// valueAndGrad and grad over functions in the rrule convention: `f(x, ...rest) → [y, pullback]`
// with a scalar y (a number or a one-element Tensor). The cotangent is seeded with 1.
import { Tensor } from "@pullback/tensor";
import { treeZerosLike, type Tree } from "./tree.ts";

export type RRule<X = any, Y = any> = (x: X, ...rest: any[]) => [Y, (dy: any) => any];

export interface GradOptions {
  /** f's output is `[value, aux]`: differentiate `value` only; aux is returned alongside (its cotangent is zero). */
  hasAux?: boolean;
}

function seedFor(value: unknown, name: string): number | Tensor {
  if (typeof value === "number") return 1;
  if (value instanceof Tensor) {
    if (value.size !== 1) throw new TypeError(`${name}: f must return a scalar (a number or a one-element Tensor), got a Tensor of shape (${value.shape.join(", ")})`);
    return Tensor.ones(value.shape, value.dtype);
  }
  throw new TypeError(`${name}: f must return a scalar (a number or a one-element Tensor), got ${value === null ? "null" : typeof value}`);
}

function callRRule(f: RRule, x: unknown, rest: unknown[], name: string): [unknown, (dy: unknown) => unknown] {
  const result = f(x, ...rest);
  if (!Array.isArray(result) || result.length !== 2 || typeof result[1] !== "function") {
    throw new TypeError(`${name}: f must return [output, pullback] (write it with ad(...) in a .ad.ts file, or as an rrule)`);
  }
  return result as [unknown, (dy: unknown) => unknown];
}

/**
 * `valueAndGrad(f)(x, ...rest)` → `[value, grads]` (grads shaped like x);
 * with `{ hasAux: true }`, f returns `[[value, aux], pullback]` and the result is `[[value, aux], grads]`.
 */
export function valueAndGrad<X>(f: RRule<X>, options: GradOptions = {}): (x: X, ...rest: any[]) => [any, any] {
  const name = "valueAndGrad";
  return function valueAndGradOf(x: X, ...rest: any[]) {
    const [out, pullback] = callRRule(f, x, rest, name);
    if (options.hasAux) {
      if (!Array.isArray(out) || out.length !== 2) throw new TypeError(`${name}: with hasAux, f must return [[value, aux], pullback]`);
      const [value, aux] = out;
      const grads = pullback([seedFor(value, name), treeZerosLike(aux as Tree)]);
      return [[value, aux], grads];
    }
    const grads = pullback(seedFor(out, name));
    return [out, grads];
  };
}

/** `grad(f)(x, ...rest)` → grads; with `{ hasAux: true }` → `[grads, aux]`. */
export function grad<X>(f: RRule<X>, options: GradOptions = {}): (x: X, ...rest: any[]) => any {
  const vg = valueAndGrad(f, options);
  return function gradOf(x: X, ...rest: any[]) {
    const [out, grads] = vg(x, ...rest);
    return options.hasAux ? [grads, (out as [unknown, unknown])[1]] : grads;
  };
}
