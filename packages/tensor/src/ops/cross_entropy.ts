// Fused softmax + cross-entropy over logits (N, V) with integer targets, and its backward
// (recomputed from the logits and the saved logsumexp; probabilities are never stored).
// float32 runs on zig-kernels/src/cross_entropy.zig; float64 (or PULLBACK_BACKEND=reference) on the reference.
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/cross_entropy.ts";
import { Tensor } from "../tensor.ts";
import { toIndices } from "./indices.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_cross_entropy_forward: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_cross_entropy_backward: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64", "f32"], returns: "void" },
});

function checkArgs(op: string, logits: Tensor, targets: Int32Array | readonly number[]): Int32Array {
  check(logits.ndim === 2, op, () => `logits must be 2-D (N, V), got ${fmtShape(logits.shape)}`);
  const [n, v] = logits.shape;
  check(targets?.length === n, op, () => `targets has ${targets?.length} entries, logits ${fmtShape(logits.shape)} has ${n} rows`);
  return toIndices(op, targets, v, (t, row) => `target ${t} at row ${row} is out of range for vocab ${v}`);
}

/** The checked forward; errors name `op` (the public function called). */
function forward(op: string, logits: Tensor, targets: Int32Array | readonly number[]): { loss: number; losses: Tensor; lse: Tensor } {
  const t = checkArgs(op, logits, targets);
  if (!useNative(logits)) return ref.crossEntropyForward(logits, t);
  const [n, v] = logits.shape;
  const losses = Tensor.zeros([n]),
    lse = Tensor.zeros([n]);
  if (n > 0) K.pb_cross_entropy_forward(logits.data, t, losses.data, lse.data, n, v);
  let total = 0;
  for (let i = 0; i < n; i++) total += losses.data[i];
  return { loss: total / n, losses, lse };
}

/**
 * Mean cross-entropy of softmax(logits) against `targets` (NaN for 0 rows). `overwriteLogits` is
 * read by its rule only: the pullback then writes ∂logits into the logits' own buffer (for logits
 * that are dead after the loss); the forward never writes into the logits.
 */
export const crossEntropy = withTangents(function crossEntropy(
  logits: Tensor,
  targets: Int32Array | readonly number[],
  options: { overwriteLogits?: boolean } = {},
): number {
  void options;
  return forward("crossEntropy", logits, targets).loss;
});

/** The mean loss, the per-row losses and the logsumexp per row (saved for crossEntropyBackward). */
export const crossEntropyForward = withTangents(function crossEntropyForward(
  logits: Tensor,
  targets: Int32Array | readonly number[],
): { loss: number; losses: Tensor; lse: Tensor } {
  return forward("crossEntropyForward", logits, targets);
});

/**
 * dlogits = (softmax(logits) − onehot(targets))·dloss/N with softmax = exp(logits − lse).
 * `out` (optional, shape of logits, same dtype) receives the result instead of a new tensor; it may
 * be `logits` itself (the kernel reads each element before writing it), which saves allocating and
 * page-faulting an (N, V) buffer every step when the logits are not needed afterwards.
 */
export const crossEntropyBackward = withTangents(function crossEntropyBackward(
  logits: Tensor,
  targets: Int32Array | readonly number[],
  lse: Tensor,
  dloss: number,
  options: { out?: Tensor } = {},
): Tensor {
  const op = "crossEntropyBackward";
  const t = checkArgs(op, logits, targets);
  const [n, v] = logits.shape;
  check(lse.ndim === 1 && lse.shape[0] === n, op, () => `lse ${fmtShape(lse.shape)} must be (${n},) for logits ${fmtShape(logits.shape)}`);
  check(lse.dtype === logits.dtype, op, () => `logits is ${logits.dtype} but lse is ${lse.dtype}`);
  check(typeof dloss === "number" && Number.isFinite(dloss), op, () => `dloss must be a finite number, got ${dloss}`);
  const out = options.out;
  if (out) {
    check(
      out.shape.length === 2 && out.shape[0] === n && out.shape[1] === v && out.dtype === logits.dtype,
      op,
      () => `out ${fmtShape(out.shape)} ${out.dtype} must be ${fmtShape(logits.shape)} ${logits.dtype} like logits`,
    );
  }
  if (!useNative(logits, lse)) {
    const dx = ref.crossEntropyBackward(logits, t, lse, dloss);
    if (!out) return dx;
    out.data.set(dx.data);
    return out;
  }
  const dx = out ?? Tensor.zeros(logits.shape);
  if (dx.size > 0) K.pb_cross_entropy_backward(logits.data, t, lse.data, dx.data, n, v, dloss / n);
  return dx;
});
