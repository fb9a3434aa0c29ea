// Dropout with a Philox mask regenerated (never stored): element i (flat index) is kept iff
// philoxUniform(seed, offset, i) ≥ p, and kept values are scaled by 1/(1 − p).
// float32 runs on zig-kernels/src/dropout.zig; float64 (or PULLBACK_BACKEND=reference) on the
// reference, whose mask is bit-identical.
import { useNative } from "../backend.ts";
import { check } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/dropout.ts";
import { Tensor } from "../tensor.ts";

const K = bindKernels({
  pb_dropout_forward: { args: ["ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
  pb_dropout_backward: { args: ["ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
});

function checkArgs(op: string, p: number, seed: number, offset: number): void {
  check(typeof p === "number" && p >= 0 && p < 1, op, () => `p must be in [0, 1), got ${p}`);
  for (const [name, v] of [["seed", seed], ["offset", offset]] as const) {
    check(Number.isSafeInteger(v) && v >= 0, op, () => `${name} must be a non-negative integer below 2^53, got ${v}`);
  }
}

function run(op: string, kernel: "pb_dropout_forward" | "pb_dropout_backward", x: Tensor, p: number, seed: number, offset: number): Tensor {
  checkArgs(op, p, seed, offset);
  if (p === 0) return x.clone();
  if (!useNative(x)) return ref.dropout(x, p, seed, offset);
  const y = Tensor.empty(x.shape); // the kernel writes every element (kept or zero)
  // uniform = (word >> 8)/2^24 ≥ p  ⇔  (word >> 8) ≥ ⌈p·2^24⌉ (p·2^24 is exact in float64).
  if (y.size > 0) K[kernel](x.data, y.data, x.size, seed, offset, Math.ceil(p * 16777216), 1 / (1 - p));
  return y;
}

/** y = x·mask/(1 − p) with the mask of the Philox draw (seed, offset); p = 0 is the identity (a copy). */
export function dropout(x: Tensor, p: number, seed: number, offset: number): Tensor {
  return run("dropout", "pb_dropout_forward", x, p, seed, offset);
}

/** dx = dy·mask/(1 − p), the same mask as `dropout(x, p, seed, offset)`. */
export function dropoutBackward(dy: Tensor, p: number, seed: number, offset: number): Tensor {
  return run("dropoutBackward", "pb_dropout_backward", dy, p, seed, offset);
}
