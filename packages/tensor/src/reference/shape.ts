// Reference shape ops: plain index loops (permute, splitAt and concat copy element by element).
// `reshape` has no reference: it only relabels the data (ops/shape.ts).
import { contiguousStrides, forEachIndex, normalizeAxis, offsetOf, resultDType } from "../broadcast.ts";
import { Tensor } from "../tensor.ts";

/** out[i_0, …] = x[…] with output axis k being input axis axes[k] (axes already a permutation). */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const ax = axes.map((a) => normalizeAxis("permute", a, x.shape));
  const inStrides = contiguousStrides(x.shape);
  const strides = ax.map((a) => inStrides[a]);
  const out = Tensor.zeros(
    ax.map((a) => x.shape[a]),
    x.dtype,
  );
  forEachIndex(out.shape, (idx, i) => (out.data[i] = x.data[offsetOf(idx, strides)]));
  return out;
}

export function swapAxes(x: Tensor, axis1: number, axis2: number): Tensor {
  const a1 = normalizeAxis("swapAxes", axis1, x.shape);
  const a2 = normalizeAxis("swapAxes", axis2, x.shape);
  return permute(
    x,
    x.shape.map((_, i) => (i === a1 ? a2 : i === a2 ? a1 : i)),
  );
}

/** [x[..., :index, ...], x[..., index:, ...]] along `axis`. */
export function splitAt(x: Tensor, axis: number, index: number): [Tensor, Tensor] {
  const ax = normalizeAxis("splitAt", axis, x.shape);
  const strides = contiguousStrides(x.shape);
  const part = (begin: number, end: number): Tensor => {
    const out = Tensor.zeros(
      x.shape.map((d, i) => (i === ax ? end - begin : d)),
      x.dtype,
    );
    forEachIndex(out.shape, (idx, i) => (out.data[i] = x.data[begin * strides[ax] + offsetOf(idx, strides)]));
    return out;
  };
  return [part(0, index), part(index, x.shape[ax])];
}

/** xs joined along `axis` (every other axis equal). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const ax = normalizeAxis("concat", axis, xs[0].shape);
  const shape = xs[0].shape.map((d, i) => (i === ax ? xs.reduce((s, x) => s + x.shape[ax], 0) : d));
  const out = Tensor.zeros(shape, resultDType(...xs));
  const strides = contiguousStrides(shape);
  let start = 0;
  for (const x of xs) {
    forEachIndex(x.shape, (idx, i) => (out.data[start * strides[ax] + offsetOf(idx, strides)] = x.data[i]));
    start += x.shape[ax];
  }
  return out;
}
