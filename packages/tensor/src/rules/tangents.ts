// Tangent arithmetic the forward rules share: null is a zero tangent of any shape.
import { add, divScalar } from "../ops/elementwise.ts";
import { sumAlong } from "../ops/reduce.ts";
import { Tensor } from "../tensor.ts";

export type T = Tensor | null;

export const isZero = (t: unknown): t is null | undefined => t === null || t === undefined;
export const zerosLike = (x: Tensor): Tensor => Tensor.zeros(x.shape, x.dtype);

/** A tangent with null replaced by zeros in the structure of x (a Tensor, or an array of them). */
export function orZeros(t: any, x: any): any {
  if (x instanceof Tensor) return isZero(t) ? zerosLike(x) : t;
  if (Array.isArray(x)) return x.map((xi, i) => orZeros(isZero(t) ? null : t[i], xi));
  return t ?? null;
}

/** Is every leaf of the tangent t null? */
export function allZero(t: any): boolean {
  if (isZero(t)) return true;
  if (Array.isArray(t)) return t.every(allZero);
  return false;
}

/** a + b with null as zero. */
export function plus(...ts: T[]): T {
  let out: T = null;
  for (const t of ts) if (!isZero(t)) out = out === null ? t : add(out, t);
  return out;
}

/** t broadcast to the shape of `like` (a zero added when the shapes differ). */
export function broadcastTo(t: T, like: Tensor): T {
  if (t === null || t.shape.join() === like.shape.join()) return t;
  return add(t, zerosLike(like));
}

/** Σ over the last axis, kept. */
export const sumLast = (x: Tensor): Tensor => sumAlong(x, x.ndim - 1, true);
/** Mean over the last axis, kept. */
export const meanLast = (x: Tensor): Tensor => divScalar(sumLast(x), x.shape[x.ndim - 1]);
