// Rules of the neural-network ops: each forward saves what its fused backward kernel needs
// (softmax output, LayerNorm mean/rstd, cross-entropy log-sum-exp) and nothing more; attention is
// in attention.ts. The forward rules of the statistics forms (layerNormForward, …) give the
// tangents of the statistics too; those of the backward kernels are the kernel applied to the
// cotangent's tangent (they are linear in it) plus the rest, written from the math.
import { crossEntropy as crossEntropyOp, crossEntropyBackward, crossEntropyForward } from "../ops/cross_entropy.ts";
import { addDropout as addDropoutOp, dropout as dropoutOp, dropoutBackward } from "../ops/dropout.ts";
import { add, divScalar, exp, mul, mulScalar, square, sub } from "../ops/elementwise.ts";
import { pick as pickOp, pickBackward, take as takeOp, takeBackward } from "../ops/embedding.ts";
import { layerNorm as layerNormOp, layerNormBackward, layerNormBackwardTangent, layerNormForward } from "../ops/layernorm.ts";
import {
  linearCrossEntropy as linearCrossEntropyOp,
  linearCrossEntropyForward,
  type LinearCrossEntropyOptions,
} from "../ops/linear_cross_entropy.ts";
import { gemm, matmul } from "../ops/matmul.ts";
import { sum, sumAlong } from "../ops/reduce.ts";
import { reshape } from "../ops/shape.ts";
import { logSoftmax as logSoftmaxOp, logSoftmaxBackward, softmax as softmaxOp, softmaxBackward } from "../ops/softmax.ts";
import { Tensor } from "../tensor.ts";
import { defineKernel, defineOp } from "./define.ts";
import { broadcastTo, isZero, meanLast, orZeros, plus, sumLast } from "./tangents.ts";
import type { Frule } from "./types.ts";

type Indices = Int32Array | readonly number[];

/** 0, 1, …, n − 1 (the rows of a pick). */
const rowsOf = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/** y = softmax(x) along the last axis. ∂x = y ⊙ (dy − Σ dy ⊙ y). */
export const softmax = defineOp({
  op: softmaxOp,
  differentiable: 1,
  rule: (x: Tensor) => {
    const y = softmaxOp(x);
    return [y, (dy: Tensor) => [softmaxBackward(y, dy)]];
  },
  frule: ([x], [tx]) => {
    const y = softmaxOp(x);
    return [y, isZero(tx) ? null : softmaxBackward(y, tx)]; // a symmetric Jacobian
  },
  kernels: [
    defineKernel({
      op: softmaxBackward,
      frule: ([y, dy], [ty, tdy]) => {
        // dx = y·(dy − Σ y·dy): + ẏ·(dy − Σ y·dy) − y·Σ ẏ·dy
        const rest = isZero(ty) ? null : sub(mul(ty, sub(dy, sumLast(mul(y, dy)))), mul(y, sumLast(mul(ty, dy))));
        return [softmaxBackward(y, dy), plus(isZero(tdy) ? null : softmaxBackward(y, tdy), rest)];
      },
    }),
  ],
});

/** y = log softmax(x) along the last axis. ∂x = dy − softmax(x)·Σ dy. */
export const logSoftmax = defineOp({
  op: logSoftmaxOp,
  differentiable: 1,
  rule: (x: Tensor) => {
    const y = logSoftmaxOp(x);
    return [y, (dy: Tensor) => [logSoftmaxBackward(y, dy)]];
  },
  frule: ([x], [tx]) => {
    const y = logSoftmaxOp(x);
    return [y, isZero(tx) ? null : sub(tx, sumLast(mul(exp(y), tx)))];
  },
  kernels: [
    defineKernel({
      op: logSoftmaxBackward,
      frule: ([y, dy], [ty, tdy]) => {
        // dx = dy − exp(y)·Σ dy: + −exp(y)·ẏ·Σ dy
        const rest = isZero(ty) ? null : mulScalar(mul(mul(exp(y), ty), sumLast(dy)), -1);
        return [logSoftmaxBackward(y, dy), plus(isZero(tdy) ? null : logSoftmaxBackward(y, tdy), rest)];
      },
    }),
  ],
});

/** mean/rstd (one per row) shaped to broadcast against x (…, C). */
const perRow = (s: Tensor, x: Tensor): Tensor => reshape(s, [...x.shape.slice(0, -1), 1]);

const layerNormFrule: Frule = ([x, w, b, eps], [tx, tw, tb]) => {
  const { y, mean, rstd } = layerNormForward(x, w, b, eps);
  const xhat = mul(sub(x, perRow(mean, x)), perRow(rstd, x));
  // x̂'s Jacobian is symmetric: its tangent is layerNormBackward's dx with w = 1.
  const txhat = isZero(tx) ? null : layerNormBackward(tx, x, Tensor.ones(w.shape, w.dtype), mean, rstd).dx;
  return [y, broadcastTo(plus(txhat && mul(txhat, w), isZero(tw) ? null : mul(xhat, tw), isZero(tb) ? null : tb), y)];
};

/** y = (x − mean)·rstd·w + b over the last axis. */
export const layerNorm = defineOp({
  op: layerNormOp,
  differentiable: 3,
  frule: layerNormFrule,
  rule: (x: Tensor, w: Tensor, b: Tensor, eps = 1e-5) => {
    const { y, mean, rstd } = layerNormForward(x, w, b, eps);
    return [
      y,
      (dy: Tensor) => {
        const { dx, dw, db } = layerNormBackward(dy, x, w, mean, rstd);
        return [dx, dw, db];
      },
    ];
  },
  forward: defineKernel({
    op: layerNormForward,
    frule: ([x, w, b, eps], [tx, tw, tb]) => {
      const out = layerNormForward(x, w, b, eps);
      if (isZero(tx) && isZero(tw) && isZero(tb)) return [out, null];
      const y = layerNormFrule([x, w, b, eps], [tx, tw, tb])[1];
      if (isZero(tx)) return [out, { y, mean: null, rstd: null }];
      // mean = mean(x), rstd = (var + eps)^-½ with var = mean((x − mean)²): ṙstd = −rstd³·mean((x − mean)·ẋ)
      const centered = sub(x, perRow(out.mean, x));
      const r = perRow(out.rstd, x);
      const trstd = mulScalar(mul(mul(square(r), r), meanLast(mul(centered, tx))), -1);
      return [out, { y, mean: reshape(meanLast(tx), out.mean.shape), rstd: reshape(trstd, out.rstd.shape) }];
    },
  }),
  kernels: [
    defineKernel({
      op: layerNormBackward,
      // the tangent from the kernel (its math in zig-kernels/src/layernorm.zig and reference/layernorm.ts)
      frule: ([dy, x, w, mean, rstd], [tdy, tx, tw, tmean, trstd]) => {
        const out = layerNormBackward(dy, x, w, mean, rstd);
        if ([tdy, tx, tw, tmean, trstd].every(isZero)) return [out, null];
        const t = [orZeros(tdy, dy), orZeros(tx, x), orZeros(tw, w), orZeros(tmean, mean), orZeros(trstd, rstd)] as const;
        return [out, layerNormBackwardTangent(dy, x, w, mean, rstd, ...t)];
      },
    }),
  ],
});

/**
 * Mean cross-entropy of logits (N, V) against integer targets (a number). With
 * `{ overwriteLogits: true }` the pullback writes ∂logits into the logits' own buffer (once; a
 * second call recomputes nothing and throws) — for a model whose logits are dead after the loss,
 * it saves allocating an (N, V) gradient every step.
 */
export const crossEntropy = defineOp({
  op: crossEntropyOp,
  differentiable: 1,
  rule: (logits: Tensor, targets: Indices, options: { overwriteLogits?: boolean } = {}) => {
    const { loss, lse } = crossEntropyForward(logits, targets);
    let consumed = false;
    return [
      loss,
      (dloss: number) => {
        if (!options.overwriteLogits) return [crossEntropyBackward(logits, targets, lse, dloss)];
        if (consumed) throw new Error("crossEntropy_pullback: with overwriteLogits the pullback can run only once (the logits were overwritten)");
        consumed = true;
        return [crossEntropyBackward(logits, targets, lse, dloss, { out: logits })];
      },
    ];
  },
  frule: ([logits, targets, options], [tl]) => {
    const loss = crossEntropyOp(logits, targets, options);
    if (isZero(tl)) return [loss, null];
    const { lse } = crossEntropyForward(logits, targets);
    return [loss, sum(mul(crossEntropyBackward(logits, targets, lse, 1), tl))];
  },
  forward: defineKernel({
    op: crossEntropyForward,
    frule: ([logits, targets], [tl]) => {
      const out = crossEntropyForward(logits, targets);
      if (isZero(tl)) return [out, null];
      // lse = log Σ exp(l): l̇se = Σ p·l̇; losses = lse − l[target]
      const n = logits.shape[0];
      const p = exp(sub(logits, reshape(out.lse, [n, 1])));
      const lse = sumAlong(mul(p, tl), 1);
      const losses = sub(lse, pickOp(tl, rowsOf(n), targets));
      return [out, { loss: sum(losses) / n, losses, lse }];
    },
  }),
  kernels: [
    defineKernel({
      op: crossEntropyBackward,
      frule: ([logits, targets, lse, dloss, options], [tl, , tlse, tdloss]) => {
        // y = (p − onehot)·dloss/N, p = exp(logits − lse): + p·(l̇ − l̇se)·dloss/N. The tangent is
        // computed first: with { out: logits } the kernel overwrites the logits.
        const n = logits.shape[0];
        const p = exp(sub(logits, reshape(lse, [n, 1])));
        const tp = isZero(tl) && isZero(tlse) ? null : mul(p, sub(orZeros(tl, logits), reshape(orZeros(tlse, lse), [n, 1])));
        const ty = plus(isZero(tdloss) ? null : crossEntropyBackward(logits, targets, lse, tdloss), tp && mulScalar(tp, dloss / n));
        return [crossEntropyBackward(logits, targets, lse, dloss, options), ty];
      },
    }),
  ],
});

/**
 * Mean cross-entropy of the logits x·w (never materialized) against integer targets, for x (N, C),
 * w (C, V). The loss is a scalar, so the forward computes the gradients of the mean loss in the
 * same pass over the rows (ops/linear_cross_entropy.ts) and the pullback only scales them by the
 * incoming cotangent: ∂x = dloss·G·wᵀ, ∂w = dloss·xᵀ·G, G = (softmax(x·w) − onehot)/N.
 */
export const linearCrossEntropy = defineOp({
  op: linearCrossEntropyOp,
  differentiable: 2,
  rule: (x: Tensor, w: Tensor, targets: Indices, options: LinearCrossEntropyOptions = {}) => {
    const { loss, dx, dw } = linearCrossEntropyForward(x, w, targets, options);
    // Fresh tensors on every call (the saved gradients stay intact for another call).
    return [loss, (dloss: number) => [mulScalar(dx, dloss), mulScalar(dw, dloss)]];
  },
  frule: ([x, w, targets, options], [tx, tw]) => {
    if (isZero(tx) && isZero(tw)) return [linearCrossEntropyOp(x, w, targets, options), null];
    const { loss, dx, dw } = linearCrossEntropyForward(x, w, targets, options);
    return [loss, (isZero(tx) ? 0 : sum(mul(dx, tx))) + (isZero(tw) ? 0 : sum(mul(dw, tw)))];
  },
  forward: defineKernel({
    op: linearCrossEntropyForward,
    frule: ([x, w, targets, options], [tx, tw]) => {
      const out = linearCrossEntropyForward(x, w, targets, options);
      if (isZero(tx) && isZero(tw)) return [out, null];
      // with z = x·w, p = softmax(z), G = (p − onehot)/N: dx = G·wᵀ, dw = xᵀ·G, losses = lse(z) − z[target]
      const n = x.shape[0];
      const p = softmaxOp(matmul(x, w));
      const tz = plus(isZero(tx) ? null : matmul(tx, w), isZero(tw) ? null : matmul(x, tw))!;
      const losses = sub(sumAlong(mul(p, tz), 1), pickOp(tz, rowsOf(n), targets));
      const g = divScalar(sub(p, pickBackward(Tensor.ones([n], x.dtype), rowsOf(n), targets, p.shape)), n);
      const tg = divScalar(softmaxBackward(p, tz), n);
      const dx = plus(gemm(tg, w, { transB: true }), isZero(tw) ? null : gemm(g, tw, { transB: true }));
      const dw = plus(gemm(x, tg, { transA: true }), isZero(tx) ? null : gemm(tx, g, { transA: true }));
      return [out, { loss: sum(losses) / n, losses, dx, dw }];
    },
  }),
  kernels: [],
});

const dropoutBackwardKernel = defineKernel({ op: dropoutBackward, frule: "linear" });

/** Dropout with probability p; the mask is regenerated from (seed, offset) in the pullback. */
export const dropout = defineOp({
  op: dropoutOp,
  differentiable: 1,
  frule: "linear",
  kernels: [dropoutBackwardKernel],
  rule: (x: Tensor, p: number, seed: number, offset: number) => [
    dropoutOp(x, p, seed, offset),
    (dy: Tensor) => [dropoutBackward(dy, p, seed, offset)],
  ],
});

/**
 * x + dropout(y, p, seed, offset), fused (the residual add of a transformer sub-block).
 * ∂x = dout (the cotangent itself: cotangents are never written in place), ∂y = mask⊙dout/(1 − p)
 * with the mask regenerated from (seed, offset).
 */
export const addDropout = defineOp({
  op: addDropoutOp,
  differentiable: 2,
  frule: "linear",
  kernels: [dropoutBackwardKernel],
  rule: (x: Tensor, y: Tensor, p: number, seed: number, offset: number) => [
    addDropoutOp(x, y, p, seed, offset),
    (dout: Tensor) => [dout, dropoutBackward(dout, p, seed, offset)],
  ],
});

/** Rows of `table` (V, C) by index: the embedding lookup. ∂table scatter-adds dy rows. */
export const take = defineOp({
  op: takeOp,
  differentiable: 1,
  frule: "linear",
  kernels: [defineKernel({ op: takeBackward, frule: "linear" })],
  rule: (table: Tensor, indices: Indices, shape?: readonly number[]) => [
    takeOp(table, indices, shape),
    (dy: Tensor) => [takeBackward(dy, indices, table.shape[0])],
  ],
});

/** y[i] = x[rows[i], cols[i]] (proc-macro-gpt's zipped indexing). */
export const pick = defineOp({
  op: pickOp,
  differentiable: 1,
  frule: "linear",
  kernels: [defineKernel({ op: pickBackward, frule: "linear" })],
  rule: (x: Tensor, rows: Indices, cols: Indices) => [pickOp(x, rows, cols), (dy: Tensor) => [pickBackward(dy, rows, cols, x.shape)]],
});
