// Forward mode by dispatch: values carrying a tangent (DualTensor, DualNumber, tensor.ts) and the
// one place they meet an op. Every op and kernel of the table is defined `withTangents(function
// name(…) { … })`; while tangents flow (`carryingTangents`), a call given a value that carries
// one runs the op's forward rule on the primals and tangents instead, and returns its result
// carrying ẏ. @pullback/ad runs the generated reverse code this way for second order — hvp,
// hessian, grad of grad: its pullbacks call the ops and backward kernels, whose forward rules
// (declared in rules/) differentiate them. Outside `carryingTangents` a call costs one check.
import { TensorError } from "./errors.ts";
import { releasingTemporaries } from "./memory.ts";
import type { Frule } from "./rules/types.ts";
import { DualNumber, DualTensor, TangentLostError, Tensor } from "./tensor.ts";

export { DualNumber, DualTensor, TangentLostError };

/** How many `carryingTangents` runs are in progress (0 or 1: one level of tangents). */
let depth = 0;
/**
 * primalOf's copies of the arrays and objects carrying tangents, during a run: the same structure
 * always gives the same copy, so `xs === ys` in a test compares as it does at first order.
 */
let copies: WeakMap<object, unknown> | null = null;
/** The tangent-aware functions, with the forward rule the op table gave each (null until it does). */
const forwardRules = new WeakMap<Function, Frule | null>();

/**
 * `f`, made to run its forward rule when a value carrying a tangent reaches it (the rule is
 * attached by the op table: defineOp / defineKernel). Keeps f's name and type.
 */
export function withTangents<F extends (...args: any[]) => any>(f: F): F {
  const name = f.name;
  // (`arguments` forwarded with apply: no array is made for a call while no tangents flow)
  const tangentAware = function (this: unknown) {
    if (depth === 0) return f.apply(this, arguments as unknown as any[]);
    const args = Array.from(arguments);
    return args.some(carriesTangent) ? throughForwardRule(tangentAware, name, args) : f(...args);
  };
  Object.defineProperty(tangentAware, "name", { value: name });
  forwardRules.set(tangentAware, null);
  return tangentAware as unknown as F;
}

/** Is `f` defined withTangents (so a value carrying a tangent reaches its forward rule)? */
export function isTangentAware(f: Function): boolean {
  return forwardRules.has(f);
}

/** Attaches `frule` to a withTangents function (defineOp / defineKernel do, for the table's ops and kernels). */
export function attachForwardRule(f: Function, frule: Frule): void {
  if (forwardRules.has(f)) forwardRules.set(f, frule);
}

function throughForwardRule(f: Function, name: string, args: any[]): any {
  const frule = forwardRules.get(f);
  if (!frule) {
    throw new TensorError(
      name,
      "a value carrying a tangent (second-order differentiation: hvp, hessian, grad of grad) reached it, and it has no forward rule in the op table",
    );
  }
  // (inside a MemoryPool.run, the rule's intermediates go back to the pool as soon as it returns)
  const [y, ty] = releasingTemporaries(() => frule(args.map(primalOf), args.map(tangentOf)));
  return withTangent(y, ty);
}

/**
 * Runs `f` with tangents flowing: the ops given values carrying tangents run their forward rules.
 * One level only: a second `carryingTangents` inside (a third derivative) is an error.
 */
export function carryingTangents<T>(what: string, f: () => T): T {
  if (depth > 0) {
    throw new TypeError(
      `${what}: already inside a second-order derivative (hvp, hessian, or the pullback of grad(f)); third and higher derivatives are not supported`,
    );
  }
  depth++;
  copies = new WeakMap();
  try {
    return f();
  } finally {
    depth--;
    copies = null;
  }
}

/** True while a `carryingTangents` run is in progress. */
export function tangentsFlowing(): boolean {
  return depth > 0;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
}

/** Does x (a value, or arrays and plain objects of them) carry a tangent anywhere? */
export function carriesTangent(x: unknown): boolean {
  if (x instanceof DualTensor || x instanceof DualNumber) return true;
  if (Array.isArray(x)) return x.some(carriesTangent);
  if (isPlainObject(x)) return Object.values(x).some(carriesTangent);
  return false;
}

/**
 * x as code that takes no derivative reads it (stopGradient, detach, a test in generated code):
 * while tangents flow, without its tangents; otherwise x itself, after one check.
 */
export function withoutTangents<T>(x: T): T {
  return depth > 0 ? primalOf(x) : x;
}

/** x without its tangents (the same object when it carries none). */
export function primalOf(x: any): any {
  if (x instanceof DualTensor || x instanceof DualNumber) return x.primal;
  const known = copies?.get(x);
  if (known !== undefined) return known;
  if (!carriesTangent(x)) return x;
  let out: any;
  if (Array.isArray(x)) out = x.map(primalOf);
  else {
    out = {};
    for (const k of Object.keys(x)) out[k] = primalOf(x[k]);
  }
  copies?.set(x, out);
  return out;
}

/** The tangents x carries, in its structure (null where none: the zero tangent). */
export function tangentOf(x: any): any {
  if (x instanceof DualTensor || x instanceof DualNumber) return x.tangent;
  if (!carriesTangent(x)) return null;
  if (Array.isArray(x)) return x.map(tangentOf);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x)) out[k] = tangentOf(x[k]);
  return out;
}

/**
 * y carrying the tangent t (in y's structure; null, or a null leaf, is zero): tensors become
 * DualTensors, numbers DualNumbers; other leaves (indices, shapes) are returned as they are.
 */
export function withTangent(y: any, t: any): any {
  if (t === null || t === undefined) return y;
  if (y instanceof Tensor) {
    if (t instanceof Tensor) return new DualTensor(y, t);
    if (typeof t === "number" && y.size === 1) return new DualTensor(y, Tensor.full(y.shape, t, y.dtype));
  }
  if (typeof y === "number" && typeof t === "number") return new DualNumber(y, t);
  if (typeof y === "number" && t instanceof Tensor && t.size === 1) return new DualNumber(y, t.data[0]);
  if (Array.isArray(y) && Array.isArray(t)) return y.map((yi, i) => withTangent(yi, t[i]));
  if (isPlainObject(y) && isPlainObject(t)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(y)) out[k] = withTangent(y[k], t[k]);
    return out;
  }
  if (y instanceof Tensor || typeof y === "number") {
    const what = (v: unknown) => (v instanceof Tensor ? `a Tensor of shape (${v.shape.join(", ")})` : typeof v);
    throw new TypeError(`withTangent: a forward rule gave ${what(y)} the tangent ${what(t)}`);
  }
  return y;
}
