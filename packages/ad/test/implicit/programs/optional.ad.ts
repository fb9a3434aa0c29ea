// Corpus: optional chaining on tracked values — `?.` member chains (nested, computed keys),
// optional calls `o?.f(x)`, `o.f?.(x)`, `f?.(x)`, and `??` choosing a default.
import { add, matmul, mul, mulScalar, tanh, type Tensor } from "@pullback/tensor";

export interface Cfg {
  scale?: number;
  inner?: { w: Tensor; ws?: Tensor[] };
}

/** The idiom of the issue: an optional config's scale, or a default (a number leaf). */
export function scaled(x: number, cfg?: { scale?: number }): number {
  return x * (cfg?.scale ?? 1.5);
}

/** Nested `?.` links, a computed key after one, and a default tensor (Tensor leaves). */
export function nestedChain(x: Tensor, cfg?: Cfg, i = 0): Tensor {
  const w = cfg?.inner?.w ?? x;
  const v = cfg?.inner?.ws?.[i];
  const h = matmul(x, w);
  return v ? add(h, mul(v, x)) : tanh(h);
}

/** `?.` after a call and after a property read: the object is evaluated once. */
export function chainAfterCall(x: Tensor, cfg: Cfg | null): Tensor {
  const w = pickInner(cfg)?.w;
  return w === undefined ? x : matmul(x, w);
}

function pickInner(cfg: Cfg | null): { w: Tensor } | undefined {
  return cfg?.inner;
}

/** A number read through `?.` in a scaled tensor, its scale a tracked number. */
export function scaleTensor(x: Tensor, cfg?: { scale?: number }): Tensor {
  return mulScalar(x, cfg?.scale ?? 2);
}

/** Optional calls: a function held in an (untracked) config object, called on tracked values. */
export function optionalCall(x: Tensor, w: Tensor, useAct: boolean): Tensor {
  const hooks = useAct ? { act: (h: Tensor) => mul(h, w) } : undefined; // the hook captures w
  const y = hooks?.act(x) ?? x;
  const z = hooks?.act?.(y) ?? y;
  return tanh(z);
}

/** An optional function parameter called with `f?.(x)`. */
export function optionalFn(x: Tensor, f?: (h: Tensor) => Tensor): Tensor {
  return f?.(x) ?? mulScalar(x, 3);
}

/** A tracked object holding a function (a functions' leaf gets no gradient): `o?.f(x)`. */
export function trackedHolder(p: { w: Tensor; f?: (h: Tensor, w: Tensor) => Tensor } | undefined, x: Tensor): Tensor {
  return p?.f?.(x, p.w) ?? x;
}

export const affine = (h: Tensor, w: Tensor): Tensor => add(matmul(h, w), h);

export const square = (h: Tensor): Tensor => mul(h, h);
