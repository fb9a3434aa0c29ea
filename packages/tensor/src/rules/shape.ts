// Rules of data movement: the pullback moves the cotangent back the same way; each op is linear
// (its forward rule moves the tangent like the value).
import { concat as concatOp, permute as permuteOp, reshape as reshapeOp, splitAt as splitAtOp, swapAxes as swapAxesOp } from "../ops/shape.ts";
import { Tensor } from "../tensor.ts";
import { defineOp } from "./define.ts";

export const reshape = defineOp({
  op: reshapeOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (x: Tensor, shape: readonly number[]) => [reshapeOp(x, shape), (dy: Tensor) => [reshapeOp(dy, x.shape)]],
});

export const swapAxes = defineOp({
  op: swapAxesOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (x: Tensor, axis1: number, axis2: number) => [swapAxesOp(x, axis1, axis2), (dy: Tensor) => [swapAxesOp(dy, axis1, axis2)]],
});

/** y = permute(x, axes); the pullback applies the inverse permutation. */
export const permute = defineOp({
  op: permuteOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (x: Tensor, axes: readonly number[]) => {
    const n = axes.length;
    const inverse = new Array<number>(n);
    axes.forEach((a, i) => (inverse[(a + n) % n] = i));
    return [permuteOp(x, axes), (dy: Tensor) => [permuteOp(dy, inverse)]];
  },
});

/** [left, right] = x split along `axis` before `index`; the pullback concatenates the cotangents (a null half is a zero one). */
export const splitAt = defineOp({
  op: splitAtOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (x: Tensor, axis: number, index: number) => {
    const parts = splitAtOp(x, axis, index);
    return [
      parts,
      ([dl, dr]: [Tensor | null, Tensor | null]) => {
        if (dl === null && dr === null) return [null];
        const zeros = (t: Tensor) => Tensor.zeros(t.shape, t.dtype);
        return [concatOp([dl ?? zeros(parts[0]), dr ?? zeros(parts[1])], axis)];
      },
    ];
  },
});

/** y = concat(xs, axis); the pullback splits the cotangent at the same boundaries. */
export const concat = defineOp({
  op: concatOp,
  differentiable: 1,
  frule: "linear",
  kernels: [],
  rule: (xs: readonly Tensor[], axis: number) => [
    concatOp(xs, axis),
    (dy: Tensor) => {
      const ax = axis < 0 ? axis + dy.ndim : axis;
      const out: Tensor[] = [];
      let rest = dy;
      for (let i = 0; i < xs.length - 1; i++) {
        const [head, tail] = splitAtOp(rest, ax, xs[i].shape[ax]);
        out.push(head);
        rest = tail;
      }
      out.push(rest);
      return [out];
    },
  ],
});
