// rrules of reductions: the pullback broadcasts the cotangent back over the reduced axes.
import { add } from "../ops/elementwise.ts";
import * as ops from "../ops/reduce.ts";
import { reshape } from "../ops/shape.ts";
import { Tensor } from "../tensor.ts";
import { watched } from "./anomaly.ts";
import type { RruleResult } from "./types.ts";

/** s = Σ x (a number). ∂x = ds everywhere. */
export function sum(x: Tensor): RruleResult<number, number, Tensor> {
  return watched("sum", [ops.sum(x), function sum_pullback(ds) {
    return Tensor.full(x.shape, ds, x.dtype);
  }]);
}

function keptShape(shape: readonly number[], axis: number): number[] {
  const ax = axis < 0 ? axis + shape.length : axis;
  return shape.map((d, i) => (i === ax ? 1 : d));
}

/** y = Σ along `axis`. ∂x = dy broadcast along `axis`. */
export function sumAlong(x: Tensor, axis: number, keepDims = false): RruleResult<Tensor, Tensor, Tensor> {
  return watched("sumAlong", [ops.sumAlong(x, axis, keepDims), function sumAlong_pullback(dy) {
    return add(Tensor.zeros(x.shape, dy.dtype), reshape(dy, keptShape(x.shape, axis)));
  }]);
}

/** y = max along `axis`. ∂x = dy at the arg-max positions, 0 elsewhere. */
export function maxAlong(x: Tensor, axis: number, keepDims = false): RruleResult<Tensor, Tensor, Tensor> {
  const { values, indices } = ops.maxAlongForward(x, axis, keepDims);
  return watched("maxAlong", [values, function maxAlong_pullback(dy) {
    return ops.maxAlongBackward(dy, indices, x.shape, axis);
  }]);
}
