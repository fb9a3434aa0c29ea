// Forward rules of @pullback/tensor, keyed by export name like tensor_rules.ts: the differentiable
// ops (passes/known_ops.ts DIFFERENTIABLE_OPS), the backward kernels their pullbacks call, the
// forms that also return the statistics those kernels take (layerNormForward, attentionForward,
// …), and the helpers the rules use (sumToShape, gemm, Tensor.zeros/ones/full). A forward rule is
// `frule(args, tangents) → [y, ẏ]`; a null tangent is a zero of the argument's shape, and the
// tangents of non-differentiable arguments (indices, shapes, axes, options) are ignored.
//
// Every rule is written with ops of @pullback/tensor (never a loop over elements), so that it can
// itself be differentiated later (forward over reverse). A rule that is linear in its
// differentiable arguments is `linear(op, n)`: ẏ = op(ẋ…) — the op applied to the tangents. A
// backward kernel is linear in its cotangent argument: that part is the kernel applied to the
// cotangent's tangent, the rest is written from the math.
// Importing this module registers every rule with `defineFrule(fn, frule, "op")`.
import * as ops from "@pullback/tensor";
import { Tensor, type AttentionOptions } from "@pullback/tensor";
import { attentionDropoutFactors } from "@pullback/tensor/reference";
import { defineFrule, NoForwardRuleError, type Frule } from "./forward.ts";

type T = Tensor | null;

const isZero = (t: unknown): t is null | undefined => t === null || t === undefined;
const zerosLike = (x: Tensor): Tensor => Tensor.zeros(x.shape, x.dtype);
/** A tangent with null replaced by zeros in the structure of x (a Tensor, or an array of them). */
function orZeros(t: any, x: any): any {
  if (x instanceof Tensor) return isZero(t) ? zerosLike(x) : t;
  if (Array.isArray(x)) return x.map((xi, i) => orZeros(isZero(t) ? null : t[i], xi));
  return t ?? null;
}
/** Is every leaf of the tangent t null? */
function allZero(t: any): boolean {
  if (isZero(t)) return true;
  if (Array.isArray(t)) return t.every(allZero);
  return false;
}
/** a + b with null as zero. */
function plus(...ts: T[]): T {
  let out: T = null;
  for (const t of ts) if (!isZero(t)) out = out === null ? t : ops.add(out, t);
  return out;
}
/** t broadcast to `shape` (a zero added when the shapes differ). */
function broadcastTo(t: T, like: Tensor): T {
  if (t === null || t.shape.join() === like.shape.join()) return t;
  return ops.add(t, zerosLike(like));
}
/** Σ over the last axis, kept. */
const sumLast = (x: Tensor): Tensor => ops.sumAlong(x, x.ndim - 1, true);
/** Mean over the last axis, kept. */
const meanLast = (x: Tensor): Tensor => ops.divScalar(sumLast(x), x.shape[x.ndim - 1]);

function named(name: string, f: Frule): Frule {
  Object.defineProperty(f, "name", { value: `${name}_frule` });
  return f;
}

/**
 * The forward rule of an op linear in its first `n` arguments: ẏ = op(ẋ₀, …, ẋₙ₋₁, ...rest)
 * (null tangents as zeros; null when every tangent is).
 */
function linear(name: string, op: (...args: any[]) => any, n: number): Frule {
  const frule = named(name, (args, tangents) => {
    const y = op(...args);
    const ts = args.slice(0, n).map((_, i) => tangents[i]);
    if (ts.every(allZero)) return [y, null];
    return [y, op(...ts.map((t, i) => orZeros(t, args[i])), ...args.slice(n))];
  });
  linearRules.add(frule);
  return frule;
}
const linearRules = new Set<Frule>();

// ---- causal attention, from its definition (B, H, T, D heads as (B·H, T, D)) ---------------

interface Heads {
  /** p (BH, T, T): the masked softmax of s = scale·q·kᵀ; f: the dropout factors (null without dropout). */
  p: Tensor;
  f: Tensor | null;
  scale: number;
}

/** The causal mask (T, T): 0 on and below the diagonal, −∞ above. */
function causalMask(T: number, dtype: Tensor["dtype"]): Tensor {
  return Tensor.from(Array.from({ length: T * T }, (_, e) => (e % T <= Math.floor(e / T) ? 0 : -Infinity)), [T, T], dtype as "float32" | "float64");
}

const toBH = (x: Tensor): Tensor => ops.reshape(x, [x.shape[0] * x.shape[1], x.shape[2], x.shape[3]]);

/** The attention probabilities p of (B·H, T, D) q and k; `lse` (B·H, T) when given (attentionBackward's input) instead of p's own. */
function probabilities(q: Tensor, k: Tensor, options: AttentionOptions, lse?: Tensor): Heads {
  const [BH, T, D] = q.shape;
  const scale = 1 / Math.sqrt(D);
  const s = ops.add(ops.mulScalar(ops.bmm(q, k, { transB: true }), scale), causalMask(T, q.dtype));
  const p = lse ? ops.exp(ops.sub(s, ops.reshape(lse, [BH, T, 1]))) : ops.softmax(s);
  const dropout = options.dropout ?? 0;
  const f = dropout > 0 ? attentionDropoutFactors(BH, T, dropout, options.seed ?? 0, options.offset ?? 0, q.dtype as "float32" | "float64") : null;
  return { p, f, scale };
}
const drop = (x: Tensor, f: Tensor | null): Tensor => (f ? ops.mul(x, f) : x);

/** ṡ = scale·(q̇·kᵀ + q·k̇ᵀ) (zeros when both are null). */
function scoresTangent(q: Tensor, k: Tensor, tq: Tensor, tk: Tensor, scale: number): Tensor {
  return ops.mulScalar(ops.add(ops.bmm(tq, k, { transB: true }), ops.bmm(q, tk, { transB: true })), scale);
}

/**
 * The tangents of attention's out (B·H, T, D) and of its statistic lse (B·H, T, 1) for (B·H, T, D)
 * q, k, v and their tangents: lse = log Σ exp(s) has l̇se = Σ p·ṡ.
 */
function attentionTangent(q: Tensor, k: Tensor, v: Tensor, tq: Tensor, tk: Tensor, tv: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor } {
  const { p, f, scale } = probabilities(q, k, options);
  const ts = scoresTangent(q, k, tq, tk, scale);
  const tp = ops.softmaxBackward(p, ts); // softmax's Jacobian is symmetric
  return { out: ops.add(ops.bmm(drop(tp, f), v), ops.bmm(drop(p, f), tv)), lse: sumLast(ops.mul(p, ts)) };
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
  const tp = ops.mul(p, ops.sub(scoresTangent(a.q, a.k, t.q, t.k, scale), ops.reshape(t.lse, [BH, T, 1])));
  const delta = sumLast(ops.mul(a.dout, a.out)); // (BH, T, 1)
  const tdelta = sumLast(ops.add(ops.mul(t.dout, a.out), ops.mul(a.dout, t.out)));
  const dp = drop(ops.bmm(a.dout, a.v, { transB: true }), f);
  const tdp = drop(ops.add(ops.bmm(t.dout, a.v, { transB: true }), ops.bmm(a.dout, t.v, { transB: true })), f);
  const ds = ops.mul(p, ops.sub(dp, delta));
  const tds = ops.add(ops.mul(tp, ops.sub(dp, delta)), ops.mul(p, ops.sub(tdp, tdelta)));
  const dv = ops.add(ops.bmm(drop(tp, f), a.dout, { transA: true }), ops.bmm(drop(p, f), t.dout, { transA: true }));
  const dq = ops.mulScalar(ops.add(ops.bmm(tds, a.k), ops.bmm(ds, t.k)), scale);
  const dk = ops.mulScalar(ops.add(ops.bmm(tds, a.q, { transA: true }), ops.bmm(ds, t.q, { transA: true })), scale);
  return { dq, dk, dv };
}

/** qkv (B·T, 3C) → q, k, v as (B·H, T, D). */
function rowsToHeads(qkv: Tensor, H: number, B: number): [Tensor, Tensor, Tensor] {
  const [rows, cols] = qkv.shape;
  const T = rows / B, C = cols / 3, D = C / H;
  const split = ops.permute(ops.reshape(qkv, [B, T, 3, H, D]), [2, 0, 3, 1, 4]); // (3, B, H, T, D)
  const [q, kv] = ops.splitAt(split, 0, 1);
  const [k, v] = ops.splitAt(kv, 0, 1);
  return [q, k, v].map((x) => ops.reshape(x, [B * H, T, D])) as [Tensor, Tensor, Tensor];
}
/** (B·H, T, D) heads → rows (B·T, C). */
function headsToRows(x: Tensor, H: number, B: number): Tensor {
  const [, T, D] = x.shape;
  return ops.reshape(ops.permute(ops.reshape(x, [B, H, T, D]), [0, 2, 1, 3]), [B * T, H * D]);
}
/** (B·H, T, D) q, k, v → qkv rows (B·T, 3C). */
function headsToQkv(q: Tensor, k: Tensor, v: Tensor, H: number, B: number): Tensor {
  const [, T, D] = q.shape;
  const stacked = ops.concat([q, k, v].map((x) => ops.reshape(x, [1, B, H, T, D])), 0); // (3, B, H, T, D)
  return ops.reshape(ops.permute(stacked, [1, 3, 0, 2, 4]), [B * T, 3 * H * D]);
}

// ---- layer norm --------------------------------------------------------------------------

/** mean/rstd (one per row) shaped to broadcast against x (…, C). */
const perRow = (s: Tensor, x: Tensor): Tensor => ops.reshape(s, [...x.shape.slice(0, -1), 1]);
/** Σ over every axis but the last: (…, C) → (C). */
const sumRows = (x: Tensor): Tensor => ops.sumAlong(ops.reshape(x, [x.size / x.shape[x.ndim - 1], x.shape[x.ndim - 1]]), 0);

/** gelu''(x) for GPT-2's tanh gelu: (1 − t²)·(u' − x·t·u'² + 3ck·x²), t = tanh(c(x + kx³)), u' = c(1 + 3kx²). */
function geluSecond(x: Tensor): Tensor {
  const c = Math.sqrt(2 / Math.PI), k = 0.044715;
  const x2 = ops.square(x);
  const t = ops.tanh(ops.mulScalar(ops.add(x, ops.mulScalar(ops.mul(x2, x), k)), c));
  const sech2 = ops.addScalar(ops.mulScalar(ops.square(t), -1), 1);
  const du = ops.addScalar(ops.mulScalar(x2, 3 * c * k), c);
  return ops.mul(sech2, ops.add(ops.sub(du, ops.mul(ops.mul(x, t), ops.square(du))), ops.mulScalar(x2, 3 * c * k)));
}

/** The forward rule of every differentiable op, backward kernel and pullback helper, by export name. */
export const tensorFrules: Record<string, Frule> = {
  // ---- elementwise
  add: linear("add", ops.add, 2),
  sub: linear("sub", ops.sub, 2),
  mul: named("mul", ([a, b], [ta, tb]) => {
    const y = ops.mul(a, b);
    return [y, plus(isZero(ta) ? null : ops.mul(ta, b), isZero(tb) ? null : ops.mul(a, tb))];
  }),
  div: named("div", ([a, b], [ta, tb]) => {
    const y = ops.div(a, b);
    return [y, plus(isZero(ta) ? null : ops.div(ta, b), isZero(tb) ? null : ops.mulScalar(ops.mul(y, ops.div(tb, b)), -1))];
  }),
  addScalar: named("addScalar", ([x, s], [tx, ts]) => {
    const y = ops.addScalar(x, s);
    return [y, plus(isZero(tx) ? null : tx, isZero(ts) ? null : Tensor.full(y.shape, ts, y.dtype))];
  }),
  mulScalar: named("mulScalar", ([x, s], [tx, ts]) => [ops.mulScalar(x, s), plus(isZero(tx) ? null : ops.mulScalar(tx, s), isZero(ts) ? null : ops.mulScalar(x, ts))]),
  divScalar: named("divScalar", ([x, s], [tx, ts]) => {
    const y = ops.divScalar(x, s);
    return [y, plus(isZero(tx) ? null : ops.divScalar(tx, s), isZero(ts) ? null : ops.mulScalar(y, -ts / s))];
  }),
  // unary maps: a diagonal Jacobian, applied by the op's backward kernel
  exp: named("exp", ([x], [tx]) => {
    const y = ops.exp(x);
    return [y, isZero(tx) ? null : ops.expBackward(y, tx)];
  }),
  log: named("log", ([x], [tx]) => [ops.log(x), isZero(tx) ? null : ops.logBackward(x, tx)]),
  sqrt: named("sqrt", ([x], [tx]) => {
    const y = ops.sqrt(x);
    return [y, isZero(tx) ? null : ops.sqrtBackward(y, tx)];
  }),
  square: named("square", ([x], [tx]) => [ops.square(x), isZero(tx) ? null : ops.squareBackward(x, tx)]),
  tanh: named("tanh", ([x], [tx]) => {
    const y = ops.tanh(x);
    return [y, isZero(tx) ? null : ops.tanhBackward(y, tx)];
  }),
  gelu: named("gelu", ([x], [tx]) => [ops.gelu(x), isZero(tx) ? null : ops.geluBackward(x, tx)]),
  // ---- matrix products
  matmul: named("matmul", ([a, b, options], [ta, tb]) => [ops.matmul(a, b, options), plus(isZero(ta) ? null : ops.matmul(ta, b), isZero(tb) ? null : ops.matmul(a, tb))]),
  bmm: named("bmm", ([a, b, options], [ta, tb]) => [ops.bmm(a, b, options), plus(isZero(ta) ? null : ops.bmm(ta, b, options), isZero(tb) ? null : ops.bmm(a, tb, options))]),
  linear: named("linear", ([x, w, b], [tx, tw, tb]) => {
    const y = ops.linear(x, w, b);
    return [y, broadcastTo(plus(isZero(tx) ? null : ops.matmul(tx, w), isZero(tw) ? null : ops.matmul(x, tw), isZero(tb) ? null : tb), y)];
  }),
  gemm: named("gemm", ([a, b, options = {}], [ta, tb]) => {
    const { transA = false, transB = false, alpha = 1 } = options;
    const y = ops.gemm(a, b, options);
    return [y, plus(isZero(ta) ? null : ops.gemm(ta, b, { transA, transB, alpha }), isZero(tb) ? null : ops.gemm(a, tb, { transA, transB, alpha }))];
  }),
  // ---- neural-network ops
  softmax: named("softmax", ([x], [tx]) => {
    const y = ops.softmax(x);
    return [y, isZero(tx) ? null : ops.softmaxBackward(y, tx)]; // a symmetric Jacobian
  }),
  logSoftmax: named("logSoftmax", ([x], [tx]) => {
    const y = ops.logSoftmax(x);
    return [y, isZero(tx) ? null : ops.sub(tx, sumLast(ops.mul(ops.exp(y), tx)))];
  }),
  layerNorm: named("layerNorm", ([x, w, b, eps], [tx, tw, tb]) => {
    const { y, mean, rstd } = ops.layerNormForward(x, w, b, eps);
    const xhat = ops.mul(ops.sub(x, perRow(mean, x)), perRow(rstd, x));
    // x̂'s Jacobian is symmetric: its tangent is layerNormBackward's dx with w = 1.
    const txhat = isZero(tx) ? null : ops.layerNormBackward(tx, x, Tensor.ones(w.shape, w.dtype), mean, rstd).dx;
    return [y, broadcastTo(plus(txhat && ops.mul(txhat, w), isZero(tw) ? null : ops.mul(xhat, tw), isZero(tb) ? null : tb), y)];
  }),
  crossEntropy: named("crossEntropy", ([logits, targets, options], [tl]) => {
    const loss = ops.crossEntropy(logits, targets, options);
    if (isZero(tl)) return [loss, null];
    const { lse } = ops.crossEntropyForward(logits, targets);
    return [loss, ops.sum(ops.mul(ops.crossEntropyBackward(logits, targets, lse, 1), tl))];
  }),
  linearCrossEntropy: named("linearCrossEntropy", ([x, w, targets, options], [tx, tw]) => {
    if (isZero(tx) && isZero(tw)) return [ops.linearCrossEntropy(x, w, targets, options), null];
    const { loss, dx, dw } = ops.linearCrossEntropyForward(x, w, targets, options);
    return [loss, (isZero(tx) ? 0 : ops.sum(ops.mul(dx, tx))) + (isZero(tw) ? 0 : ops.sum(ops.mul(dw, tw)))];
  }),
  attention: named("attention", ([q, k, v, options = {}], [tq, tk, tv]) => {
    const y = ops.attention(q, k, v, options);
    if (isZero(tq) && isZero(tk) && isZero(tv)) return [y, null];
    const t = attentionTangent(toBH(q), toBH(k), toBH(v), toBH(orZeros(tq, q)), toBH(orZeros(tk, k)), toBH(orZeros(tv, v)), options);
    return [y, ops.reshape(t.out, q.shape)];
  }),
  attentionRows: named("attentionRows", ([qkv, heads, batch, options = {}], [tqkv]) => {
    const y = ops.attentionRows(qkv, heads, batch, options);
    if (isZero(tqkv)) return [y, null];
    const [q, k, v] = rowsToHeads(qkv, heads, batch);
    const [tq, tk, tv] = rowsToHeads(tqkv, heads, batch);
    return [y, headsToRows(attentionTangent(q, k, v, tq, tk, tv, options).out, heads, batch)];
  }),
  dropout: linear("dropout", ops.dropout, 1),
  addDropout: linear("addDropout", ops.addDropout, 2),
  take: linear("take", ops.take, 1),
  pick: linear("pick", ops.pick, 1),
  // ---- reductions
  sum: linear("sum", ops.sum, 1),
  sumAlong: linear("sumAlong", ops.sumAlong, 1),
  maxAlong: named("maxAlong", ([x, axis, keepDims], [tx]) => {
    const { values, indices } = ops.maxAlongForward(x, axis, keepDims);
    if (isZero(tx)) return [values, null];
    // the tangent at the argmax: a one-hot mask (maxAlongBackward of ones) picks it
    const mask = ops.maxAlongBackward(Tensor.ones(values.shape, x.dtype), indices, x.shape, axis);
    return [values, ops.sumAlong(ops.mul(mask, tx), axis, keepDims)];
  }),
  // ---- data movement
  reshape: linear("reshape", ops.reshape, 1),
  permute: linear("permute", ops.permute, 1),
  swapAxes: linear("swapAxes", ops.swapAxes, 1),
  splitAt: linear("splitAt", ops.splitAt, 1),
  concat: linear("concat", ops.concat, 1),

  // ---- backward kernels: linear in the cotangent (the kernel applied to its tangent), plus the rest
  expBackward: named("expBackward", ([y, dy], [ty, tdy]) => [ops.expBackward(y, dy), plus(isZero(tdy) ? null : ops.expBackward(y, tdy), isZero(ty) ? null : ops.mul(ty, dy))]),
  logBackward: named("logBackward", ([x, dy], [tx, tdy]) => [
    ops.logBackward(x, dy),
    plus(isZero(tdy) ? null : ops.logBackward(x, tdy), isZero(tx) ? null : ops.mulScalar(ops.div(ops.mul(dy, tx), ops.square(x)), -1)),
  ]),
  sqrtBackward: named("sqrtBackward", ([y, dy], [ty, tdy]) => [
    ops.sqrtBackward(y, dy),
    plus(isZero(tdy) ? null : ops.sqrtBackward(y, tdy), isZero(ty) ? null : ops.mulScalar(ops.div(ops.mul(dy, ty), ops.square(y)), -0.5)),
  ]),
  squareBackward: named("squareBackward", ([x, dy], [tx, tdy]) => [ops.squareBackward(x, dy), plus(isZero(tdy) ? null : ops.squareBackward(x, tdy), isZero(tx) ? null : ops.squareBackward(tx, dy))]),
  tanhBackward: named("tanhBackward", ([y, dy], [ty, tdy]) => [
    ops.tanhBackward(y, dy),
    plus(isZero(tdy) ? null : ops.tanhBackward(y, tdy), isZero(ty) ? null : ops.mulScalar(ops.mul(ops.mul(y, ty), dy), -2)),
  ]),
  geluBackward: named("geluBackward", ([x, dy], [tx, tdy]) => [
    ops.geluBackward(x, dy),
    plus(isZero(tdy) ? null : ops.geluBackward(x, tdy), isZero(tx) ? null : ops.mul(ops.mul(dy, geluSecond(x)), tx)),
  ]),
  softmaxBackward: named("softmaxBackward", ([y, dy], [ty, tdy]) => {
    // dx = y·(dy − Σ y·dy): + ẏ·(dy − Σ y·dy) − y·Σ ẏ·dy
    const rest = isZero(ty) ? null : ops.sub(ops.mul(ty, ops.sub(dy, sumLast(ops.mul(y, dy)))), ops.mul(y, sumLast(ops.mul(ty, dy))));
    return [ops.softmaxBackward(y, dy), plus(isZero(tdy) ? null : ops.softmaxBackward(y, tdy), rest)];
  }),
  logSoftmaxBackward: named("logSoftmaxBackward", ([y, dy], [ty, tdy]) => {
    // dx = dy − exp(y)·Σ dy: + −exp(y)·ẏ·Σ dy
    const rest = isZero(ty) ? null : ops.mulScalar(ops.mul(ops.mul(ops.exp(y), ty), sumLast(dy)), -1);
    return [ops.logSoftmaxBackward(y, dy), plus(isZero(tdy) ? null : ops.logSoftmaxBackward(y, tdy), rest)];
  }),
  layerNormBackward: named("layerNormBackward", ([dy, x, w, mean, rstd], [tdy0, tx0, tw0, tmean0, trstd0]) => {
    const out = ops.layerNormBackward(dy, x, w, mean, rstd);
    if ([tdy0, tx0, tw0, tmean0, trstd0].every(isZero)) return [out, null];
    const [tdy, tx, tw, tmean, trstd] = [orZeros(tdy0, dy), orZeros(tx0, x), orZeros(tw0, w), orZeros(tmean0, mean), orZeros(trstd0, rstd)];
    const m = perRow(mean, x), r = perRow(rstd, x), tm = perRow(tmean, x), tr = perRow(trstd, x);
    const centered = ops.sub(x, m);
    const xhat = ops.mul(centered, r);
    const txhat = ops.add(ops.mul(ops.sub(tx, tm), r), ops.mul(centered, tr));
    const g = ops.mul(dy, w);
    const tg = ops.add(ops.mul(tdy, w), ops.mul(dy, tw));
    const a = meanLast(ops.mul(g, xhat));
    const ta = meanLast(ops.add(ops.mul(tg, xhat), ops.mul(g, txhat)));
    const inner = ops.sub(ops.sub(g, meanLast(g)), ops.mul(xhat, a));
    const tinner = ops.sub(ops.sub(ops.sub(tg, meanLast(tg)), ops.mul(txhat, a)), ops.mul(xhat, ta));
    return [out, {
      dx: ops.add(ops.mul(tr, inner), ops.mul(r, tinner)),
      dw: sumRows(ops.add(ops.mul(tdy, xhat), ops.mul(dy, txhat))),
      db: sumRows(tdy),
    }];
  }),
  crossEntropyBackward: named("crossEntropyBackward", ([logits, targets, lse, dloss, options], [tl, , tlse, tdloss]) => {
    const y = ops.crossEntropyBackward(logits, targets, lse, dloss, options);
    // y = (p − onehot)·dloss/N, p = exp(logits − lse): + p·(l̇ − l̇se)·dloss/N
    const n = logits.shape[0];
    const p = ops.exp(ops.sub(logits, ops.reshape(lse, [n, 1])));
    const tp = isZero(tl) && isZero(tlse) ? null : ops.mul(p, ops.sub(orZeros(tl, logits), ops.reshape(orZeros(tlse, lse), [n, 1])));
    return [y, plus(isZero(tdloss) ? null : ops.crossEntropyBackward(logits, targets, lse, tdloss), tp && ops.mulScalar(tp, dloss / n))];
  }),
  attentionBackward: named("attentionBackward", ([dout, q, k, v, out, lse, options = {}], tangents) => {
    const y = ops.attentionBackward(dout, q, k, v, out, lse, options);
    const args = [dout, q, k, v, out, lse];
    if (args.every((_, i) => isZero(tangents[i]))) return [y, null];
    const [B, H, T, D] = q.shape;
    const bh = (x: Tensor) => (x.ndim === 4 ? toBH(x) : ops.reshape(x, [B * H, T]));
    const a = args.map(bh);
    const t = args.map((x, i) => bh(orZeros(tangents[i], x)));
    const d = attentionBackwardTangent(
      { dout: a[0], q: a[1], k: a[2], v: a[3], out: a[4], lse: a[5] },
      { dout: t[0], q: t[1], k: t[2], v: t[3], out: t[4], lse: t[5] },
      options,
    );
    const back = (x: Tensor) => ops.reshape(x, [B, H, T, D]);
    return [y, { dq: back(d.dq), dk: back(d.dk), dv: back(d.dv) }];
  }),
  attentionRowsBackward: named("attentionRowsBackward", ([dout, qkv, out, lse, heads, batch, options = {}, keep], tangents) => {
    const y = ops.attentionRowsBackward(dout, qkv, out, lse, heads, batch, options, keep);
    if ([0, 1, 2, 3].every((i) => isZero(tangents[i]))) return [y, null];
    const [tdout, tqkv, tout, tlse] = [orZeros(tangents[0], dout), orZeros(tangents[1], qkv), orZeros(tangents[2], out), orZeros(tangents[3], lse)];
    const [q, k, v] = rowsToHeads(qkv, heads, batch);
    const [tq, tk, tv] = rowsToHeads(tqkv, heads, batch);
    const heads3 = (x: Tensor) => ops.reshape(ops.permute(ops.reshape(x, [batch, x.shape[0] / batch, heads, x.shape[1] / heads]), [0, 2, 1, 3]), [batch * heads, x.shape[0] / batch, x.shape[1] / heads]);
    const BH = batch * heads;
    const d = attentionBackwardTangent(
      { dout: heads3(dout), q, k, v, out: heads3(out), lse: ops.reshape(lse, [BH, lse.size / BH]) },
      { dout: heads3(tdout), q: tq, k: tk, v: tv, out: heads3(tout), lse: ops.reshape(tlse, [BH, lse.size / BH]) },
      options,
    );
    return [y, headsToQkv(d.dq, d.dk, d.dv, heads, batch)];
  }),
  dropoutBackward: linear("dropoutBackward", ops.dropoutBackward, 1),
  takeBackward: linear("takeBackward", ops.takeBackward, 1),
  pickBackward: linear("pickBackward", ops.pickBackward, 1),
  maxAlongBackward: linear("maxAlongBackward", ops.maxAlongBackward, 1),

  // ---- the forms that also return what the backward kernels take (the rules call them)
  maxAlongForward: named("maxAlongForward", ([x, axis, keepDims], [tx]) => {
    const out = ops.maxAlongForward(x, axis, keepDims);
    return [out, isZero(tx) ? null : { values: tensorFrules.maxAlong([x, axis, keepDims], [tx])[1], indices: null }];
  }),
  layerNormForward: named("layerNormForward", ([x, w, b, eps], [tx, tw, tb]) => {
    const out = ops.layerNormForward(x, w, b, eps);
    if (isZero(tx) && isZero(tw) && isZero(tb)) return [out, null];
    const y = tensorFrules.layerNorm([x, w, b, eps], [tx, tw, tb])[1];
    if (isZero(tx)) return [out, { y, mean: null, rstd: null }];
    // mean = mean(x), rstd = (var + eps)^-½ with var = mean((x − mean)²): ṙstd = −rstd³·mean((x − mean)·ẋ)
    const centered = ops.sub(x, perRow(out.mean, x));
    const r = perRow(out.rstd, x);
    const trstd = ops.mulScalar(ops.mul(ops.mul(ops.square(r), r), meanLast(ops.mul(centered, tx))), -1);
    return [out, { y, mean: ops.reshape(meanLast(tx), out.mean.shape), rstd: ops.reshape(trstd, out.rstd.shape) }];
  }),
  crossEntropyForward: named("crossEntropyForward", ([logits, targets], [tl]) => {
    const out = ops.crossEntropyForward(logits, targets);
    if (isZero(tl)) return [out, null];
    // lse = log Σ exp(l): l̇se = Σ p·l̇; losses = lse − l[target]
    const n = logits.shape[0];
    const p = ops.exp(ops.sub(logits, ops.reshape(out.lse, [n, 1])));
    const lse = ops.sumAlong(ops.mul(p, tl), 1);
    const losses = ops.sub(lse, ops.pick(tl, Int32Array.from({ length: n }, (_, i) => i), targets));
    return [out, { loss: ops.sum(losses) / n, losses, lse }];
  }),
  linearCrossEntropyForward: named("linearCrossEntropyForward", ([x, w, targets, options], [tx, tw]) => {
    const out = ops.linearCrossEntropyForward(x, w, targets, options);
    if (isZero(tx) && isZero(tw)) return [out, null];
    // with z = x·w, p = softmax(z), G = (p − onehot)/N: dx = G·wᵀ, dw = xᵀ·G, losses = lse(z) − z[target]
    const n = x.shape[0];
    const p = ops.softmax(ops.matmul(x, w));
    const tz = plus(isZero(tx) ? null : ops.matmul(tx, w), isZero(tw) ? null : ops.matmul(x, tw))!;
    const losses = ops.sub(ops.sumAlong(ops.mul(p, tz), 1), ops.pick(tz, Int32Array.from({ length: n }, (_, i) => i), targets));
    const g = ops.divScalar(ops.sub(p, ops.pickBackward(Tensor.ones([n], x.dtype), Int32Array.from({ length: n }, (_, i) => i), targets, p.shape)), n);
    const tg = ops.divScalar(ops.softmaxBackward(p, tz), n);
    const dx = plus(ops.gemm(tg, w, { transB: true }), isZero(tw) ? null : ops.gemm(g, tw, { transB: true }));
    const dw = plus(ops.gemm(x, tg, { transA: true }), isZero(tx) ? null : ops.gemm(tx, g, { transA: true }));
    return [out, { loss: ops.sum(losses) / n, losses, dx, dw }];
  }),
  attentionForward: named("attentionForward", ([q, k, v, options = {}], [tq, tk, tv]) => {
    const out = ops.attentionForward(q, k, v, options);
    if (isZero(tq) && isZero(tk) && isZero(tv)) return [out, null];
    const t = attentionTangent(toBH(q), toBH(k), toBH(v), toBH(orZeros(tq, q)), toBH(orZeros(tk, k)), toBH(orZeros(tv, v)), options);
    return [out, { out: ops.reshape(t.out, q.shape), lse: ops.reshape(t.lse, out.lse.shape) }];
  }),
  attentionRowsForward: named("attentionRowsForward", ([qkv, heads, batch, options = {}], [tqkv]) => {
    const out = ops.attentionRowsForward(qkv, heads, batch, options);
    if (isZero(tqkv)) return [out, null];
    const [q, k, v] = rowsToHeads(qkv, heads, batch);
    const [tq, tk, tv] = rowsToHeads(tqkv, heads, batch);
    const t = attentionTangent(q, k, v, tq, tk, tv, options);
    return [out, { out: headsToRows(t.out, heads, batch), lse: ops.reshape(t.lse, out.lse.shape), keep: null }];
  }),

  // ---- helpers the pullbacks call
  sumToShape: linear("sumToShape", ops.sumToShape, 1),
  "Tensor.zeros": named("Tensor.zeros", (args) => [Tensor.zeros(...(args as [any, any])), null]),
  "Tensor.ones": named("Tensor.ones", (args) => [Tensor.ones(...(args as [any, any])), null]),
  "Tensor.full": named("Tensor.full", ([shape, value, dtype], [, tvalue]) => {
    const y = Tensor.full(shape, value, dtype);
    return [y, isZero(tvalue) ? null : Tensor.full(shape, tvalue, dtype)];
  }),
};

/** The functions the rules of tensorFrules belong to (`Tensor.zeros` for "Tensor.zeros"). */
export function tensorFruleTarget(name: string): Function {
  const f = name.startsWith("Tensor.") ? (Tensor as unknown as Record<string, unknown>)[name.slice(7)] : (ops as Record<string, unknown>)[name];
  if (typeof f !== "function") throw new Error(`tensor_frules: @pullback/tensor has no function ${name}`);
  return f;
}

/** Names of the rules that come from linearity alone (`linear`). */
export const linearFrules: ReadonlySet<string> = new Set(Object.entries(tensorFrules).filter(([, f]) => linearRules.has(f)).map(([n]) => n));

for (const name of Object.keys(tensorFrules)) defineFrule(tensorFruleTarget(name), tensorFrules[name], "op");

/** The forward rule of the op `name` of @pullback/tensor for a call at `site` (generated code). */
export function fopOf(name: string, site: string): Frule {
  const r = tensorFrules[name];
  if (r) return r;
  throw new NoForwardRuleError(`\`${name}\` of @pullback/tensor`, site, "the op has a reverse rule but no forward rule (packages/ad/src/runtime/tensor_frules.ts).");
}
