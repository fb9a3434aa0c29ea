// rrules of data movement: the pullback moves the cotangent back the same way.
import * as ops from "../ops/shape.ts";
import type { Tensor } from "../tensor.ts";
import { watched } from "./anomaly.ts";
import type { RruleResult } from "./types.ts";

export function reshape(x: Tensor, shape: readonly number[]): RruleResult<Tensor, Tensor, Tensor> {
  return watched("reshape", [ops.reshape(x, shape), function reshape_pullback(dy) {
    return ops.reshape(dy, x.shape);
  }]);
}

export function swapAxes(x: Tensor, axis1: number, axis2: number): RruleResult<Tensor, Tensor, Tensor> {
  return watched("swapAxes", [ops.swapAxes(x, axis1, axis2), function swapAxes_pullback(dy) {
    return ops.swapAxes(dy, axis1, axis2);
  }]);
}

/** y = permute(x, axes); the pullback applies the inverse permutation. */
export function permute(x: Tensor, axes: readonly number[]): RruleResult<Tensor, Tensor, Tensor> {
  const y = ops.permute(x, axes);
  const n = axes.length;
  const inverse = new Array<number>(n);
  axes.forEach((a, i) => (inverse[(a + n) % n] = i));
  return watched("permute", [y, function permute_pullback(dy) {
    return ops.permute(dy, inverse);
  }]);
}

/** [left, right] = x split along `axis` before `index`; the pullback concatenates the cotangents. */
export function splitAt(x: Tensor, axis: number, index: number): RruleResult<[Tensor, Tensor], [Tensor, Tensor], Tensor> {
  const parts = ops.splitAt(x, axis, index);
  return watched("splitAt", [parts, function splitAt_pullback([dl, dr]) {
    return ops.concat([dl, dr], axis);
  }]);
}

/** y = concat(xs, axis); the pullback splits the cotangent at the same boundaries. */
export function concat(xs: Tensor[], axis: number): RruleResult<Tensor, Tensor, Tensor[]> {
  const y = ops.concat(xs, axis);
  return watched("concat", [y, function concat_pullback(dy) {
    const ax = axis < 0 ? axis + dy.ndim : axis;
    const out: Tensor[] = [];
    let rest = dy;
    for (let i = 0; i < xs.length - 1; i++) {
      const [head, tail] = ops.splitAt(rest, ax, xs[i].shape[ax]);
      out.push(head);
      rest = tail;
    }
    out.push(rest);
    return out;
  }]);
}
