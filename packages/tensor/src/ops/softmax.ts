// softmax / log-softmax along the last axis (any leading dims) and their backward passes.
// float32 runs on zig-kernels/src/softmax.zig; float64 (or PULLBACK_BACKEND=reference) on the reference.
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/softmax.ts";
import { Tensor } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_softmax_forward: { args: ["ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_softmax_backward: { args: ["ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_softmax_log_forward: { args: ["ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_softmax_log_backward: { args: ["ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
});

function rowsCols(op: string, x: Tensor): [number, number] {
  check(x.ndim >= 1, op, () => `needs at least one axis, got a 0-d tensor`);
  const cols = x.shape[x.ndim - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

function sameShape(op: string, y: Tensor, dy: Tensor): void {
  check(
    y.shape.length === dy.shape.length && y.shape.every((d, i) => d === dy.shape[i]),
    op,
    () => `y ${fmtShape(y.shape)} and dy ${fmtShape(dy.shape)} must have the same shape`,
  );
  check(y.dtype === dy.dtype, op, () => `y is ${y.dtype} but dy is ${dy.dtype}`);
}

type Kernel = keyof typeof K;

function forward(op: string, x: Tensor, kernel: Kernel, reference: (x: Tensor) => Tensor): Tensor {
  const [rows, cols] = rowsCols(op, x);
  if (!useNative(x)) return reference(x);
  const y = Tensor.zeros(x.shape);
  if (y.size > 0) (K[kernel] as (x: unknown, y: unknown, rows: number, cols: number) => void)(x.data, y.data, rows, cols);
  return y;
}

function backward(op: string, y: Tensor, dy: Tensor, kernel: Kernel, reference: (y: Tensor, dy: Tensor) => Tensor): Tensor {
  const [rows, cols] = rowsCols(op, y);
  sameShape(op, y, dy);
  if (!useNative(y, dy)) return reference(y, dy);
  const dx = Tensor.zeros(y.shape);
  if (dx.size > 0) (K[kernel] as (y: unknown, dy: unknown, dx: unknown, rows: number, cols: number) => void)(y.data, dy.data, dx.data, rows, cols);
  return dx;
}

/** exp(x − max) / Σ exp(x − max) along the last axis. */
export const softmax = withTangents(function softmax(x: Tensor): Tensor {
  return forward("softmax", x, "pb_softmax_forward", ref.softmax);
});

/** Backward of softmax from its output y: dx = y·(dy − Σ dy·y). */
export const softmaxBackward = withTangents(function softmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("softmaxBackward", y, dy, "pb_softmax_backward", ref.softmaxBackward);
});

/** x − log Σ exp(x) along the last axis. */
export const logSoftmax = withTangents(function logSoftmax(x: Tensor): Tensor {
  return forward("logSoftmax", x, "pb_softmax_log_forward", ref.logSoftmax);
});

/** Backward of log-softmax from its output y: dx = dy − exp(y)·Σdy. */
export const logSoftmaxBackward = withTangents(function logSoftmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("logSoftmaxBackward", y, dy, "pb_softmax_log_backward", ref.logSoftmaxBackward);
});
