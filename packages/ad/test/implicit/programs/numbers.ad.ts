// Corpus: number-only programs — arithmetic operators, Math functions, ** and compound assignment;
// numbers computed from tensors.
import { divScalar, mul, mulScalar, sum, type Tensor } from "@pullback/tensor";

export function arithmetic(a: number, b: number): number {
  const c = a * b - a / (b + 3);
  return -c + c * c;
}

export function mathFunctions(x: number, y: number): number {
  return Math.exp(x) * Math.log(y) + Math.sqrt(y) - Math.tanh(x * y);
}

export function powers(x: number, y: number): number {
  return x ** 3 + y ** 2 * x + x ** y;
}

export function compound(x: number, y: number): number {
  let s = x;
  s += y;
  s *= x;
  s -= y * 2;
  s /= y;
  return s;
}

/** A loop over numbers with compound assignment and a Math call in the body. */
export function series(x: number, n: number): number {
  let total = 0;
  let term = 1;
  for (let k = 1; k <= n; k++) {
    term *= x / k;
    total += term;
  }
  return total + Math.sin(x);
}

/** Numbers in arrays and objects. */
export function numberTree(p: { a: number; bs: number[] }, x: number): number {
  let acc = p.a * x;
  for (const b of p.bs) acc += Math.tanh(b * acc);
  return acc;
}

/** Math.max / Math.min / Math.abs pick one argument (away from ties). */
export function piecewise(x: number, y: number): number {
  return Math.max(x, y) * Math.min(x, 2 * y) + Math.abs(x - y);
}

/** Math.pow, a three-argument Math.max, atan, cos, log1p. */
export function moreMath(x: number, y: number): number {
  return Math.pow(x, y) + Math.max(x, y, 0.1) * Math.atan(x) + Math.cos(y) * Math.log1p(x);
}

/** Numbers computed from tensors (sum) mixed with number arithmetic. */
export function mixedNumbers(x: Tensor, w: Tensor, s: number): number {
  const t = sum(mul(x, w));
  return t * 2 + Math.exp(s) * t;
}

/** A tracked number (a sum of x) used as the number of an op on x. */
export function numberFromTensor(x: Tensor): Tensor {
  return mulScalar(x, sum(x));
}

/** Numbers computed from a tracked number as op arguments. */
export function activeScalarArgs(x: Tensor, s: number): Tensor {
  return divScalar(mulScalar(x, s * s), 1 + Math.exp(s));
}

/** **= and -= on a tracked number. */
export function powAssign(x: number): number {
  let y = x;
  y **= 3;
  y -= x;
  return y;
}

/** % on tracked numbers (slope 1 in x between the jumps). */
export function modulo(x: number, y: number): number {
  return (x % y) * x;
}

/** Math.floor / Math.round are piecewise constant: no gradient through them. */
export function floors(x: number): number {
  return Math.floor(x) * x + Math.round(x * 3);
}
