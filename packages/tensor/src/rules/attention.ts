// Rules of fused causal attention: the forward saves the log-sum-exp of the scores (lse) for the
// fused backward kernel. The forward rules are written from attention's definition on (B·H, T, D)
// heads — s = scale·q·kᵀ + causal mask, p = softmax(s) (dropout factors applied), out = p·v — with
// the dropout factors from the reference implementation.
import {
  attention as attentionOp,
  attentionDropoutFactors,
  attentionBackward,
  attentionForward,
  attentionRows as attentionRowsOp,
  attentionRowsBackward,
  attentionRowsBackwardTangent,
  attentionRowsForward,
  attentionRowsForwardTangent,
  type AttentionOptions,
} from "../ops/attention.ts";
import { add, exp, mul, mulScalar, sub } from "../ops/elementwise.ts";
import { bmm } from "../ops/matmul.ts";
import { concat, permute, reshape, splitAt } from "../ops/shape.ts";
import { softmax, softmaxBackward } from "../ops/softmax.ts";
import { useNative } from "../backend.ts";
import { Tensor } from "../tensor.ts";
import { defineKernel, defineOp } from "./define.ts";
import { isZero, orZeros, sumLast } from "./tangents.ts";

interface Heads {
  /** p (BH, T, T): the masked softmax of s = scale·q·kᵀ; f: the dropout factors (null without dropout). */
  p: Tensor;
  f: Tensor | null;
  scale: number;
}

/** The causal mask (T, T): 0 on and below the diagonal, −∞ above. */
function causalMask(T: number, dtype: Tensor["dtype"]): Tensor {
  return Tensor.from(
    Array.from({ length: T * T }, (_, e) => (e % T <= Math.floor(e / T) ? 0 : -Infinity)),
    [T, T],
    dtype as "float32" | "float64",
  );
}

const toBH = (x: Tensor): Tensor => reshape(x, [x.shape[0] * x.shape[1], x.shape[2], x.shape[3]]);

/** The attention probabilities p of (B·H, T, D) q and k; `lse` (B·H, T) when given (attentionBackward's input) instead of p's own. */
function probabilities(q: Tensor, k: Tensor, options: AttentionOptions, lse?: Tensor): Heads {
  const [BH, T, D] = q.shape;
  const scale = 1 / Math.sqrt(D);
  const s = add(mulScalar(bmm(q, k, { transB: true }), scale), causalMask(T, q.dtype));
  const p = lse ? exp(sub(s, reshape(lse, [BH, T, 1]))) : softmax(s);
  const dropout = options.dropout ?? 0;
  const f = dropout > 0 ? attentionDropoutFactors(BH, T, options, q.dtype as "float32" | "float64") : null;
  return { p, f, scale };
}
const drop = (x: Tensor, f: Tensor | null): Tensor => (f ? mul(x, f) : x);

/** ṡ = scale·(q̇·kᵀ + q·k̇ᵀ). */
function scoresTangent(q: Tensor, k: Tensor, tq: Tensor, tk: Tensor, scale: number): Tensor {
  return mulScalar(add(bmm(tq, k, { transB: true }), bmm(q, tk, { transB: true })), scale);
}

/**
 * The tangents of attention's out (B·H, T, D) and of its statistic lse (B·H, T, 1) for (B·H, T, D)
 * q, k, v and their tangents: lse = log Σ exp(s) has l̇se = Σ p·ṡ.
 */
function attentionTangent(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  tq: Tensor,
  tk: Tensor,
  tv: Tensor,
  options: AttentionOptions,
): { out: Tensor; lse: Tensor } {
  const { p, f, scale } = probabilities(q, k, options);
  const ts = scoresTangent(q, k, tq, tk, scale);
  const tp = softmaxBackward(p, ts); // softmax's Jacobian is symmetric
  return { out: add(bmm(drop(tp, f), v), bmm(drop(p, f), tv)), lse: sumLast(mul(p, ts)) };
}

/** attentionBackward's (dq, dk, dv) tangents, on (B·H, T, D) operands, lse (B·H, T). */
function attentionBackwardTangent(
  a: { dout: Tensor; q: Tensor; k: Tensor; v: Tensor; out: Tensor; lse: Tensor },
  t: { dout: Tensor; q: Tensor; k: Tensor; v: Tensor; out: Tensor; lse: Tensor },
  options: AttentionOptions,
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const [BH, T] = a.q.shape;
  const { p, f, scale } = probabilities(a.q, a.k, options, a.lse);
  // p = exp(s − lse): ṗ = p·(ṡ − l̇se)
  const tp = mul(p, sub(scoresTangent(a.q, a.k, t.q, t.k, scale), reshape(t.lse, [BH, T, 1])));
  const delta = sumLast(mul(a.dout, a.out)); // (BH, T, 1)
  const tdelta = sumLast(add(mul(t.dout, a.out), mul(a.dout, t.out)));
  const dp = drop(bmm(a.dout, a.v, { transB: true }), f);
  const tdp = drop(add(bmm(t.dout, a.v, { transB: true }), bmm(a.dout, t.v, { transB: true })), f);
  const ds = mul(p, sub(dp, delta));
  const tds = add(mul(tp, sub(dp, delta)), mul(p, sub(tdp, tdelta)));
  const dv = add(bmm(drop(tp, f), a.dout, { transA: true }), bmm(drop(p, f), t.dout, { transA: true }));
  const dq = mulScalar(add(bmm(tds, a.k), bmm(ds, t.k)), scale);
  const dk = mulScalar(add(bmm(tds, a.q, { transA: true }), bmm(ds, t.q, { transA: true })), scale);
  return { dq, dk, dv };
}

/** qkv (B·T, 3C) → q, k, v as (B·H, T, D). */
function rowsToHeads(qkv: Tensor, H: number, B: number): [Tensor, Tensor, Tensor] {
  const [rows, cols] = qkv.shape;
  const T = rows / B,
    C = cols / 3,
    D = C / H;
  const split = permute(reshape(qkv, [B, T, 3, H, D]), [2, 0, 3, 1, 4]); // (3, B, H, T, D)
  const [q, kv] = splitAt(split, 0, 1);
  const [k, v] = splitAt(kv, 0, 1);
  return [q, k, v].map((x) => reshape(x, [B * H, T, D])) as [Tensor, Tensor, Tensor];
}
/** (B·H, T, D) heads → rows (B·T, C). */
function headsToRows(x: Tensor, H: number, B: number): Tensor {
  const [, T, D] = x.shape;
  return reshape(permute(reshape(x, [B, H, T, D]), [0, 2, 1, 3]), [B * T, H * D]);
}
/** (B·H, T, D) q, k, v → qkv rows (B·T, 3C). */
function headsToQkv(q: Tensor, k: Tensor, v: Tensor, H: number, B: number): Tensor {
  const [, T, D] = q.shape;
  const stacked = concat(
    [q, k, v].map((x) => reshape(x, [1, B, H, T, D])),
    0,
  ); // (3, B, H, T, D)
  return reshape(permute(stacked, [1, 3, 0, 2, 4]), [B * T, 3 * H * D]);
}

/**
 * The tangent of attentionRowsForward's { out (B·T, C), lse (B, H, T) } along tqkv: the kernel in
 * float32, ops composed from the definition otherwise (the reference the kernel is tested against).
 */
function rowsForwardTangent(
  qkv: Tensor,
  tqkv: Tensor,
  lse: Tensor,
  heads: number,
  batch: number,
  options: AttentionOptions,
): { out: Tensor; lse: Tensor } {
  if (useNative(qkv, tqkv)) return attentionRowsForwardTangent(qkv, tqkv, lse, heads, batch, options);
  const [q, k, v] = rowsToHeads(qkv, heads, batch);
  const [tq, tk, tv] = rowsToHeads(tqkv, heads, batch);
  const t = attentionTangent(q, k, v, tq, tk, tv, options);
  return { out: headsToRows(t.out, heads, batch), lse: reshape(t.lse, lse.shape) };
}

/** No tangent for any of the first n arguments (a missing one is null). */
const noTangent = (tangents: unknown[], n: number): boolean => tangents.slice(0, n).every(isZero);

/** attention's and attentionForward's tangents (out, lse) from q, k, v (B, H, T, D). */
function attentionHeadsTangent(q: Tensor, k: Tensor, v: Tensor, tq: unknown, tk: unknown, tv: unknown, options: AttentionOptions) {
  return attentionTangent(toBH(q), toBH(k), toBH(v), toBH(orZeros(tq, q)), toBH(orZeros(tk, k)), toBH(orZeros(tv, v)), options);
}

/** Fused causal multi-head attention over q, k, v (B, H, T, D). */
export const attention = defineOp({
  op: attentionOp,
  differentiable: 3,
  rule: (q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}) => {
    const { out, lse } = attentionForward(q, k, v, options);
    return [
      out,
      (dout: Tensor) => {
        const { dq, dk, dv } = attentionBackward(dout, q, k, v, out, lse, options);
        return [dq, dk, dv];
      },
    ];
  },
  frule: ([q, k, v, options = {}], [tq, tk, tv]) => {
    const y = attentionOp(q, k, v, options);
    if (noTangent([tq, tk, tv], 3)) return [y, null];
    return [y, reshape(attentionHeadsTangent(q, k, v, tq, tk, tv, options).out, q.shape)];
  },
  forward: defineKernel({
    op: attentionForward,
    frule: ([q, k, v, options = {}], [tq, tk, tv]) => {
      const out = attentionForward(q, k, v, options);
      if (noTangent([tq, tk, tv], 3)) return [out, null];
      const t = attentionHeadsTangent(q, k, v, tq, tk, tv, options);
      return [out, { out: reshape(t.out, q.shape), lse: reshape(t.lse, out.lse.shape) }];
    },
  }),
  kernels: [
    defineKernel({
      op: attentionBackward,
      frule: ([dout, q, k, v, out, lse, options = {}], tangents) => {
        const y = attentionBackward(dout, q, k, v, out, lse, options);
        if (noTangent(tangents, 6)) return [y, null];
        const args = [dout, q, k, v, out, lse];
        const [B, H, T, D] = q.shape;
        const bh = (x: Tensor) => (x.ndim === 4 ? toBH(x) : reshape(x, [B * H, T]));
        const a = args.map(bh);
        const t = args.map((x, i) => bh(orZeros(tangents[i], x)));
        const d = attentionBackwardTangent(
          { dout: a[0], q: a[1], k: a[2], v: a[3], out: a[4], lse: a[5] },
          { dout: t[0], q: t[1], k: t[2], v: t[3], out: t[4], lse: t[5] },
          options,
        );
        const back = (x: Tensor) => reshape(x, [B, H, T, D]);
        return [y, { dq: back(d.dq), dk: back(d.dk), dv: back(d.dv) }];
      },
    }),
  ],
});

/**
 * Fused causal attention over the `heads` heads in the projection rows qkv (B·T, 3C) of `batch`
 * sequences → out (B·T, C); the pullback gives dqkv (B·T, 3C) in the same layout.
 */
export const attentionRows = defineOp({
  op: attentionRowsOp,
  differentiable: 1,
  rule: (qkv: Tensor, heads: number, batch: number, options: AttentionOptions = {}) => {
    const { out, lse, keep } = attentionRowsForward(qkv, heads, batch, options);
    return [out, (dout: Tensor) => [attentionRowsBackward(dout, qkv, out, lse, heads, batch, options, keep)]];
  },
  frule: ([qkv, heads, batch, options = {}], [tqkv]) => {
    if (isZero(tqkv)) return [attentionRowsOp(qkv, heads, batch, options), null];
    const { out, lse } = attentionRowsForward(qkv, heads, batch, options);
    return [out, rowsForwardTangent(qkv, tqkv, lse, heads, batch, options).out];
  },
  forward: defineKernel({
    op: attentionRowsForward,
    frule: ([qkv, heads, batch, options = {}], [tqkv]) => {
      const out = attentionRowsForward(qkv, heads, batch, options);
      if (isZero(tqkv)) return [out, null];
      return [out, { ...rowsForwardTangent(qkv, tqkv, out.lse, heads, batch, options), keep: null }];
    },
  }),
  kernels: [
    defineKernel({
      op: attentionRowsBackward,
      frule: ([dout, qkv, out, lse, heads, batch, options = {}, keep], tangents) => {
        const y = attentionRowsBackward(dout, qkv, out, lse, heads, batch, options, keep);
        if (noTangent(tangents, 4)) return [y, null];
        const [tdout, tqkv, tout, tlse] = [
          orZeros(tangents[0], dout),
          orZeros(tangents[1], qkv),
          orZeros(tangents[2], out),
          orZeros(tangents[3], lse),
        ];
        if (useNative(qkv, tqkv)) return [y, attentionRowsBackwardTangent(dout, qkv, out, lse, tdout, tqkv, tout, tlse, heads, batch, options)];
        const [q, k, v] = rowsToHeads(qkv, heads, batch);
        const [tq, tk, tv] = rowsToHeads(tqkv, heads, batch);
        const heads3 = (x: Tensor) =>
          reshape(permute(reshape(x, [batch, x.shape[0] / batch, heads, x.shape[1] / heads]), [0, 2, 1, 3]), [
            batch * heads,
            x.shape[0] / batch,
            x.shape[1] / heads,
          ]);
        const BH = batch * heads;
        const d = attentionBackwardTangent(
          { dout: heads3(dout), q, k, v, out: heads3(out), lse: reshape(lse, [BH, lse.size / BH]) },
          { dout: heads3(tdout), q: tq, k: tk, v: tv, out: heads3(tout), lse: reshape(tlse, [BH, lse.size / BH]) },
          options,
        );
        return [y, headsToQkv(d.dq, d.dk, d.dv, heads, batch)];
      },
    }),
  ],
});
