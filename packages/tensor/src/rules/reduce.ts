// Rules of reductions: the pullback broadcasts the cotangent back over the reduced axes. Sums are
// linear; max's tangent is the tangent at the arg-max.
import { add, mul } from "../ops/elementwise.ts";
import { maxAlong as maxAlongOp, maxAlongBackward, maxAlongForward, sum as sumOp, sumAlong as sumAlongOp } from "../ops/reduce.ts";
import { reshape } from "../ops/shape.ts";
import { Tensor } from "../tensor.ts";
import { defineKernel, defineOp } from "./define.ts";
import { isZero } from "./tangents.ts";
import type { Frule } from "./types.ts";

function keptShape(shape: readonly number[], axis: number): number[] {
  const ax = axis < 0 ? axis + shape.length : axis;
  return shape.map((d, i) => (i === ax ? 1 : d));
}

/** s = Σ x (a number). ∂x = ds everywhere. */
export const sum = defineOp({
  op: sumOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (x: Tensor) => [sumOp(x), (ds: number) => [Tensor.full(x.shape, ds, x.dtype)]],
});

/** y = Σ along `axis`. ∂x = dy broadcast along `axis`. */
export const sumAlong = defineOp({
  op: sumAlongOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (x: Tensor, axis: number, keepDims = false) => [
    sumAlongOp(x, axis, keepDims),
    (dy: Tensor) => [add(Tensor.zeros(x.shape, dy.dtype), reshape(dy, keptShape(x.shape, axis)))],
  ],
});

/** ẏ = ẋ at the arg-max: a one-hot mask (maxAlongBackward of ones) picks it. */
const maxAlongFrule: Frule = ([x, axis, keepDims], [tx]) => {
  const { values, indices } = maxAlongForward(x, axis, keepDims);
  if (isZero(tx)) return [values, null];
  const mask = maxAlongBackward(Tensor.ones(values.shape, x.dtype), indices, x.shape, axis);
  return [values, sumAlongOp(mul(mask, tx), axis, keepDims)];
};

/** y = max along `axis`. ∂x = dy at the arg-max positions, 0 elsewhere. */
export const maxAlong = defineOp({
  op: maxAlongOp,
  differentiable: 1,
  frule: maxAlongFrule,
  rule: (x: Tensor, axis: number, keepDims = false) => {
    const { values, indices } = maxAlongForward(x, axis, keepDims);
    return [values, (dy: Tensor) => [maxAlongBackward(dy, indices, x.shape, axis)]];
  },
  forward: defineKernel({
    op: maxAlongForward,
    frule: ([x, axis, keepDims], [tx]) => {
      const out = maxAlongForward(x, axis, keepDims);
      return [out, isZero(tx) ? null : { values: maxAlongFrule([x, axis, keepDims], [tx])[1], indices: null }];
    },
  }),
  kernels: [defineKernel({ op: maxAlongBackward, frule: "linear" })],
});
