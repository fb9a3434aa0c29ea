// Fused causal multi-head attention (zig-kernels/src/attention.zig): q, k, v, out (B, H, T, D),
// lse (B, H, T) = log Σ_j exp(s_ij), scale 1/√D, key j ≤ query i, optional dropout on the
// attention probabilities (pair e = ((b·H + h)·T + i)·T + j kept iff byte e % 16 of Philox block
// e / 16 of the draw (seed, offset), over 256, is ≥ p: reference/attention.ts attentionDropoutUniform).
// The backward recomputes the probabilities from lse and regenerates the dropout mask.
// attentionRows: the same attention with the heads read in place from the fused projection rows
// qkv (B·T, 3C) (q | k | v, head h at columns h·D … of each C-wide block) and out written as
// (B·T, C) rows, so a model needs no permute or split around it (same numbers, same masks).
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { allocateBuffer } from "../memory.ts";
import { bindKernels } from "../native/library.ts";
import {
  attentionDropoutFactors as attentionDropoutFactorsReference,
  attentionBackwardReference,
  attentionReference,
  attentionRowsBackwardReference,
  attentionRowsReference,
  type AttentionOptions,
} from "../reference/attention.ts";
import { Tensor } from "../tensor.ts";
import { withTangents } from "../dual.ts";

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
  pb_attention_keep_len: { args: ["u64", "u64", "u64", "u64"], returns: "u64" },
  pb_attention_dropout_factors: { args: ["ptr", "u64", "f64", "u64", "u64"], returns: "void" },
  pb_attention_rows_forward: {
    args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
    returns: "void",
  },
  pb_attention_rows_backward: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
    returns: "void",
  },
  pb_attention_rows_forward_tangent: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
    returns: "void",
  },
  pb_attention_rows_backward_tangent: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
    returns: "void",
  },
});

/** Largest head dimension D (max_head_dim in attention.zig: its stack tiles hold D × 16 floats). */
export const attentionMaxHeadDim = 512;

/**
 * Largest dropout mask (bytes) attentionRowsForward keeps for the backward: 1 bit per (query, key)
 * pair of the 16-row blocks, T²/8 bytes per head (2 MiB at B·H = 1024, T = 128). Above this the
 * backward regenerates the mask from Philox instead (same bits, more time).
 */
const maxKeepBytes = 1 << 28;

/** The u16 words of the dropout mask the rows kernels save for (B, H, T, D), 0 when they use none. */
function keepWords(B: number, H: number, T: number, D: number): number {
  return Number(K.pb_attention_keep_len(B, H, T, D));
}

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
  check(
    same,
    op,
    () => `${entries.map(([n]) => n).join(", ")} must have equal shapes, got ${entries.map(([n, t]) => `${n} ${fmtShape(t.shape)}`).join(", ")}`,
  );
  check(
    entries.every(([, t]) => t.dtype === q.dtype),
    op,
    () => `dtypes differ: ${entries.map(([n, t]) => `${n} ${t.dtype}`).join(", ")}`,
  );
  const [B, H, T, D] = q.shape;
  check(
    B * H * T === 0 || (D >= 1 && D <= attentionMaxHeadDim),
    op,
    () => `head dimension D must be in 1..${attentionMaxHeadDim}, got ${fmtShape(q.shape)}`,
  );
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

/**
 * The attention dropout factors m / P(keep) the kernels apply to BH heads' (T, T) pairs, as a
 * (BH, T, T) tensor (every pair, above the diagonal too): what the forward rules of attention read
 * for second derivatives. float64 (or PULLBACK_BACKEND=reference) runs the reference.
 */
export function attentionDropoutFactors(BH: number, T: number, options: AttentionOptions, dtype: "float32" | "float64" = "float32"): Tensor {
  const op = "attentionDropoutFactors";
  check(
    Number.isSafeInteger(BH) && BH >= 0 && Number.isSafeInteger(T) && T >= 0,
    op,
    () => `BH and T must be non-negative integers, got ${BH}, ${T}`,
  );
  const { dropout, seed, offset } = checkOptions(op, options);
  const f = Tensor.empty([BH, T, T], dtype); // every element written
  if (!useNative(f)) return attentionDropoutFactorsReference(BH, T, dropout, seed, offset, dtype);
  if (f.size > 0) K.pb_attention_dropout_factors(f.data, f.size, dropout, seed, offset);
  return f;
}

/** Causal attention of q, k, v (B, H, T, D) → out (B, H, T, D). */
export const attention = withTangents(function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  return forward("attention", q, k, v, options).out;
});

/** out as attention, with the softmax statistic lse (B, H, T) saved for attentionBackward. */
export const attentionForward = withTangents(function attentionForward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): { out: Tensor; lse: Tensor } {
  return forward("attentionForward", q, k, v, options);
});

/** Gradients of attention w.r.t. q, k, v given dout and the forward's out and lse (same options). */
export const attentionBackward = withTangents(function attentionBackward(
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  options: AttentionOptions = {},
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const op = "attentionBackward";
  const [B, H, T, D] = checkQkv(op, { q, k, v, dout, out });
  check(lse instanceof Tensor, op, () => "lse must be a Tensor");
  check(
    lse.shape.join() === [B, H, T].join(),
    op,
    () => `lse must have shape ${fmtShape([B, H, T])} for q ${fmtShape(q.shape)}, got ${fmtShape(lse.shape)}`,
  );
  check(lse.dtype === q.dtype, op, () => `dtypes differ: q ${q.dtype}, lse ${lse.dtype}`);
  const opts = checkOptions(op, options);
  if (!useNative(dout, q, k, v, out, lse)) return attentionBackwardReference(dout, q, k, v, out, lse, opts);
  const dq = Tensor.zeros(q.shape);
  const dk = Tensor.zeros(q.shape);
  const dv = Tensor.zeros(q.shape);
  if (q.size === 0) return { dq, dk, dv };
  K.pb_attention_backward(
    dout.data,
    q.data,
    k.data,
    v.data,
    out.data,
    lse.data,
    dq.data,
    dk.data,
    dv.data,
    B,
    H,
    T,
    D,
    opts.dropout,
    opts.seed,
    opts.offset,
  );
  return { dq, dk, dv };
});

/** Checks qkv (B·T, 3C) for `heads` heads over `batch` sequences; returns (B, H, T, D). */
function checkRows(op: string, qkv: Tensor, heads: number, batch: number): [number, number, number, number] {
  check(qkv instanceof Tensor, op, () => "qkv must be a Tensor");
  check(Number.isSafeInteger(heads) && heads >= 1, op, () => `heads must be a positive integer, got ${heads}`);
  check(Number.isSafeInteger(batch) && batch >= 1, op, () => `batch must be a positive integer, got ${batch}`);
  check(qkv.ndim === 2, op, () => `qkv must be 2-D (B·T, 3C), got ${fmtShape(qkv.shape)}`);
  const [rows, cols] = qkv.shape;
  check(cols % 3 === 0, op, () => `qkv must have 3C columns (q, k, v side by side), got ${fmtShape(qkv.shape)}`);
  check(rows % batch === 0, op, () => `qkv rows B·T must be divisible by batch ${batch}, got ${fmtShape(qkv.shape)}`);
  const C = cols / 3;
  check(C % heads === 0, op, () => `width C = ${C} must be divisible by heads ${heads}, got qkv ${fmtShape(qkv.shape)}`);
  const D = C / heads;
  check(
    rows === 0 || (D >= 1 && D <= attentionMaxHeadDim),
    op,
    () => `head dimension D = C/heads must be in 1..${attentionMaxHeadDim}, got ${D} (qkv ${fmtShape(qkv.shape)}, ${heads} heads)`,
  );
  return [batch, heads, rows / batch, D];
}

/**
 * Causal attention of the `heads` heads in the fused projection rows qkv (B·T, 3C) of `batch`
 * sequences → out (B·T, C), the heads side by side: attention(q, k, v) of the (B, H, T, D) heads
 * of qkv, permuted back to rows, without the copies.
 */
export const attentionRows = withTangents(function attentionRows(qkv: Tensor, heads: number, batch: number, options: AttentionOptions = {}): Tensor {
  return rowsForward("attentionRows", qkv, heads, batch, options).out;
});

/**
 * out as attentionRows, with what attentionRowsBackward needs: the softmax statistic lse (B, H, T)
 * and, with dropout on the native path when the kernels use one, the dropout mask `keep` (1 bit
 * per query–key pair, the same bits Philox gives; the backward regenerates them without it).
 */
export const attentionRowsForward = withTangents(function attentionRowsForward(
  qkv: Tensor,
  heads: number,
  batch: number,
  options: AttentionOptions = {},
): { out: Tensor; lse: Tensor; keep?: Uint16Array } {
  return rowsForward("attentionRowsForward", qkv, heads, batch, options);
});

/** The checked rows forward; errors name `op` (the public function called). */
function rowsForward(
  op: string,
  qkv: Tensor,
  heads: number,
  batch: number,
  options: AttentionOptions,
): { out: Tensor; lse: Tensor; keep?: Uint16Array } {
  const [B, H, T, D] = checkRows(op, qkv, heads, batch);
  const opts = checkOptions(op, options);
  if (!useNative(qkv)) return attentionRowsReference(qkv, H, B, opts);
  const out = Tensor.empty([B * T, H * D]); // every element written by the kernel
  const lse = Tensor.empty([B, H, T]);
  if (out.size === 0) return { out, lse };
  const words = opts.dropout > 0 && op !== "attentionRows" ? keepWords(B, H, T, D) : 0;
  const keep = words > 0 && 2 * words <= maxKeepBytes ? new Uint16Array(allocateBuffer(2 * words)) /* every word written by the kernel */ : undefined;
  K.pb_attention_rows_forward(qkv.data, out.data, lse.data, keep ?? null, B, H, T, D, opts.dropout, opts.seed, opts.offset);
  return keep ? { out, lse, keep } : { out, lse };
}

/**
 * Gradient of attentionRows w.r.t. qkv (B·T, 3C) given dout (B·T, C) and the forward's out, lse
 * and (when it returned one) keep, with the same options.
 */
export const attentionRowsBackward = withTangents(function attentionRowsBackward(
  dout: Tensor,
  qkv: Tensor,
  out: Tensor,
  lse: Tensor,
  heads: number,
  batch: number,
  options: AttentionOptions = {},
  keep?: Uint16Array,
): Tensor {
  const op = "attentionRowsBackward";
  const [B, H, T, D] = checkRows(op, qkv, heads, batch);
  const named = { dout, out, lse };
  for (const [name, t] of Object.entries(named)) check(t instanceof Tensor, op, () => `${name} must be a Tensor`);
  const want = { dout: [B * T, H * D], out: [B * T, H * D], lse: [B, H, T] };
  for (const [name, t] of Object.entries(named)) {
    const shape = want[name as keyof typeof want];
    check(
      t.shape.join() === shape.join(),
      op,
      () => `${name} must have shape ${fmtShape(shape)} for qkv ${fmtShape(qkv.shape)} with ${H} heads, got ${fmtShape(t.shape)}`,
    );
  }
  const all = { qkv, ...named };
  check(
    Object.values(all).every((t) => t.dtype === qkv.dtype),
    op,
    () =>
      `dtypes differ: ${Object.entries(all)
        .map(([n, t]) => `${n} ${t.dtype}`)
        .join(", ")}`,
  );
  const opts = checkOptions(op, options);
  if (keep !== undefined) {
    check(keep instanceof Uint16Array, op, () => "keep must be the Uint16Array attentionRowsForward returned");
    check(opts.dropout > 0, op, () => "keep is the dropout mask of attentionRowsForward: it needs the same dropout > 0");
  }
  if (!useNative(dout, qkv, out, lse)) return attentionRowsBackwardReference(dout, qkv, out, lse, H, B, opts);
  const dqkv = Tensor.empty(qkv.shape); // every element written by the kernel
  if (dqkv.size === 0) return dqkv;
  if (keep !== undefined) {
    const words = keepWords(B, H, T, D);
    check(
      keep.length === words,
      op,
      () => `keep must have ${words} words for qkv ${fmtShape(qkv.shape)} with ${H} heads (attentionRowsForward's), got ${keep.length}`,
    );
  }
  K.pb_attention_rows_backward(dout.data, qkv.data, out.data, lse.data, keep ?? null, dqkv.data, B, H, T, D, opts.dropout, opts.seed, opts.offset);
  return dqkv;
});

// ---- tangents: the forward rules of the rows kernels (second derivatives) ------------------------

/** Checks a tangent's (or a saved value's) shape and dtype against what it belongs to. */
function checkLike(op: string, name: string, t: Tensor, like: Tensor, shape: readonly number[] = like.shape): void {
  check(t instanceof Tensor, op, () => `${name} must be a Tensor`);
  check(t.shape.join() === shape.join(), op, () => `${name} ${fmtShape(t.shape)} must have shape ${fmtShape(shape)}`);
  check(
    t.dtype === "float32" && like.dtype === "float32",
    op,
    () => `float32 only (the forward rules of attention compose ops in float64), got ${t.dtype}`,
  );
}

/**
 * The tangent of attentionRowsForward's { out, lse } along tqkv (B·T, 3C), given its lse: what
 * second derivatives through attentionRows need, float32 on the kernels (the forward rule
 * composes ops otherwise; rules/attention.ts, which the tests compare it with).
 */
export const attentionRowsForwardTangent = withTangents(function attentionRowsForwardTangent(
  qkv: Tensor,
  tqkv: Tensor,
  lse: Tensor,
  heads: number,
  batch: number,
  options: AttentionOptions = {},
): { out: Tensor; lse: Tensor } {
  const op = "attentionRowsForwardTangent";
  const [B, H, T, D] = checkRows(op, qkv, heads, batch);
  const opts = checkOptions(op, options);
  checkLike(op, "tqkv", tqkv, qkv);
  checkLike(op, "lse", lse, qkv, [B, H, T]);
  const out = Tensor.empty([B * T, H * D]); // every element written
  const tlse = Tensor.empty([B, H, T]);
  if (out.size + tlse.size > 0)
    K.pb_attention_rows_forward_tangent(qkv.data, tqkv.data, lse.data, out.data, tlse.data, B, H, T, D, opts.dropout, opts.seed, opts.offset);
  return { out, lse: tlse };
});

/**
 * The tangent of attentionRowsBackward's dqkv along the tangents of dout, qkv, out and lse: what
 * second derivatives through attentionRows need, float32 on the kernels (as
 * attentionRowsForwardTangent).
 */
export const attentionRowsBackwardTangent = withTangents(function attentionRowsBackwardTangent(
  dout: Tensor,
  qkv: Tensor,
  out: Tensor,
  lse: Tensor,
  tdout: Tensor,
  tqkv: Tensor,
  tout: Tensor,
  tlse: Tensor,
  heads: number,
  batch: number,
  options: AttentionOptions = {},
): Tensor {
  const op = "attentionRowsBackwardTangent";
  const [B, H, T, D] = checkRows(op, qkv, heads, batch);
  const opts = checkOptions(op, options);
  const rowsShape = [B * T, H * D];
  checkLike(op, "dout", dout, qkv, rowsShape);
  checkLike(op, "out", out, qkv, rowsShape);
  checkLike(op, "lse", lse, qkv, [B, H, T]);
  checkLike(op, "tdout", tdout, qkv, rowsShape);
  checkLike(op, "tqkv", tqkv, qkv);
  checkLike(op, "tout", tout, qkv, rowsShape);
  checkLike(op, "tlse", tlse, qkv, [B, H, T]);
  const tdqkv = Tensor.empty(qkv.shape); // every element written
  if (tdqkv.size > 0)
    K.pb_attention_rows_backward_tangent(
      dout.data,
      qkv.data,
      out.data,
      lse.data,
      tdout.data,
      tqkv.data,
      tout.data,
      tlse.data,
      tdqkv.data,
      B,
      H,
      T,
      D,
      opts.dropout,
      opts.seed,
      opts.offset,
    );
  return tdqkv;
});
