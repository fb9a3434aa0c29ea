// Corpus: `.reduce` over tracked values — with and without an initial value, over tensors, numbers
// and parameter objects, a callback reading the index and the array, a callback capturing tracked
// values over an untracked array, and `.map` capturing tracked values over an untracked array.
import { add, matmul, mul, mulScalar, sub, tanh, type Tensor } from "@pullback/tensor";

/** The idiom of the issue: a stack of layers folded over x. */
export function foldLayers(x: Tensor, ws: Tensor[]): Tensor {
  return ws.reduce((h, w) => tanh(matmul(h, w)), x);
}

/** No initial value: the first element starts the fold (a non-commutative step). */
export function foldNoInit(xs: Tensor[]): Tensor {
  return xs.reduce((a, b) => sub(mul(a, b), tanh(a)));
}

/** Number leaves: the index and the array are read by the callback. */
export function foldNumbers(p: { xs: number[] }, s: number): number {
  return p.xs.reduce((acc, x, i, all) => acc * s + x * all[0] * (i + 1), 1);
}

/** Over parameter objects. */
export function foldObjects(x: Tensor, layers: { w: Tensor; b: Tensor }[]): Tensor {
  return layers.reduce((h, l) => tanh(add(matmul(h, l.w), l.b)), x);
}

/** An untracked array; the callback captures the tracked y, the initial value is a constant. */
export function foldCaptured(ks: number[], y: number): number {
  return ks.reduce((s, k) => s + k * y * y, 0);
}

/** `.map` over an untracked array with a callback capturing the tracked x, then a reduce. */
export function mapCaptured(x: Tensor, ks: number[]): Tensor {
  const ys = ks.map((k) => mulScalar(tanh(x), k));
  return ys.reduce((a, b) => add(a, mul(a, b)));
}

/** A reduce whose callback is a named function of the file. */
export function foldNamed(x: Tensor, ws: Tensor[]): Tensor {
  return ws.reduce(step, x);
}

function step(h: Tensor, w: Tensor): Tensor {
  return add(h, matmul(h, w));
}
