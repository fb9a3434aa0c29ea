// Dropout with a Philox mask regenerated (never stored): element i (flat index) is kept iff
// philoxUniform(seed, offset, i) ≥ p, and kept values are scaled by 1/(1 − p).
// float32 runs on zig-kernels/src/dropout.zig; float64 (or PULLBACK_BACKEND=reference) on the
// reference, whose mask is bit-identical.
import { useNative } from "../backend.ts";
import { checkTensor } from "../broadcast.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/dropout.ts";
import { Tensor } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_dropout_forward: { args: ["ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
  pb_dropout_backward: { args: ["ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
  pb_dropout_add_forward: { args: ["ptr", "ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
});

function checkArgs(op: string, p: number, seed: number, offset: number): void {
  check(typeof p === "number" && p >= 0 && p < 1, op, () => `p must be in [0, 1), got ${p}`);
  for (const [name, v] of [
    ["seed", seed],
    ["offset", offset],
  ] as const) {
    check(Number.isSafeInteger(v) && v >= 0, op, () => `${name} must be a non-negative integer below 2^53, got ${v}`);
  }
}

/** ⌈p·2^24⌉: uniform = (word >> 8)/2^24 ≥ p  ⇔  (word >> 8) ≥ ⌈p·2^24⌉ (p·2^24 is exact in float64). */
const threshold = (p: number): number => Math.ceil(p * 16777216);

function run(op: string, kernel: "pb_dropout_forward" | "pb_dropout_backward", x: Tensor, p: number, seed: number, offset: number): Tensor {
  checkTensor(op, op === "dropout" ? "x" : "dy", x);
  checkArgs(op, p, seed, offset);
  if (p === 0) return x.clone();
  if (!useNative(x)) return ref.dropout(x, p, seed, offset);
  const y = Tensor.empty(x.shape); // the kernel writes every element (kept or zero)
  if (y.size > 0) K[kernel](x.data, y.data, x.size, seed, offset, threshold(p), 1 / (1 - p));
  return y;
}

/** y = x·mask/(1 − p) with the mask of the Philox draw (seed, offset); p = 0 is the identity (a copy). */
export const dropout = withTangents(function dropout(x: Tensor, p: number, seed: number, offset: number): Tensor {
  return run("dropout", "pb_dropout_forward", x, p, seed, offset);
});

/** dx = dy·mask/(1 − p), the same mask as `dropout(x, p, seed, offset)`. */
export const dropoutBackward = withTangents(function dropoutBackward(dy: Tensor, p: number, seed: number, offset: number): Tensor {
  return run("dropoutBackward", "pb_dropout_backward", dy, p, seed, offset);
});

/**
 * x + dropout(y, p, seed, offset) in one pass (the residual add after a dropout): the same mask
 * and the same float32 rounding as the two separate ops, so the result is bit-identical to
 * `add(x, dropout(y, p, seed, offset))`. x and y have the same shape (no broadcasting). Its
 * backward needs no kernel of its own: ∂x = dout, ∂y = dropoutBackward(dout, p, seed, offset).
 */
export const addDropout = withTangents(function addDropout(x: Tensor, y: Tensor, p: number, seed: number, offset: number): Tensor {
  checkTensor("addDropout", "x", x);
  checkTensor("addDropout", "y", y);
  check(
    x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]),
    "addDropout",
    () => `x and y must have the same shape, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`,
  );
  checkArgs("addDropout", p, seed, offset);
  if (!useNative(x, y)) return ref.addDropout(x, y, p, seed, offset);
  const out = Tensor.empty(x.shape); // the kernel writes every element
  if (out.size === 0) return out;
  if (p === 0)
    K.pb_dropout_add_forward(x.data, y.data, out.data, x.size, seed, offset, 0, 1); // threshold 0: every element kept, scale 1
  else K.pb_dropout_add_forward(x.data, y.data, out.data, x.size, seed, offset, threshold(p), 1 / (1 - p));
  return out;
});
