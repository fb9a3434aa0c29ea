// Corpus: a library module imported by closures.ad.ts (calls across .ad.ts modules).
import { add, matmul, mulScalar, tanh, type Tensor } from "@pullback/tensor";

/** A layer: tanh(x·w) + x. */
export function residualLayer(x: Tensor, w: Tensor): Tensor {
  return add(tanh(matmul(x, w)), x);
}

/** Applies `f` n times (a higher-order function: f is a parameter). */
export function iterate(f: (h: Tensor) => Tensor, x: Tensor, n: number): Tensor {
  let h = x;
  for (let i = 0; i < n; i++) h = f(h);
  return h;
}

/** An arrow exported from a module. */
export const halve = (x: Tensor): Tensor => mulScalar(x, 0.5);
