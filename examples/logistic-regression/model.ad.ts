// Logistic regression over two classes: logits X·W + b (n, 2), softmax cross-entropy.
import { add, crossEntropy, matmul, type Tensor } from "@pullback/tensor";

export interface Classifier {
  w: Tensor; // (features, 2)
  b: Tensor; // (2,)
}

export function loss(p: Classifier, x: Tensor, labels: Int32Array): number {
  return crossEntropy(add(matmul(x, p.w), p.b), labels);
}
