// A two-layer perceptron: tanh(X·W1 + b1)·W2 + b2, mean squared error against targets.
import { add, matmul, square, sub, sum, tanh, type Tensor } from "@pullback/tensor";

export interface MLP {
  w1: Tensor; // (1, hidden)
  b1: Tensor; // (hidden,)
  w2: Tensor; // (hidden, 1)
  b2: Tensor; // (1,)
}

export function predict(p: MLP, x: Tensor): Tensor {
  const h = tanh(add(matmul(x, p.w1), p.b1));
  return add(matmul(h, p.w2), p.b2);
}

export function loss(p: MLP, x: Tensor, y: Tensor): number {
  return sum(square(sub(predict(p, x), y))) / x.shape[0];
}
