// Corpus: branches — if/else on runtime conditions, ternaries and &&, ||, ?? choosing tensors.
import { add, exp, logSoftmax, matmul, mul, mulScalar, pick, softmax, sub, sum, tanh, type Tensor } from "@pullback/tensor";
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

/** Nested ternaries. */
export function nestedTernary(x: Tensor, k: number): Tensor {
  return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x);
}

/** A ternary inside an expression: the operands computed before it are used after it. */
export function ternaryInExpression(x: Tensor, rows: Int32Array, cols: Int32Array, useLog: boolean): Tensor {
  const p = softmax(x);
  const l = logSoftmax(x);
  return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pick(p, rows, cols));
}

/** An optional parameter tested with if. */
export function optionalParam(x: Tensor, w?: Tensor): Tensor {
  if (w) return mul(x, w);
  return tanh(x);
}

/** A default parameter value and a ?? fallback to another tracked value. */
export function defaults(x: Tensor, scale = 2, shift?: Tensor): Tensor {
  const s = shift ?? x;
  return add(mulScalar(x, scale), s);
}
