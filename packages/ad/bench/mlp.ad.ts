// The MLP of bench/hvp.ts: two tanh hidden layers and a linear output, the mean cross-entropy
// against class labels.
import { add, crossEntropy, matmul, tanh, type Tensor } from "@pullback/tensor";

export interface MLP {
  w1: Tensor; // (inputs, width)
  b1: Tensor; // (width,)
  w2: Tensor; // (width, width)
  b2: Tensor; // (width,)
  w3: Tensor; // (width, classes)
  b3: Tensor; // (classes,)
}

export function mlpLoss(p: MLP, x: Tensor, labels: Int32Array): number {
  const h1 = tanh(add(matmul(x, p.w1), p.b1));
  const h2 = tanh(add(matmul(h1, p.w2), p.b2));
  return crossEntropy(add(matmul(h2, p.w3), p.b3), labels);
}
