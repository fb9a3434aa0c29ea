// Corpus: fan-out — a value used two or three times, including as both arguments of one op.
import { add, exp, matmul, mul, sub, tanh, type Tensor } from "@pullback/tensor";

/** x used as both arguments of one op. */
export function selfMul(x: Tensor): Tensor {
  return mul(x, x);
}

/** x used three times, in different ops. */
export function threeUses(x: Tensor): Tensor {
  const a = add(x, x);
  return mul(a, tanh(x));
}

/** An intermediate used three times, a parameter used in two products. */
export function sharedWeight(x: Tensor, w: Tensor): Tensor {
  const h = matmul(x, w);
  const e = exp(h);
  const y = sub(mul(h, e), h);
  return matmul(y, w);
}

/** Fan-out across statements: the same binding read by later statements, then reassigned. */
export function reassigned(x: Tensor, y: Tensor): Tensor {
  let z = mul(x, y);
  const first = z;
  z = add(z, x);
  z = mul(z, first);
  return add(z, y);
}

/** The same value twice in the result, and a parameter as a result. */
export function sameTwice(x: Tensor): Tensor[] {
  const y = tanh(x);
  return [y, y, x];
}
