// Corpus: branches — if/else on runtime conditions, ternaries and &&, ||, ?? choosing tensors.
import { add, exp, matmul, mul, sub, sum, tanh, type Tensor } from "@pullback/tensor";
import { stopGradient } from "@pullback/ad";

/** if/else on a number argument. */
export function ifElse(x: Tensor, w: Tensor, mode: number): Tensor {
  let y: Tensor;
  if (mode > 0) {
    y = matmul(x, w);
    y = tanh(y);
  } else {
    y = mul(x, x);
  }
  return add(y, x);
}

/** if/else on a value computed from the data at run time (a comparison is inactive). */
export function dataDependent(x: Tensor): Tensor {
  const total = sum(x);
  if (total > 0) return exp(x);
  return mul(x, tanh(x));
}

/** An if without else that updates a tracked value. */
export function ifNoElse(x: Tensor, y: Tensor, flag: boolean): Tensor {
  let z = mul(x, y);
  if (flag) z = add(z, tanh(x));
  return z;
}

/** A ternary choosing between two tensors (and between two computations). */
export function ternary(a: Tensor, b: Tensor, useA: boolean): Tensor {
  const c = useA ? a : b;
  const d = useA ? tanh(b) : exp(a);
  return mul(c, d);
}

/** && / || / ?? choosing tensors. */
export function logical(a: Tensor, b: Tensor | null, flag: boolean): Tensor {
  const c = b ?? a;
  const d = (flag && a) || c;
  return mul(add(c, d), a);
}

/** else-if chains on a value of the data (via stopGradient(x) — no gradient through the test). */
export function elseIf(x: Tensor, y: Tensor): Tensor {
  const s = sum(stopGradient(x));
  let out: Tensor;
  if (s > 1) out = mul(x, y);
  else if (s > -1) out = sub(x, y);
  else out = add(tanh(x), y);
  return out;
}
