// Corpus: spread of tracked objects and arrays in object and array literals — a later key
// overrides an earlier one (its cotangent goes to the part that put the key in the result).
import { add, matmul, mul, tanh, type Tensor } from "@pullback/tensor";

const DEFAULTS: { s?: number } = { s: 3 };

/** The idiom of the issue, then a literal whose keys override each other both ways. */
export function spreadObject(p: { a: Tensor; b: Tensor }, x: Tensor, over: { b?: Tensor }): Tensor {
  const q = { ...p, c: p.a };
  const r = { ...q, b: x, ...over, a: mul(q.b, x) }; // r.b is over.b when given, else x; r.a is new
  return add(add(r.a, tanh(r.b)), mul(r.c, r.c));
}

/** Number leaves: a config updated with spread. */
export function updateConfig(cfg: { lr: number; decay: number; steps: number }): number {
  const next = { ...cfg, lr: cfg.lr * cfg.decay };
  const last = { ...next, ...{ decay: next.decay * next.decay } };
  return last.lr * last.decay + last.steps * cfg.lr;
}

/** An untracked spread overrides a tracked property: that property gets no gradient. */
export function overriddenBySpread(x: number): number {
  const o = { s: x * x, t: x, ...DEFAULTS };
  return o.s * o.t;
}

/** A tracked array spread into an object (keys "0", "1", …) and into an array. */
export function spreadArray(xs: Tensor[], y: Tensor): Tensor {
  const o: Record<string, Tensor> = { ...(xs as unknown as Record<string, Tensor>), extra: y };
  const all = [...xs, ...[o.extra, o[0]]];
  return matmul(add(all[0], all[2]), mul(all[1], all[3]));
}

/** Spread of a nested parameter tree into a new tree; the untouched part passes through. */
export function spreadNested(p: { enc: { w: Tensor }; dec: { w: Tensor } }, x: Tensor): { enc: { w: Tensor }; dec: { w: Tensor } } {
  const enc = { ...p.enc, w: tanh(mul(p.enc.w, x)) };
  return { ...p, enc };
}
