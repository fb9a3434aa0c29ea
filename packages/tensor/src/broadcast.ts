// Shape arithmetic shared by the elementwise, reduction and shape ops and their references:
// NumPy broadcasting, axis normalization, strides, and collapsing of axes before a kernel call.
import { check, fmtShape } from "./errors.ts";
import { isTensor, type DType, type Shape, type Tensor } from "./tensor.ts";

/** Throws unless `x` is a Tensor (names the op and the argument). */
export function checkTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  check(isTensor(x), op, () => `${name} must be a Tensor, got ${x === null ? "null" : typeof x}`);
}

/** float64 when any operand is float64 (NumPy's promotion), else float32. */
export function resultDType(...tensors: Tensor[]): DType {
  return tensors.some((t) => t.dtype === "float64") ? "float64" : "float32";
}

/** The NumPy broadcast of two shapes (aligned on the right; a 1 stretches to the other's size). */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    check(da === db || da === 1 || db === 1, op, () => `cannot broadcast a ${fmtShape(a)} with b ${fmtShape(b)}`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when `from` broadcasts to exactly `to` (so `to` can be summed back down to `from`). */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  const lead = to.length - from.length;
  return lead >= 0 && from.every((d, i) => d === to[lead + i] || d === 1);
}

/** Row-major element strides of a contiguous `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Strides of a contiguous tensor of `shape` read over the broadcast shape `out` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const own = contiguousStrides(shape);
  const lead = out.length - shape.length;
  return out.map((_, d) => (d < lead || shape[d - lead] === 1 ? 0 : own[d - lead]));
}

/** `axis` (negative counts from the end) as an index into `shape`, or a TensorError naming op, axis and shape. */
export function normalizeAxis(op: string, axis: number, shape: Shape): number {
  const n = shape.length;
  check(Number.isInteger(axis) && axis >= -n && axis < n, op, () => `axis ${axis} is out of range for shape ${fmtShape(shape)}`);
  return axis < 0 ? axis + n : axis;
}

/**
 * Simplifies an iteration over `shape` (row-major, the contiguous output) with one stride list per
 * operand: drops size-1 axes and merges neighbouring axes that every operand walks contiguously
 * (stride[d] = stride[d+1]·shape[d+1]). The result has at least one axis.
 */
export function collapseAxes(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/** (outer, n, inner) of a reduction of `shape` along `axis` (already normalized). */
export function splitAxis(shape: Shape, axis: number): { outer: number; n: number; inner: number } {
  let outer = 1,
    inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, n: shape[axis], inner };
}

/** Shape of a reduction of `shape` along `axis`: the axis removed, or kept as 1. */
export function reducedShape(shape: Shape, axis: number, keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** A usize array for a kernel argument. */
export function usizeArray(values: readonly number[]): BigUint64Array {
  return BigUint64Array.from(values, (v) => BigInt(v));
}

/** Calls f(idx, i) for every row-major multi-index idx of `shape` (i its flat position). */
export function forEachIndex(shape: Shape, f: (idx: readonly number[], i: number) => void): void {
  let n = 1;
  for (const d of shape) n *= d;
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(idx, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** Σ_d idx[d]·strides[d]. */
export function offsetOf(idx: readonly number[], strides: readonly number[]): number {
  let j = 0;
  for (let d = 0; d < idx.length; d++) j += idx[d] * strides[d];
  return j;
}
