// Functions whose second derivatives the tests of this folder check: the acceptance cases
// (Rosenbrock, a quadratic form, the tfjs#3252 grad-of-grad cases) and second order through
// loops, branches, closures, customVjp, checkpoint and stopGradient.
import { addScalar, div, exp, log, matmul, mul, mulScalar, splitAt, square, sub, sum, sumAlong, tanh, Tensor } from "@pullback/tensor";
import { checkpoint, customVjp, grad, stopGradient, valueAndGrad } from "@pullback/ad";

/** Rosenbrock: (1 − x₀)² + 100·(x₁ − x₀²)², x of shape [2]. */
export function rosenbrock(x: Tensor): number {
  const [a, b] = splitAt(x, 0, 1);
  return sum(square(addScalar(mulScalar(a, -1), 1))) + 100 * sum(square(sub(b, square(a))));
}

/** Rosenbrock on two numbers. */
export function rosenbrockNumbers(a: number, b: number): number {
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
}

/** Rosenbrock along its first coordinate, at b = 1. */
export const rosenbrockAlongA = (a: number): number => rosenbrockNumbers(a, 1);

/** ½·xᵀAx, x of shape [n, 1]. */
export function quadratic(x: Tensor, A: Tensor): number {
  return 0.5 * sum(mul(x, matmul(A, x)));
}

export function sumTanh(x: Tensor): number {
  return sum(tanh(x));
}

/** σ(x) = 1 / (1 + e^(−x)), written with ops. */
function sigmoid(x: Tensor): Tensor {
  return div(Tensor.ones(x.shape, x.dtype), addScalar(exp(mulScalar(x, -1)), 1));
}

export function sumSigmoid(x: Tensor): number {
  return sum(sigmoid(x));
}

export function sumExp(x: Tensor): number {
  return sum(exp(x));
}

// grad(x => sum(grad(f)(x))), as tfjs#3252 writes it.
export const sumGradTanh = (x: Tensor): number => sum(grad(sumTanh)(x));
export const sumGradSigmoid = (x: Tensor): number => sum(grad(sumSigmoid)(x));
export const sumGradExp = (x: Tensor): number => sum(grad(sumExp)(x));

/** A tanh/matmul/exp network. */
export function network(x: Tensor, w1: Tensor, w2: Tensor): number {
  const h = tanh(matmul(x, w1));
  return sum(exp(mulScalar(matmul(h, w2), 0.5)));
}

/** ⟨∇ₓ network, v⟩, whose gradient in x is H·v: grad of a function calling grad. */
export function directional(x: Tensor, w1: Tensor, w2: Tensor, v: Tensor): number {
  return sum(mul(grad(network)(x, w1, w2), v));
}

// ---- control flow ------------------------------------------------------------------------

/** A for loop: h ← tanh(h·w), n times. */
export function forLoop(x: Tensor, w: Tensor, n: number): number {
  let h = x;
  for (let i = 0; i < n; i++) h = tanh(matmul(h, w));
  return sum(square(h));
}

/** A while loop whose condition reads a tracked number. */
export function whileLoop(x: Tensor): number {
  let h = x;
  let s = sum(square(h));
  while (s > 0.1) {
    h = mulScalar(tanh(h), 0.5);
    s = sum(square(h));
  }
  return s * s + sum(exp(h));
}

/** if / switch on an untracked mode, and an if, ternary and === on a tracked number. */
export function branches(x: Tensor, mode: string): number {
  let y: Tensor;
  switch (mode) {
    case "exp":
      y = exp(x);
      break;
    case "tanh":
      y = tanh(x);
      break;
    default:
      y = square(x);
  }
  const s = sum(y);
  let out = s === 0 ? 0 : s * s;
  if (s > 0) out = out + sum(mul(y, x));
  else out = out - Math.exp(s);
  return out;
}

/** A closure capturing a tracked tensor, called in a loop. */
export function closure(x: Tensor, w: Tensor): number {
  const layer = (h: Tensor) => tanh(matmul(h, w));
  let h = x;
  for (const _ of [0, 1]) h = layer(h);
  return sum(mul(h, h));
}

// ---- rules from elsewhere ----------------------------------------------------------------

/** softplus(x) = log(1 + eˣ), with a hand-written backward in ops: ∂x = dy·σ(x). */
export function softplus(x: Tensor): Tensor {
  return log(addScalar(exp(x), 1));
}
customVjp(softplus, (x: Tensor) => [softplus(x), (dy: Tensor) => [mul(dy, sigmoid(x))]]);

export function customNetwork(x: Tensor, w: Tensor): number {
  return sum(square(softplus(matmul(x, w))));
}

/** The same softplus, its backward reading the elements (no forward rule: no second derivative). */
export function softplusByElements(x: Tensor): Tensor {
  return log(addScalar(exp(x), 1));
}
customVjp(softplusByElements, (x: Tensor) => [
  softplusByElements(x),
  (dy: Tensor) => [
    Tensor.from(
      Array.from(x.data, (v, i) => (dy.data[i] as number) / (1 + Math.exp(-v))),
      x.shape,
      x.dtype,
    ),
  ],
]);

export function byElements(x: Tensor): number {
  return sum(square(softplusByElements(x)));
}

/** sin on a number with a backward in JavaScript arithmetic (no forward rule either). */
export function numberSin(a: number): number {
  return Math.sin(a);
}
customVjp(numberSin, (a: number) => [Math.sin(a), (dy: number) => [dy * Math.cos(a)]]);

export function usesNumberSin(x: Tensor): number {
  return numberSin(sum(x)) * 2;
}

const block = checkpoint((h: Tensor, w: Tensor) => tanh(matmul(h, w)));

/** A checkpoint region: its pullback recomputes the block. */
export function checkpointed(x: Tensor, w: Tensor): number {
  return sum(square(block(block(x, w), w)));
}

/** ‖x‖² + Σ eˣ ⊙ stopGradient(x): the Hessian is diag(2 + x·eˣ) — the stopped path contributes no second derivative. */
export function stopped(x: Tensor): number {
  return sum(square(x)) + sum(mul(exp(x), stopGradient(x)));
}

/** Σ rows of a sum along an axis: a structure of outputs (the Hessian through sumAlong). */
export function rowsSquared(x: Tensor): number {
  return sum(square(sumAlong(x, 1)));
}

/** grad of a closure capturing a tracked tensor w (its gradient in w would be lost: an error). */
export function gradOfClosure(x: Tensor, w: Tensor): number {
  const f = (y: Tensor) => sum(mul(tanh(y), w));
  return sum(grad(f)(x));
}

/** valueAndGrad inside: the value and ⟨∇f, v⟩ (grad of it: ∇f + H·v). */
export function valueAndSlope(x: Tensor, v: Tensor): number {
  const [value, g] = valueAndGrad(sumExpTanh)(x);
  return value + sum(mul(g, v));
}

export function sumExpTanh(x: Tensor): number {
  return sum(exp(tanh(x)));
}

function withAux(x: Tensor): [number, number] {
  return [sum(tanh(x)), 1];
}

/** grad with hasAux inside a differentiated function (not supported: an error). */
export function gradWithAux(x: Tensor): number {
  const [g] = grad(withAux, { hasAux: true })(x);
  return sum(g);
}

/** Σ x² as a one-element Tensor (a scalar output valueAndGrad accepts). */
export function squaredNorm(x: Tensor): Tensor {
  return sumAlong(mul(x, x), 0, true);
}

/** valueAndGrad of a one-element-Tensor function inside: sum(value) + ⟨∇f, v⟩. */
export function tensorValueAndSlope(x: Tensor, v: Tensor): number {
  const [value, g] = valueAndGrad(squaredNorm)(x);
  return sum(value) + sum(mul(g, v));
}
