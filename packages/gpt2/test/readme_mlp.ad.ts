// The README's example (implicit mode), kept compiling and correct by packages/gpt2/test/readme.test.ts.
import { add, crossEntropy, gelu, matmul, type Tensor } from "@pullback/tensor";

export interface Layer { w1: Tensor; b1: Tensor; w2: Tensor }

export function mlp(x: Tensor, p: Layer): Tensor {
  const h = gelu(add(matmul(x, p.w1), p.b1));
  return matmul(h, p.w2);
}

export function loss(layers: Layer[], x: Tensor, targets: Int32Array): number {
  for (const layer of layers) x = add(x, mlp(x, layer)); // a loop; x is used twice (fan-out)
  return crossEntropy(x, targets);
}
