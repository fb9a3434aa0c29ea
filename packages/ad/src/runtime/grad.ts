// valueAndGrad, grad and pullback. Implicit mode: f is a function with a rule (any function of an
// implicit `.ad.ts` module, or one given a rule with customVjp); cotangents come back for the
// arguments selected by `argnums`, in their structure, with explicit zeros for untouched leaves.
// Explicit mode: f is in the rrule convention `f(x, ...rest) → [y, pullback]` (an `ad(...)`
// function). Either way the output is a scalar (a number or a one-element Tensor) seeded with 1.
import { Tensor } from "@pullback/tensor";
import { adFilesWithoutLoader, loaderMissing, loaderRegistered } from "./marker.ts";
import { findRule } from "./registry.ts";
import { isPlainObject, treeZerosLike, type Tree } from "./tree.ts";
import type { Cotangent, GradOf, TypedGradOptions, ValueAndGradOf } from "./grad_types.ts";

export type { AuxOf, Cotangent, GradOf, GradsOf, TypedGradOptions, ValueAndGradOf } from "./grad_types.ts";

export type RRule<X = any, Y = any> = (x: X, ...rest: any[]) => [Y, (dy: any) => any];

export interface GradOptions {
  /** f's output is `[value, aux]`: differentiate `value` only; aux is returned alongside (its cotangent is zero). */
  hasAux?: boolean;
  /** Implicit mode: which arguments to differentiate (default 0); an array gives a tuple of gradients. */
  argnums?: number | number[];
}


/**
 * The cotangent `d` completed to the structure of the primal `x`: untouched Tensor leaves become
 * zeros of their shape, numbers 0; leaves that are not differentiable (integer arrays, strings,
 * booleans, functions) get null. Never undefined.
 */
export function completeCotangent(d: any, x: any): any {
  if (x instanceof Tensor) {
    if (d === null || d === undefined) return Tensor.zeros(x.shape, x.dtype);
    return d;
  }
  if (typeof x === "number") return d === null || d === undefined ? 0 : d;
  if (Array.isArray(x)) return x.map((xi, i) => completeCotangent(d === null || d === undefined ? null : d[i], xi));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) out[k] = completeCotangent(d === null || d === undefined ? null : d[k], x[k]);
    return out;
  }
  return null;
}

/**
 * `pullback(f, ...args)` → `[y, back]`: runs f's rule; `back(dy)` returns one cotangent per
 * argument, each completed to the argument's structure (explicit zeros, never undefined).
 */
export function pullback<A extends any[], Y>(f: (...args: A) => Y, ...args: A): [Y, (dy: Cotangent<Y>) => { -readonly [I in keyof A]: Cotangent<A[I]> }];
export function pullback<A extends any[], Y>(f: (...args: A) => Y, ...args: A): [Y, (dy: any) => any[]] {
  const rule = findRule(f);
  if (!rule) {
    if (!loaderRegistered()) throw loaderMissing("pullback", f);
    throw new TypeError(
      `pullback: ${f.name || "the function"} has no rule — define it in an .ad.ts file (implicit mode), or give it one with customVjp/defineRrule`,
    );
  }
  const [y, back] = rule(...args);
  return [
    y as Y,
    function pullbackOf(dy: any): any[] {
      const ds = back(dy);
      return args.map((a, i) => completeCotangent(ds[i], a));
    },
  ];
}

function implicitValueAndGrad(f: Function, options: GradOptions, name: string) {
  const argnums = options.argnums ?? 0;
  const list = Array.isArray(argnums) ? argnums : [argnums];
  return function valueAndGradOf(...args: any[]) {
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0 || i >= args.length) throw new RangeError(`${name}: argnums ${i} is out of range for a call with ${args.length} argument${args.length === 1 ? "" : "s"}`);
    }
    const [out, back] = pullback(f as (...a: any[]) => any, ...args);
    let value: unknown = out;
    let seed: unknown;
    if (options.hasAux) {
      if (!Array.isArray(out) || out.length !== 2) throw new TypeError(`${name}: with hasAux, f must return [value, aux]`);
      value = out[0];
      seed = [seedFor(value, name), null];
    } else seed = seedFor(out, name);
    const ds = back(seed);
    const grads = Array.isArray(argnums) ? list.map((i) => ds[i]) : ds[argnums];
    return [out, grads] as [any, any];
  };
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
    // Without the loader, a function of an implicit .ad.ts file is plain code with no rule.
    if (!loaderRegistered()) throw loaderMissing(name, f);
    throw new TypeError(`${name}: f must return [output, pullback] (write it with ad(...) in a .ad.ts file, or as an rrule)`);
  }
  return result as [unknown, (dy: unknown) => unknown];
}

/**
 * `valueAndGrad(f)(x, ...rest)` → `[value, grads]` (grads shaped like x);
 * with `{ hasAux: true }`, f returns `[[value, aux], pullback]` and the result is `[[value, aux], grads]`.
 */
export function valueAndGrad<F extends (...args: any[]) => any, const N extends number | readonly number[] = 0, H extends boolean = false>(
  f: F,
  options?: TypedGradOptions<N, H>,
): ValueAndGradOf<F, N>;
export function valueAndGrad<X>(f: RRule<X> | ((...args: any[]) => any), options: GradOptions = {}): (x: X, ...rest: any[]) => [any, any] {
  return valueAndGradNamed(f, options, "valueAndGrad");
}

function valueAndGradNamed<X>(f: RRule<X> | ((...args: any[]) => any), options: GradOptions, name: string): (x: X, ...rest: any[]) => [any, any] {
  if (findRule(f)) return implicitValueAndGrad(f, options, name);
  // .ad.ts files were imported without the loader: f is most likely one of their functions, run as plain code.
  const plain = adFilesWithoutLoader();
  if (plain.length) throw loaderMissing(name, f, plain);
  if (options.argnums !== undefined && options.argnums !== 0) {
    if (!loaderRegistered()) throw loaderMissing(name, f);
    throw new TypeError(`${name}: argnums needs a function with a rule (implicit mode); an rrule-convention function differentiates its first argument`);
  }
  return function valueAndGradOf(x: X, ...rest: any[]) {
    const [out, pullback] = callRRule(f as RRule<X>, x, rest, name);
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
export function grad<F extends (...args: any[]) => any, const N extends number | readonly number[] = 0, H extends boolean = false>(
  f: F,
  options?: TypedGradOptions<N, H>,
): GradOf<F, N, H>;
export function grad<X>(f: RRule<X> | ((...args: any[]) => any), options: GradOptions = {}): (x: X, ...rest: any[]) => any {
  const vg = valueAndGradNamed(f, options, "grad");
  return function gradOf(x: X, ...rest: any[]) {
    const [out, grads] = vg(x, ...rest);
    return options.hasAux ? [grads, (out as [unknown, unknown])[1]] : grads;
  };
}
