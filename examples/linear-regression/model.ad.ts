// Linear regression: predictions X·w + b, mean squared error. Plain TypeScript; the .ad.ts loader
// gives `mse` a generated pullback, so valueAndGrad(mse) returns the gradient of w and b.
import { add, matmul, square, sub, sum, type Tensor } from "@pullback/tensor";

export interface Linear {
  w: Tensor; // (features, 1)
  b: Tensor; // (1,)
}

export function mse(p: Linear, x: Tensor, y: Tensor): number {
  const residual = sub(add(matmul(x, p.w), p.b), y); // (n, 1)
  return sum(square(residual)) / x.shape[0];
}
