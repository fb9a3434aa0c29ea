// Reductions: sum of all elements, sum and max along an axis (negative axes count from the end),
// and the max backward. float32 runs on zig-kernels/src/reduce.zig (float64 accumulation);
// float64 on src/reference/reduce.ts.
import { useNative } from "../backend.ts";
import { checkTensor, normalizeAxis, reducedShape, splitAxis } from "../broadcast.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/reduce.ts";
import { Tensor, type Shape } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_reduce_sum: { args: ["ptr", "u64", "ptr"], returns: "void" },
  pb_reduce_sum_along: { args: ["ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
  pb_reduce_max_along: { args: ["ptr", "ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
  pb_reduce_max_along_backward: { args: ["ptr", "ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
});

/** Σ of all elements (accumulated in float64). */
export const sum = withTangents(function sum(x: Tensor): number {
  checkTensor("sum", "x", x);
  if (!useNative(x)) return ref.sum(x);
  if (x.size === 0) return 0;
  const out = new Float64Array(1);
  K.pb_reduce_sum(x.data as Float32Array, x.size, out);
  return out[0];
});

/** Σ along `axis`; the axis is removed, or kept with size 1 when keepDims. */
export const sumAlong = withTangents(function sumAlong(x: Tensor, axis: number, keepDims = false): Tensor {
  checkTensor("sumAlong", "x", x);
  const ax = normalizeAxis("sumAlong", axis, x.shape);
  if (!useNative(x)) return ref.sumAlong(x, ax, keepDims);
  const { outer, n, inner } = splitAxis(x.shape, ax);
  const out = Tensor.zeros(reducedShape(x.shape, ax, keepDims));
  if (out.size > 0 && n > 0) K.pb_reduce_sum_along(x.data as Float32Array, out.data as Float32Array, outer, n, inner);
  return out;
});

/** The checked max along an axis with its argmax; errors name `op` (the public function called). */
function maxForward(op: string, x: Tensor, axis: number, keepDims: boolean): { values: Tensor; indices: Int32Array } {
  checkTensor(op, "x", x);
  const ax = normalizeAxis(op, axis, x.shape);
  const { outer, n, inner } = splitAxis(x.shape, ax);
  check(n > 0 || outer * inner === 0, op, () => `axis ${axis} of shape ${fmtShape(x.shape)} is empty: there is no maximum`);
  if (!useNative(x)) return ref.maxAlongForward(x, ax, keepDims);
  const values = Tensor.zeros(reducedShape(x.shape, ax, keepDims));
  const indices = new Int32Array(values.size);
  if (values.size > 0) K.pb_reduce_max_along(x.data as Float32Array, values.data as Float32Array, indices, outer, n, inner);
  return { values, indices };
}

/** Maximum along `axis`; the axis is removed, or kept with size 1 when keepDims (a NaN counts as the maximum). */
export const maxAlong = withTangents(function maxAlong(x: Tensor, axis: number, keepDims = false): Tensor {
  return maxForward("maxAlong", x, axis, keepDims).values;
});

/**
 * The maximum along `axis` and, for each, the first index along the axis where it occurs (NumPy's
 * argmax; a NaN counts as the maximum). `indices` is laid out like `values`; it is what
 * maxAlongBackward needs.
 */
export const maxAlongForward = withTangents(function maxAlongForward(
  x: Tensor,
  axis: number,
  keepDims = false,
): { values: Tensor; indices: Int32Array } {
  return maxForward("maxAlongForward", x, axis, keepDims);
});

/**
 * The backward of maxAlong: dx of `shape` (the input's) holding dy at the argmax positions along
 * `axis` and 0 elsewhere. dy has the reduced shape (axis removed or kept as 1).
 */
export const maxAlongBackward = withTangents(function maxAlongBackward(
  dy: Tensor,
  indices: Int32Array | readonly number[],
  shape: Shape,
  axis: number,
): Tensor {
  const op = "maxAlongBackward";
  checkTensor(op, "dy", dy);
  check(
    Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0),
    op,
    () => `shape must be an array of non-negative integers, got ${String(shape)}`,
  );
  const ax = normalizeAxis(op, axis, shape);
  const { outer, n, inner } = splitAxis(shape, ax);
  const dims = dy.shape.join();
  check(
    dims === reducedShape(shape, ax, false).join() || dims === reducedShape(shape, ax, true).join(),
    op,
    () => `dy ${fmtShape(dy.shape)} is not ${fmtShape(shape)} reduced along axis ${axis}`,
  );
  const idx = indices instanceof Int32Array ? indices : Int32Array.from(indices);
  check(idx.length === outer * inner, op, () => `indices has ${idx.length} elements, dy ${fmtShape(dy.shape)} has ${outer * inner}`);
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    check(
      Number.isInteger(k) && k >= 0 && k < n,
      op,
      () => `index ${k} at position ${i} is out of range 0..${n - 1} for axis ${axis} of ${fmtShape(shape)}`,
    );
  }
  if (!useNative(dy)) return ref.maxAlongBackward(dy, idx, shape, ax);
  const dx = Tensor.zeros(shape);
  if (dy.size > 0) K.pb_reduce_max_along_backward(dy.data as Float32Array, idx, dx.data as Float32Array, outer, n, inner);
  return dx;
});
