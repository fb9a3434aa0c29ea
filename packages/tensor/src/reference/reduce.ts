// Reference reductions: plain loops, float64 accumulation, float32 or float64 tensors.
// The tensor is seen as (outer, n, inner) around the reduced axis; negative axes count from the end.
import { normalizeAxis, reducedShape, splitAxis } from "../broadcast.ts";
import { Tensor, type Shape } from "../tensor.ts";

/** Σ of all elements. */
export function sum(x: Tensor): number {
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i];
  return s;
}

export function sumAlong(x: Tensor, axis: number, keepDims = false): Tensor {
  const ax = normalizeAxis("sumAlong", axis, x.shape);
  const { outer, n, inner } = splitAxis(x.shape, ax);
  const out = Tensor.zeros(reducedShape(x.shape, ax, keepDims), x.dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += x.data[(o * n + k) * inner + i];
      out.data[o * inner + i] = s;
    }
  }
  return out;
}

/** Maximum along `axis` and the first index where it occurs (a NaN counts as the maximum). */
export function maxAlongForward(x: Tensor, axis: number, keepDims = false): { values: Tensor; indices: Int32Array } {
  const ax = normalizeAxis("maxAlongForward", axis, x.shape);
  const { outer, n, inner } = splitAxis(x.shape, ax);
  const values = Tensor.zeros(reducedShape(x.shape, ax, keepDims), x.dtype);
  const indices = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity,
        at = 0;
      for (let k = 0; k < n; k++) {
        const v = x.data[(o * n + k) * inner + i];
        if (v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
          best = v;
          at = k;
        }
      }
      values.data[o * inner + i] = best;
      indices[o * inner + i] = at;
    }
  }
  return { values, indices };
}

/** dx of shape `shape`: dy scattered to the argmax positions along `axis`, zero elsewhere. */
export function maxAlongBackward(dy: Tensor, indices: Int32Array, shape: Shape, axis: number): Tensor {
  const ax = normalizeAxis("maxAlongBackward", axis, shape);
  const { outer, n, inner } = splitAxis(shape, ax);
  const dx = Tensor.zeros(shape, dy.dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) dx.data[(o * n + indices[o * inner + i]) * inner + i] = dy.data[o * inner + i];
  }
  return dx;
}
