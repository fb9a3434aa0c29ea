// Shape ops: reshape (aliases the data), permute / swapAxes (a copy through
// zig-kernels/src/permute.zig), splitAt (views of x when both halves are contiguous, else copies)
// and concat (copies of contiguous chunks with TypedArray.set).
// float64 (or PULLBACK_BACKEND=reference) runs on src/reference/shape.ts.
import { useNative } from "../backend.ts";
import { checkTensor, collapseAxes, contiguousStrides, normalizeAxis, splitAxis, usizeArray } from "../broadcast.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/shape.ts";
import { sizeOf, Tensor, type Shape } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_permute_copy: { args: ["ptr", "ptr", "u64", "ptr", "ptr", "ptr"], returns: "void" },
});

/** The most axes the permute kernel takes (zig-kernels max_dims). */
const maxDims = 8;

/** The same data seen with another shape of the same size (no copy); one dimension may be -1. */
export const reshape = withTangents(function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor("reshape", "x", x);
  check(
    Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= -1),
    "reshape",
    () => `shape must be an array of integers ≥ -1, got ${Array.isArray(shape) ? fmtShape(shape) : String(shape)}`,
  );
  const free = shape.filter((d) => d === -1).length;
  check(free <= 1, "reshape", () => `only one dimension can be -1, got ${fmtShape(shape)}`);
  const known = sizeOf(shape.filter((d) => d !== -1));
  const resolved = shape.map((d) => (d === -1 ? (known === 0 ? -1 : x.size / known) : d));
  check(
    resolved.every((d) => Number.isInteger(d) && d >= 0) && sizeOf(resolved) === x.size,
    "reshape",
    () => `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`,
  );
  return new Tensor(x.data, resolved);
});

/** Output axis k is input axis axes[k] (a copy). Negative axes count from the end. */
export const permute = withTangents(function permute(x: Tensor, axes: readonly number[]): Tensor {
  checkTensor("permute", "x", x);
  check(
    Array.isArray(axes) && axes.length === x.ndim,
    "permute",
    () => `axes ${Array.isArray(axes) ? fmtShape(axes) : String(axes)} do not list the ${x.ndim} axes of ${fmtShape(x.shape)}`,
  );
  const ax = axes.map((a) => normalizeAxis("permute", a, x.shape));
  check(new Set(ax).size === ax.length, "permute", () => `axes ${fmtShape(axes)} are not a permutation of the axes of ${fmtShape(x.shape)}`);
  if (!useNative(x)) return ref.permute(x, ax);
  const shape = ax.map((a) => x.shape[a]);
  const inStrides = contiguousStrides(x.shape);
  const c = collapseAxes(shape, [ax.map((a) => inStrides[a]), contiguousStrides(shape)]);
  if (c.shape.length > maxDims) return ref.permute(x, ax);
  // Tiling adds up to two axes.
  const plan =
    c.shape.length <= maxDims - 2 ? tilePermute(c.shape, c.strides[0], c.strides[1]) : { shape: c.shape, xs: c.strides[0], os: c.strides[1] };
  const out = Tensor.empty(shape); // a permutation: every element is copied
  if (out.size > 0)
    K.pb_permute_copy(
      x.data as Float32Array,
      out.data as Float32Array,
      plan.shape.length,
      usizeArray(plan.shape),
      usizeArray(plan.xs),
      usizeArray(plan.os),
    );
  return out;
});

/** The largest power of two ≤ target dividing n (the whole axis when n ≤ 2·target). */
function tileOf(n: number, target: number): number {
  if (n <= 2 * target) return n;
  let t = 1;
  while (t * 2 <= target && n % (t * 2) === 0) t *= 2;
  return t;
}

/**
 * Loop tiling for a permuted copy over `shape` (output order) with input strides xs and output
 * strides os. Walking the output in order reads the input at a large stride, and with strides like
 * 768 B or 1 KiB (the qkv split, a (8192, 256) transpose) those reads conflict in the cache and run
 * 10–20× slower than a copy. So the input's fastest axis A and the output's fastest axis B (besides a
 * row both share) are split into tiles, and the iteration becomes (…outer axes with A and B by
 * tiles…, A within the tile, B within the tile, shared row): each tile reads and writes whole cache
 * lines.
 */
function tilePermute(shape: number[], xs: number[], os: number[]): { shape: number[]; xs: number[]; os: number[] } {
  const last = shape.length - 1;
  const row = xs[last] === 1 ? shape[last] : 1; // a row contiguous on both sides
  const axes = [...Array(row > 1 ? last : last + 1).keys()];
  if (axes.length < 2) return { shape, xs, os };
  const a = axes.reduce((m, k) => (xs[k] < xs[m] ? k : m));
  const b = axes.reduce((m, k) => (os[k] < os[m] ? k : m));
  const target = Math.max(1, Math.ceil(32 / row));
  const ta = tileOf(shape[a], target),
    tb = tileOf(shape[b], target);
  if (a === b || (ta === 1 && tb === 1)) return { shape, xs, os };
  const plan = { shape: [] as number[], xs: [] as number[], os: [] as number[] };
  const push = (n: number, x: number, o: number) => {
    plan.shape.push(n);
    plan.xs.push(x);
    plan.os.push(o);
  };
  for (const k of axes) {
    const t = k === a ? ta : k === b ? tb : 1;
    push(shape[k] / t, xs[k] * t, os[k] * t);
  }
  push(ta, xs[a], os[a]);
  push(tb, xs[b], os[b]);
  if (row > 1) push(row, 1, 1);
  const c = collapseAxes(plan.shape, [plan.xs, plan.os]);
  return { shape: c.shape, xs: c.strides[0], os: c.strides[1] };
}

/** x with axes axis1 and axis2 exchanged (a copy). */
export const swapAxes = withTangents(function swapAxes(x: Tensor, axis1: number, axis2: number): Tensor {
  checkTensor("swapAxes", "x", x);
  const a1 = normalizeAxis("swapAxes", axis1, x.shape);
  const a2 = normalizeAxis("swapAxes", axis2, x.shape);
  return permute(
    x,
    x.shape.map((_, i) => (i === a1 ? a2 : i === a2 ? a1 : i)),
  );
});

/** [x[…, :index, …], x[…, index:, …]] along `axis` (0 ≤ index ≤ the axis' size): views of x when every axis before `axis` has size 1, else copies. */
export const splitAt = withTangents(function splitAt(x: Tensor, axis: number, index: number): [Tensor, Tensor] {
  checkTensor("splitAt", "x", x);
  const ax = normalizeAxis("splitAt", axis, x.shape);
  const n = x.shape[ax];
  check(
    Number.isInteger(index) && index >= 0 && index <= n,
    "splitAt",
    () => `index ${index} is out of range 0..${n} for axis ${axis} of ${fmtShape(x.shape)}`,
  );
  if (!useNative(x)) return ref.splitAt(x, ax, index);
  // Row o of x (outer rows of n·inner elements) splits into its first index·inner elements and the rest.
  const { outer, inner } = splitAxis(x.shape, ax);
  if (outer === 1) {
    // Both halves are contiguous runs of x: views, no copy (tensors are immutable by convention).
    return [
      new Tensor(
        x.data.subarray(0, index * inner),
        x.shape.map((d, i) => (i === ax ? index : d)),
      ),
      new Tensor(
        x.data.subarray(index * inner),
        x.shape.map((d, i) => (i === ax ? n - index : d)),
      ),
    ];
  }
  const left = Tensor.zeros(x.shape.map((d, i) => (i === ax ? index : d)));
  const right = Tensor.zeros(x.shape.map((d, i) => (i === ax ? n - index : d)));
  const wl = index * inner,
    wr = (n - index) * inner;
  for (let o = 0; o < outer; o++) {
    const row = o * n * inner;
    left.data.set(x.data.subarray(row, row + wl), o * wl);
    right.data.set(x.data.subarray(row + wl, row + wl + wr), o * wr);
  }
  return [left, right];
});

/** xs joined along `axis`; every other axis must agree. */
export const concat = withTangents(function concat(xs: readonly Tensor[], axis: number): Tensor {
  check(Array.isArray(xs) && xs.length > 0, "concat", () => "needs a non-empty array of tensors");
  xs.forEach((x, i) => checkTensor("concat", `xs[${i}]`, x));
  const first = xs[0];
  const ax = normalizeAxis("concat", axis, first.shape);
  xs.forEach((x, i) => {
    const same = x.ndim === first.ndim && x.shape.every((d: number, k: number) => k === ax || d === first.shape[k]);
    check(same, "concat", () => `xs[${i}] has shape ${fmtShape(x.shape)}, which does not match xs[0] ${fmtShape(first.shape)} outside axis ${axis}`);
  });
  if (!useNative(...xs)) return ref.concat(xs, ax);
  const total = xs.reduce((s, x) => s + x.shape[ax], 0);
  const { outer, inner } = splitAxis(first.shape, ax);
  const out = Tensor.zeros(first.shape.map((d: number, i: number) => (i === ax ? total : d)));
  const rowOut = total * inner;
  let start = 0;
  for (const x of xs) {
    const w = x.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * w, (o + 1) * w), o * rowOut + start);
    start += w;
  }
  return out;
});
