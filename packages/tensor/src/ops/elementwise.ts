// Elementwise ops: broadcast add/sub/mul/div, sumToShape (the backward of broadcasting),
// tensor-scalar ops, unary maps with their backward kernels, and in-place accumulation.
// float32 runs on zig-kernels/src/elementwise.zig (sumToShape on reduce.zig's sum-along); float64 (or
// PULLBACK_BACKEND=reference) on src/reference/elementwise.ts.
import { useNative } from "../backend.ts";
import { broadcastShapes, broadcastStrides, broadcastsTo, checkTensor, collapseAxes, usizeArray } from "../broadcast.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/elementwise.ts";
import { sumAlong } from "./reduce.ts";
import { Tensor, type Shape } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const binaryArgs = { args: ["ptr", "ptr", "ptr", "u64", "ptr", "ptr", "ptr"], returns: "void" } as const;
const scalarArgs = { args: ["ptr", "f32", "ptr", "u64"], returns: "void" } as const;
const unaryArgs = { args: ["ptr", "ptr", "u64"], returns: "void" } as const;
const backwardArgs = { args: ["ptr", "ptr", "ptr", "u64"], returns: "void" } as const;

const K = bindKernels({
  pb_elementwise_add: binaryArgs,
  pb_elementwise_sub: binaryArgs,
  pb_elementwise_mul: binaryArgs,
  pb_elementwise_div: binaryArgs,
  pb_elementwise_add_scalar: scalarArgs,
  pb_elementwise_mul_scalar: scalarArgs,
  pb_elementwise_div_scalar: scalarArgs,
  pb_elementwise_add_into: { args: ["ptr", "ptr", "u64"], returns: "void" },
  pb_elementwise_exp: unaryArgs,
  pb_elementwise_log: unaryArgs,
  pb_elementwise_sqrt: unaryArgs,
  pb_elementwise_square: unaryArgs,
  pb_elementwise_tanh: unaryArgs,
  pb_elementwise_gelu: unaryArgs,
  pb_elementwise_exp_backward: backwardArgs,
  pb_elementwise_log_backward: backwardArgs,
  pb_elementwise_sqrt_backward: backwardArgs,
  pb_elementwise_square_backward: backwardArgs,
  pb_elementwise_tanh_backward: backwardArgs,
  pb_elementwise_gelu_backward: backwardArgs,
  pb_elementwise_gelu_second_backward: backwardArgs,
});

/** The most axes a kernel call takes after collapsing (zig-kernels max_dims). */
const maxDims = 8;

type BinaryKernel = (
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  ndim: number,
  shape: BigUint64Array,
  sa: BigUint64Array,
  sb: BigUint64Array,
) => void;

function binary(op: string, kernel: BinaryKernel, reference: (a: Tensor, b: Tensor) => Tensor, a: Tensor, b: Tensor): Tensor {
  checkTensor(op, "a", a);
  checkTensor(op, "b", b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const c = collapseAxes(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  if (!useNative(a, b) || c.shape.length > maxDims) return reference(a, b);
  const out = Tensor.empty(shape); // the kernel writes every element
  if (out.size === 0) return out;
  kernel(
    a.data as Float32Array,
    b.data as Float32Array,
    out.data as Float32Array,
    c.shape.length,
    usizeArray(c.shape),
    usizeArray(c.strides[0]),
    usizeArray(c.strides[1]),
  );
  return out;
}

/** a + b with NumPy broadcasting. */
export const add = withTangents(function add(a: Tensor, b: Tensor): Tensor {
  return binary("add", K.pb_elementwise_add, ref.add, a, b);
});
/** a − b with NumPy broadcasting. */
export const sub = withTangents(function sub(a: Tensor, b: Tensor): Tensor {
  return binary("sub", K.pb_elementwise_sub, ref.sub, a, b);
});
/** a · b (elementwise) with NumPy broadcasting. */
export const mul = withTangents(function mul(a: Tensor, b: Tensor): Tensor {
  return binary("mul", K.pb_elementwise_mul, ref.mul, a, b);
});
/** a / b with NumPy broadcasting. */
export const div = withTangents(function div(a: Tensor, b: Tensor): Tensor {
  return binary("div", K.pb_elementwise_div, ref.div, a, b);
});

/**
 * Sums x down to `shape`, a shape that broadcasts to x.shape: the backward of broadcasting
 * (dA = sumToShape(dOut, a.shape)). Natively the broadcast axes are grouped into runs and each run
 * is summed away by one sum-along kernel call.
 */
export const sumToShape = withTangents(function sumToShape(x: Tensor, shape: Shape): Tensor {
  checkTensor("sumToShape", "x", x);
  check(
    Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0),
    "sumToShape",
    () => `shape must be an array of non-negative integers, got ${String(shape)}`,
  );
  check(
    broadcastsTo(shape, x.shape),
    "sumToShape",
    () => `cannot sum ${fmtShape(x.shape)} to ${fmtShape(shape)}: it does not broadcast to ${fmtShape(x.shape)}`,
  );
  if (!useNative(x)) return ref.sumToShape(x, shape);
  // Runs of axes of x: kept (as in the target) or summed (broadcast in the target); size-1 axes drop out.
  const lead = x.ndim - shape.length;
  const runs: { size: number; summed: boolean }[] = [];
  x.shape.forEach((d, i) => {
    if (d === 1) return;
    const summed = i < lead || shape[i - lead] === 1;
    const last = runs[runs.length - 1];
    if (last && last.summed === summed) last.size *= d;
    else runs.push({ size: d, summed });
  });
  if (x.size === 0 || !runs.some((r) => r.summed)) {
    const out = Tensor.zeros(shape);
    if (x.size > 0) out.data.set(x.data);
    return out;
  }
  let cur = x;
  for (let axis = runs.findIndex((r) => r.summed); axis >= 0; axis = runs.findIndex((r) => r.summed)) {
    cur = sumAlong(
      new Tensor(
        cur.data,
        runs.map((r) => r.size),
      ),
      axis,
    );
    runs.splice(axis, 1);
  }
  return new Tensor(cur.data, shape);
});

function withScalar(
  op: string,
  kernel: (x: Float32Array, s: number, out: Float32Array, n: number) => void,
  reference: (x: Tensor, s: number) => Tensor,
  x: Tensor,
  s: number,
): Tensor {
  checkTensor(op, "x", x);
  check(typeof s === "number", op, () => `the scalar must be a number, got ${typeof s}`);
  if (!useNative(x)) return reference(x, s);
  const out = Tensor.empty(x.shape); // the kernel writes every element
  if (out.size > 0) kernel(x.data as Float32Array, s, out.data as Float32Array, x.size);
  return out;
}

/** x + s. */
export const addScalar = withTangents(function addScalar(x: Tensor, s: number): Tensor {
  return withScalar("addScalar", K.pb_elementwise_add_scalar, ref.addScalar, x, s);
});
/** x · s. */
export const mulScalar = withTangents(function mulScalar(x: Tensor, s: number): Tensor {
  return withScalar("mulScalar", K.pb_elementwise_mul_scalar, ref.mulScalar, x, s);
});
/** x / s. */
export const divScalar = withTangents(function divScalar(x: Tensor, s: number): Tensor {
  return withScalar("divScalar", K.pb_elementwise_div_scalar, ref.divScalar, x, s);
});

function unary(op: string, kernel: (x: Float32Array, out: Float32Array, n: number) => void, reference: (x: Tensor) => Tensor, x: Tensor): Tensor {
  checkTensor(op, "x", x);
  if (!useNative(x)) return reference(x);
  const out = Tensor.empty(x.shape); // the kernel writes every element
  if (out.size > 0) kernel(x.data as Float32Array, out.data as Float32Array, x.size);
  return out;
}

export const exp = withTangents(function exp(x: Tensor): Tensor {
  return unary("exp", K.pb_elementwise_exp, ref.exp, x);
});
export const log = withTangents(function log(x: Tensor): Tensor {
  return unary("log", K.pb_elementwise_log, ref.log, x);
});
export const sqrt = withTangents(function sqrt(x: Tensor): Tensor {
  return unary("sqrt", K.pb_elementwise_sqrt, ref.sqrt, x);
});
export const square = withTangents(function square(x: Tensor): Tensor {
  return unary("square", K.pb_elementwise_square, ref.square, x);
});
export const tanh = withTangents(function tanh(x: Tensor): Tensor {
  return unary("tanh", K.pb_elementwise_tanh, ref.tanh, x);
});
/** GPT-2 gelu (tanh approximation): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export const gelu = withTangents(function gelu(x: Tensor): Tensor {
  return unary("gelu", K.pb_elementwise_gelu, ref.gelu, x);
});

/** Checks that a backward op's saved tensor and dy have the same shape. */
function checkSameShape(op: string, names: [string, string], a: Tensor, b: Tensor): void {
  checkTensor(op, names[0], a);
  checkTensor(op, names[1], b);
  check(
    a.shape.join() === b.shape.join() && a.ndim === b.ndim,
    op,
    () => `${names[0]} ${fmtShape(a.shape)} and ${names[1]} ${fmtShape(b.shape)} differ in shape`,
  );
}

function backward(
  op: string,
  saved: string,
  kernel: (s: Float32Array, dy: Float32Array, dx: Float32Array, n: number) => void,
  reference: (s: Tensor, dy: Tensor) => Tensor,
  s: Tensor,
  dy: Tensor,
): Tensor {
  checkSameShape(op, [saved, "dy"], s, dy);
  if (!useNative(s, dy)) return reference(s, dy);
  const dx = Tensor.empty(s.shape); // the kernel writes every element
  if (dx.size > 0) kernel(s.data as Float32Array, dy.data as Float32Array, dx.data as Float32Array, s.size);
  return dx;
}

/** dx = dy · y, from y = exp(x). */
export const expBackward = withTangents(function expBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("expBackward", "y", K.pb_elementwise_exp_backward, ref.expBackward, y, dy);
});
/** dx = dy / x. */
export const logBackward = withTangents(function logBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("logBackward", "x", K.pb_elementwise_log_backward, ref.logBackward, x, dy);
});
/** dx = dy / (2y), from y = sqrt(x). */
export const sqrtBackward = withTangents(function sqrtBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("sqrtBackward", "y", K.pb_elementwise_sqrt_backward, ref.sqrtBackward, y, dy);
});
/** dx = 2·x·dy. */
export const squareBackward = withTangents(function squareBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("squareBackward", "x", K.pb_elementwise_square_backward, ref.squareBackward, x, dy);
});
/** dx = dy · (1 − y²), from y = tanh(x). */
export const tanhBackward = withTangents(function tanhBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("tanhBackward", "y", K.pb_elementwise_tanh_backward, ref.tanhBackward, y, dy);
});
/** dx = dy · gelu′(x). */
export const geluBackward = withTangents(function geluBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("geluBackward", "x", K.pb_elementwise_gelu_backward, ref.geluBackward, x, dy);
});
/**
 * dy · gelu''(x): geluBackward's derivative in x (the backward of geluBackward), what its forward
 * rule needs for second derivatives (hvp, hessian).
 */
export const geluSecondBackward = withTangents(function geluSecondBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("geluSecondBackward", "x", K.pb_elementwise_gelu_second_backward, ref.geluSecondBackward, x, dy);
});

/**
 * dst += src in place (same shape and dtype; gradient accumulation into a buffer you own). Returns
 * dst. dst must not share memory with other tensors (e.g. a `splitAt` half or a `reshape`).
 */
export function addInto(dst: Tensor, src: Tensor): Tensor {
  checkSameShape("addInto", ["dst", "src"], dst, src);
  check(dst.dtype === src.dtype || dst.dtype === "float64", "addInto", () => `cannot accumulate ${src.dtype} src into ${dst.dtype} dst`);
  if (!useNative(dst, src)) return ref.addInto(dst, src);
  if (dst.size > 0) K.pb_elementwise_add_into(dst.data as Float32Array, src.data as Float32Array, dst.size);
  return dst;
}
