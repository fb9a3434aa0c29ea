// Corpus: losses — crossEntropy returning a number as the final loss, and a loss with aux data.
import { crossEntropy, gelu, linear, matmul, sum, mul, type Tensor } from "@pullback/tensor";

export interface Model {
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
}

/** A classifier loss: logits = gelu(x·w1 + b1)·w2, crossEntropy against integer targets. */
export function loss(p: Model, x: Tensor, targets: Int32Array): number {
  const logits = matmul(gelu(linear(x, p.w1, p.b1)), p.w2);
  return crossEntropy(logits, targets);
}

/** The loss plus an L2 penalty, returning [loss, aux] for hasAux. */
export function lossWithAux(p: Model, x: Tensor, targets: Int32Array, decay: number): [number, { ce: number; l2: number }] {
  const logits = matmul(gelu(linear(x, p.w1, p.b1)), p.w2);
  const ce = crossEntropy(logits, targets);
  const l2 = sum(mul(p.w1, p.w1)) + sum(mul(p.w2, p.w2));
  return [ce + decay * l2, { ce, l2 }];
}
