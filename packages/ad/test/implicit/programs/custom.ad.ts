// Corpus: custom rules — stopGradient (also of nested structures), nonDifferentiable,
// customVjp / defineRrule, checkpoint.
import { add, exp, matmul, mul, mulScalar, sum, tanh, type Tensor } from "@pullback/tensor";
import { checkpoint, customVjp, defineRrule, nonDifferentiable, stopGradient } from "@pullback/ad";

/** y = x·stop(x) + w: the stopped path contributes nothing to dx. */
export function stopped(x: Tensor, w: Tensor): Tensor {
  const c = stopGradient(x);
  return add(mul(x, c), w);
}

/** stopGradient of a nested structure of tensors: no gradient into any of its leaves. */
export function stoppedTree(x: Tensor, p: { a: Tensor; bs: Tensor[] }): Tensor {
  const q = stopGradient(p);
  const r = mul(x, q.a);
  return add(mul(r, q.bs[0]), mul(p.bs[1], x));
}

/** Call counters (side effects of non-differentiable functions). */
export const counts = { norm: 0, positives: 0, forward: 0 };

/** The norm of x, marked non-differentiable: its value enters the caller as a constant. */
export const normOf = nonDifferentiable((x: Tensor): number => {
  counts.norm++;
  return Math.sqrt(sum(mul(x, x)));
});

/** Scaling by a non-differentiable norm: dx has the tanh path only (not the true derivative). */
export function scaledByNorm(x: Tensor): Tensor {
  const n = normOf(x);
  return mulScalar(tanh(x), 1 / (1 + n));
}

/** The number of positive entries, read from `.data`: fine, nonDifferentiable gives its rule. */
export const positives = nonDifferentiable((x: Tensor): number => {
  counts.positives++;
  let n = 0;
  for (const v of x.data) if (v > 0) n++;
  return n;
});

/** Scaling by a piecewise-constant count: its derivative is zero, finite differences agree. */
export function scaledByCount(x: Tensor): Tensor {
  return mulScalar(tanh(x), 1 + positives(x));
}

/** A function given a DIFFERENT rule than its own derivative: the pullback returns 3·dy. */
export function tripled(x: Tensor): Tensor {
  return exp(x);
}
customVjp(tripled, (x: Tensor) => [exp(x), (dy: Tensor) => [mulScalar(dy, 3)]]);

/** Uses the custom-ruled function: d/dx of tripled(x)·w is 3·w·dy, not exp(x)·w·dy. */
export function usesCustom(x: Tensor, w: Tensor): Tensor {
  return mul(tripled(x), w);
}

/** A straight-through estimator with defineRrule: forward rounds, backward is the identity. */
export function roundish(x: number): number {
  return Math.round(x);
}
defineRrule(roundish, (x: number) => [Math.round(x), (dy: number) => [dy]]);
export function usesRoundish(x: number, y: number): number {
  return roundish(x * 10) * y;
}

/** The block that checkpoint wraps: counts its forward runs (a non-differentiable side effect). */
export function block(x: Tensor, w: Tensor): Tensor {
  countForward(x);
  return tanh(matmul(tanh(matmul(x, w)), w));
}
const countForward = nonDifferentiable((_x: Tensor): number => ++counts.forward);
export const blockCheckpointed = checkpoint(block);

/** Two checkpointed blocks in sequence. */
export function checkpointed(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  return blockCheckpointed(blockCheckpointed(x, w1), w2);
}
/** The same computation without checkpointing. */
export function plain(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  return block(block(x, w1), w2);
}

/** checkpoint of a closure over a tracked weight, made inside the differentiated function. */
export function checkpointedClosure(x: Tensor, w: Tensor): Tensor {
  const layer = checkpoint((h: Tensor) => tanh(matmul(h, w)));
  return layer(layer(x));
}

/** Logging into module state: stopGradient keeps the logged value out of differentiation. */
export let lastNorm = 0;
export function logged(x: Tensor): Tensor {
  const y = tanh(x);
  lastNorm = sum(stopGradient(mul(y, y)));
  return y;
}
