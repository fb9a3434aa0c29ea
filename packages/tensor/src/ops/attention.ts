// Fused causal multi-head attention (zig-kernels/src/attention.zig): q, k, v, out (B, H, T, D),
// lse (B, H, T) = log Σ_j exp(s_ij), scale 1/√D, key j ≤ query i, optional dropout on the
// attention probabilities (Philox element ((b·H + h)·T + i)·T + j of the draw (seed, offset)).
// The backward recomputes the probabilities from lse and regenerates the dropout mask.
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import { attentionBackwardReference, attentionReference, type AttentionOptions } from "../reference/attention.ts";
import { Tensor } from "../tensor.ts";

export type { AttentionOptions } from "../reference/attention.ts";

const K = bindKernels({
  pb_attention_forward: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
    returns: "void",
  },
  pb_attention_backward: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
    returns: "void",
  },
});

/** Largest head dimension D (max_head_dim in attention.zig: its stack tiles hold D × 16 floats). */
export const attentionMaxHeadDim = 512;

function checkOptions(op: string, options: AttentionOptions): Required<AttentionOptions> {
  const { dropout = 0, seed = 0, offset = 0 } = options;
  check(typeof dropout === "number" && dropout >= 0 && dropout < 1, op, () => `dropout must be a number in [0, 1), got ${dropout}`);
  check(Number.isSafeInteger(seed) && seed >= 0, op, () => `seed must be a non-negative integer, got ${seed}`);
  check(Number.isSafeInteger(offset) && offset >= 0, op, () => `offset must be a non-negative integer, got ${offset}`);
  return { dropout, seed, offset };
}

/** Checks that q, k, v (and `more`) are 4-D tensors of one shape and dtype; returns (B, H, T, D). */
function checkQkv(op: string, named: Record<string, Tensor>): [number, number, number, number] {
  const entries = Object.entries(named);
  for (const [name, t] of entries) check(t instanceof Tensor, op, () => `${name} must be a Tensor`);
  const [first, q] = entries[0];
  check(q.ndim === 4, op, () => `${first} must be 4-D (B, H, T, D), got ${fmtShape(q.shape)}`);
  const same = entries.every(([, t]) => t.shape.join() === q.shape.join());
  check(same, op, () => `${entries.map(([n]) => n).join(", ")} must have equal shapes, got ${entries.map(([n, t]) => `${n} ${fmtShape(t.shape)}`).join(", ")}`);
  check(entries.every(([, t]) => t.dtype === q.dtype), op, () => `dtypes differ: ${entries.map(([n, t]) => `${n} ${t.dtype}`).join(", ")}`);
  const [B, H, T, D] = q.shape;
  check(B * H * T === 0 || (D >= 1 && D <= attentionMaxHeadDim), op, () => `head dimension D must be in 1..${attentionMaxHeadDim}, got ${fmtShape(q.shape)}`);
  return [B, H, T, D];
}

/** The checked forward; errors name `op` (the public function called). */
function forward(op: string, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor } {
  const [B, H, T, D] = checkQkv(op, { q, k, v });
  const opts = checkOptions(op, options);
  if (!useNative(q, k, v)) return attentionReference(q, k, v, opts);
  const out = Tensor.zeros(q.shape);
  const lse = Tensor.zeros([B, H, T]);
  if (q.size === 0) return { out, lse };
  K.pb_attention_forward(q.data, k.data, v.data, out.data, lse.data, B, H, T, D, opts.dropout, opts.seed, opts.offset);
  return { out, lse };
}

/** Causal attention of q, k, v (B, H, T, D) → out (B, H, T, D). */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  return forward("attention", q, k, v, options).out;
}

/** out as attention, with the softmax statistic lse (B, H, T) saved for attentionBackward. */
export function attentionForward(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): { out: Tensor; lse: Tensor } {
  return forward("attentionForward", q, k, v, options);
}

/** Gradients of attention w.r.t. q, k, v given dout and the forward's out and lse (same options). */
export function attentionBackward(
  dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, options: AttentionOptions = {},
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const op = "attentionBackward";
  const [B, H, T, D] = checkQkv(op, { q, k, v, dout, out });
  check(lse instanceof Tensor, op, () => "lse must be a Tensor");
  check(lse.shape.join() === [B, H, T].join(), op, () => `lse must have shape ${fmtShape([B, H, T])} for q ${fmtShape(q.shape)}, got ${fmtShape(lse.shape)}`);
  check(lse.dtype === q.dtype, op, () => `dtypes differ: q ${q.dtype}, lse ${lse.dtype}`);
  const opts = checkOptions(op, options);
  if (!useNative(dout, q, k, v, out, lse)) return attentionBackwardReference(dout, q, k, v, out, lse, opts);
  const dq = Tensor.zeros(q.shape);
  const dk = Tensor.zeros(q.shape);
  const dv = Tensor.zeros(q.shape);
  if (q.size === 0) return { dq, dk, dv };
  K.pb_attention_backward(dout.data, q.data, k.data, v.data, out.data, lse.data, dq.data, dk.data, dv.data, B, H, T, D, opts.dropout, opts.seed, opts.offset);
  return { dq, dk, dv };
}
