// Probes (red team) of second order.
import { addScalar, exp, matmul, mul, mulScalar, square, sum, tanh, Tensor, crossEntropy, layerNorm, attention, softmax, take } from "@pullback/tensor";
import { checkpoint, customVjp, nonDifferentiable, primal, stopGradient, grad } from "@pullback/ad";

/** `s || a` on tracked numbers: s is 0 when b is 0. */
export function orFallback(a: number, b: number): number {
  const s = a * b;
  const t = s || a;
  return t * t;
}

/** `s && a` on tracked numbers. */
export function andPick(a: number, b: number): number {
  const s = a * b;
  const t = s && a;
  return t * t + a * a * a;
}

/** A for loop whose test reads a tracked number. */
export function forUntilTracked(x: Tensor): number {
  const s = sum(square(x));
  let acc = s;
  for (let i = 0; i < s; i++) acc = acc * 0.5 + s;
  return acc * acc;
}

/** Index with a tracked number. */
export function indexByTracked(xs: number[], a: number): number {
  const k = Math.floor(a);
  const y = xs[k] * a;
  return y * y;
}

/** A Map keyed by a tracked number. */
export function mapKey(a: number): number {
  const m = new Map<number, number>([[2, 3]]);
  const c = m.get(Math.round(a)) ?? 1;
  return c * a * a * a;
}

/** Template string of a tracked number. */
export function templateKey(a: number): number {
  const table: Record<string, number> = { "2": 3 };
  const c = table[`${Math.round(a)}`] ?? 1;
  return c * a * a * a;
}

/** Optional chaining and ?? on tracked values. */
export function optionalChain(p: { w?: Tensor; b?: number }, x: Tensor): number {
  const w = p?.w ?? x;
  const b = p.b ?? 1;
  return sum(exp(mul(w, x))) * b * b;
}

/** Shorthand property in a test. */
export function shorthandInTest(a: number): number {
  const s = a * a;
  const o = { s };
  if (JSON.stringify({ s }).length > 0 && o.s > 0) return s * a;
  return a;
}

/** Assignment inside a while test. */
export function assignInTest(a: number): number {
  let s = a;
  let n = 0;
  while ((n = n + 1) < 3) s = s * a;
  return s;
}

/** Recursion with a tracked value. */
export function powRec(x: number, n: number): number {
  return n === 0 ? 1 : x * powRec(x, n - 1);
}
export const cube = (x: number): number => powRec(x, 3) + Math.sin(x);

/** typeof / in / instanceof in tests. */
export function typeTests(x: Tensor, o: { a: number }): number {
  let y = sum(tanh(x));
  if (typeof o.a === "number" && "a" in o && x instanceof Tensor) y = y * o.a;
  return y * y;
}

/** Number(), Math.floor on a tracked number inside an expression. */
export function numberCall(a: number): number {
  const k = Number(a) > 1 ? 2 : 1;
  return k * a * a * a;
}

/** nonDifferentiable helper called with tracked args. */
const countPositive = nonDifferentiable((x: Tensor) => {
  let n = 0;
  for (const v of x.data) if (v > 0) n++;
  return n;
});
export function withNonDiff(x: Tensor): number {
  const n = countPositive(x);
  return sum(exp(x)) * (n + 1);
}
