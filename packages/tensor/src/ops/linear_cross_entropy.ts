// Fused linear + softmax cross-entropy: mean cross-entropy of the logits X·W against integer
// targets, for x (N, C), w (C, V), without ever holding the (N, V) logits — rows go through in
// chunks whose logits live in a small reused scratch buffer (zig-kernels/src/linear_cross_entropy.zig).
// linearCrossEntropy(x, w, t) is crossEntropy(matmul(x, w), t), and linearCrossEntropyForward also
// returns the gradients of the mean loss, computed in the same pass (the loss is a scalar, so its
// pullback only scales them).
// float32 runs on the kernel — its three GEMMs with bf16 inputs under setPrecision("bf16"), as
// matmul's; float64 (or PULLBACK_BACKEND=reference) on the reference.
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels, getThreads } from "../native/library.ts";
import { bf16KernelCode, getBf16Kernel, getPrecision } from "../precision.ts";
import * as ref from "../reference/linear_cross_entropy.ts";
import { Tensor } from "../tensor.ts";
import { toIndices } from "./indices.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  // x, w, targets, losses, n, c, v, rows, scratch, slots, bf16 (0/1), bf16 kernel
  pb_linear_cross_entropy_forward: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "ptr", "u64", "u32", "u32"], returns: "void" },
  // x, w, targets, losses, dx, dw, n, c, v, rows, groups, scratch, slots, wt, partials, bf16 (0/1), bf16 kernel
  pb_linear_cross_entropy_forward_backward: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "u64", "ptr", "u64", "ptr", "ptr", "u32", "u32"],
    returns: "void",
  },
});

export interface LinearCrossEntropyOptions {
  /**
   * Rows per chunk (default: as many as make ~2 MB of logits, at least 6). It changes only the
   * speed and the order in which dW is summed (its last bits), never the losses or dX.
   */
  chunkRows?: number;
}

/** Bytes of logits per chunk: a chunk's logits stay in a core's L2 while the three GEMMs and the softmax walk them. */
const chunkBytes = 2 << 20;
/** The kernel's maximum number of dW partials (max_groups in linear_cross_entropy.zig). */
const maxGroups = 8;

/** The checked arguments: [targets, n, c, v, chunk rows]. */
function checkArgs(
  op: string,
  x: Tensor,
  w: Tensor,
  targets: Int32Array | readonly number[],
  options: LinearCrossEntropyOptions,
): [Int32Array, number, number, number, number] {
  check(x instanceof Tensor && w instanceof Tensor, op, () => `x and w must be Tensors`);
  check(x.ndim === 2, op, () => `x must be 2-D (N, C), got ${fmtShape(x.shape)}`);
  check(w.ndim === 2, op, () => `w must be 2-D (C, V), got ${fmtShape(w.shape)}`);
  const [n, c] = x.shape;
  const v = w.shape[1];
  check(w.shape[0] === c, op, () => `x ${fmtShape(x.shape)} · w ${fmtShape(w.shape)}: inner dimensions differ`);
  check(x.dtype === w.dtype, op, () => `x is ${x.dtype} but w is ${w.dtype}`);
  check(targets?.length === n, op, () => `targets has ${targets?.length} entries, x ${fmtShape(x.shape)} has ${n} rows`);
  const t = toIndices(op, targets, v, (tv, row) => `target ${tv} at row ${row} is out of range for vocab ${v}`);
  const { chunkRows } = options ?? {};
  check(
    chunkRows === undefined || (Number.isInteger(chunkRows) && chunkRows >= 1),
    op,
    () => `chunkRows must be a positive integer, got ${chunkRows}`,
  );
  // ~chunkBytes of logits, in whole 6-row strips of the GEMM micro-kernel (66 rows at V = 8000)
  const rows = chunkRows ?? 6 * Math.max(1, Math.round(chunkBytes / (4 * Math.max(v, 1)) / 6));
  return [t, n, c, v, Math.min(rows, Math.max(n, 1))];
}

/**
 * How the rows of the gradient pass are cut: [rows per chunk, groups]. Each group walks its
 * chunks on one thread into a dW partial of its own, (groups − 1)·C·V floats of scratch in all,
 * kept within a quarter of the (N, V) logits the op avoids (and at most maxGroups). When that
 * allows only one group (a wide C, e.g. GPT-2 small's 768), the chunks run one after the other
 * with every GEMM parallel over the threads and dW accumulated chunk after chunk; those chunks
 * are larger (at least 256 rows unless chunkRows is given) so that re-reading dW, C·V floats,
 * per chunk stays cheap next to the chunk's GEMMs (2·rows flops per element of dW). The plan depends on the shapes only, never on the thread count, so neither do the
 * results.
 */
function plan(n: number, c: number, v: number, rows: number, defaultRows: boolean): [number, number] {
  const groups = Math.max(1, Math.min(Math.ceil(n / rows), maxGroups, 1 + Math.floor(n / (4 * c))));
  if (groups > 1 || !defaultRows) return [rows, groups];
  return [Math.min(n, Math.max(4 * rows, 256)), 1];
}

/** One scratch buffer reused by every call (grown when a call needs more): no per-step allocation. */
let scratchBuffer = new Float32Array(0);
function scratch(floats: number): Float32Array {
  if (scratchBuffer.length < floats) scratchBuffer = new Float32Array(floats);
  return scratchBuffer;
}

/** The GEMMs' precision as the kernel takes it: [bf16 (0/1), bf16 kernel] (setPrecision, like matmul). */
function precisionArgs(): [number, number] {
  return getPrecision() === "bf16" ? [1, bf16KernelCode[getBf16Kernel()]] : [0, 0];
}

/** Mean of the per-row losses, summed in float64 (NaN for 0 rows, as crossEntropy). */
function mean(losses: Tensor): number {
  let total = 0;
  for (let i = 0; i < losses.size; i++) total += losses.data[i];
  return total / losses.size;
}

/**
 * Mean cross-entropy of softmax(x·w) against `targets`: crossEntropy(matmul(x, w), targets) for
 * x (N, C), w (C, V), targets in [0, V) — without the (N, V) logits (NaN for 0 rows).
 */
export const linearCrossEntropy = withTangents(function linearCrossEntropy(
  x: Tensor,
  w: Tensor,
  targets: Int32Array | readonly number[],
  options: LinearCrossEntropyOptions = {},
): number {
  const op = "linearCrossEntropy";
  const [t, n, c, v, rows] = checkArgs(op, x, w, targets, options);
  // c = 0 (every logit 0) goes to the reference too: no empty buffer crosses the FFI.
  if (!useNative(x, w) || c === 0) return ref.linearCrossEntropyForward(x, w, t).loss;
  const losses = Tensor.empty([n]);
  if (n > 0) {
    const chunks = Math.ceil(n / rows);
    const slots = Math.max(1, Math.min(getThreads(), chunks));
    const s = scratch(slots * rows * v);
    K.pb_linear_cross_entropy_forward(x.data, w.data, t, losses.data, n, c, v, rows, s, slots, ...precisionArgs());
  }
  return mean(losses);
});

/**
 * The mean loss, the per-row losses, and the gradients of the mean loss — dx = G·wᵀ (N, C) and
 * dw = xᵀ·G (C, V) with G = (softmax(x·w) − onehot(targets))/N — all from one pass over the
 * rows. Deterministic: the same inputs give the same bits whatever the number of threads or
 * their scheduling (the rows are dealt to a number of dW partials fixed by the shapes, summed in
 * a fixed order). `chunkRows` changes the order dW and dx are summed in (their last bits), never
 * the losses.
 */
export const linearCrossEntropyForward = withTangents(function linearCrossEntropyForward(
  x: Tensor,
  w: Tensor,
  targets: Int32Array | readonly number[],
  options: LinearCrossEntropyOptions = {},
): { loss: number; losses: Tensor; dx: Tensor; dw: Tensor } {
  const op = "linearCrossEntropyForward";
  const [t, n, c, v, rows] = checkArgs(op, x, w, targets, options);
  if (!useNative(x, w) || c === 0) return ref.linearCrossEntropyForward(x, w, t);
  const losses = Tensor.empty([n]),
    dx = Tensor.empty([n, c]),
    dw = Tensor.empty([c, v]);
  if (n === 0) {
    dw.data.fill(0);
    return { loss: NaN, losses, dx, dw };
  }
  const [chunkRows, groups] = plan(n, c, v, rows, options.chunkRows === undefined);
  const slots = groups === 1 ? 1 : Math.max(1, Math.min(getThreads(), groups));
  // One buffer: the chunk logits of every slot, then wᵀ (V, C), then the dW partials.
  const logitsLen = slots * chunkRows * v,
    wtLen = v * c,
    partialLen = (groups - 1) * c * v;
  const s = scratch(logitsLen + wtLen + Math.max(partialLen, 1));
  const wt = s.subarray(logitsLen, logitsLen + wtLen);
  const partials = s.subarray(logitsLen + wtLen);
  K.pb_linear_cross_entropy_forward_backward(
    x.data,
    w.data,
    t,
    losses.data,
    dx.data,
    dw.data,
    n,
    c,
    v,
    chunkRows,
    groups,
    s,
    slots,
    wt,
    partials,
    ...precisionArgs(),
  );
  return { loss: mean(losses), losses, dx, dw };
});
