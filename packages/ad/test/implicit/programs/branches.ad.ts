// Corpus: branches — if/else on runtime conditions, ternaries and &&, ||, ?? choosing tensors.
import { add, exp, logSoftmax, matmul, mul, mulScalar, pick, softmax, sub, sum, tanh, Tensor } from "@pullback/tensor";
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

/** A default computed from another (tracked) parameter: y = x when y is missing. */
export function defaultFromParam(x: Tensor, y: Tensor = x): Tensor {
  return mul(x, tanh(y));
}

/** A ternary whose branch is the assigned variable itself. */
export function selfTernary(x: Tensor, c: boolean): Tensor {
  let y = x;
  y = c ? y : tanh(y);
  return mul(y, x);
}

/** Declared without a value, assigned in both branches. */
export function declareThenAssign(x: Tensor, c: boolean): Tensor {
  let y: Tensor;
  if (c) y = exp(x);
  else y = tanh(x);
  return y;
}

/** One branch a constant (no gradient through it). */
export function constBranch(x: Tensor, c: boolean): Tensor {
  const y = c ? x : Tensor.zeros(x.shape, "float64");
  return add(mul(y, x), x);
}

/** An else-if chain inside a loop. */
export function ifElseChainInLoop(xs: Tensor[], w: Tensor): Tensor {
  let h = mul(xs[0], w);
  for (let i = 1; i < xs.length; i++) {
    if (i % 3 === 0) h = add(h, xs[i]);
    else if (i % 3 === 1) h = mul(h, tanh(xs[i]));
    else {
      const t = sub(h, xs[i]);
      h = mul(t, w);
    }
  }
  return h;
}
