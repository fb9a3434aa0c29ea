// rrules of the neural-network ops: each forward saves what its fused backward kernel needs
// (softmax output, LayerNorm mean/rstd, cross-entropy log-sum-exp, attention lse) and nothing more.
import { attentionBackward, attentionForward, attentionRowsBackward, attentionRowsForward, type AttentionOptions } from "../ops/attention.ts";
import { crossEntropyBackward, crossEntropyForward } from "../ops/cross_entropy.ts";
import { addDropout as addDropoutOp, dropout as dropoutOp, dropoutBackward } from "../ops/dropout.ts";
import { pick as pickOp, pickBackward, take as takeOp, takeBackward } from "../ops/embedding.ts";
import { mulScalar } from "../ops/elementwise.ts";
import { layerNormBackward, layerNormForward } from "../ops/layernorm.ts";
import { linearCrossEntropyForward, type LinearCrossEntropyOptions } from "../ops/linear_cross_entropy.ts";
import { logSoftmax as logSoftmaxOp, logSoftmaxBackward, softmax as softmaxOp, softmaxBackward } from "../ops/softmax.ts";
import type { Tensor } from "../tensor.ts";
import { watched } from "./anomaly.ts";
import type { RruleResult } from "./types.ts";

type Indices = Int32Array | readonly number[];

/** y = softmax(x) along the last axis. ∂x = y ⊙ (dy − Σ dy ⊙ y). */
export function softmax(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  const y = softmaxOp(x);
  return watched("softmax", [y, function softmax_pullback(dy) {
    return softmaxBackward(y, dy);
  }]);
}

/** y = log softmax(x) along the last axis. ∂x = dy − softmax(x)·Σ dy. */
export function logSoftmax(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  const y = logSoftmaxOp(x);
  return watched("logSoftmax", [y, function logSoftmax_pullback(dy) {
    return logSoftmaxBackward(y, dy);
  }]);
}

/** y = (x − mean)·rstd·w + b over the last axis. */
export function layerNorm([x, w, b]: [Tensor, Tensor, Tensor], eps = 1e-5): RruleResult<Tensor, Tensor, [Tensor, Tensor, Tensor]> {
  const { y, mean, rstd } = layerNormForward(x, w, b, eps);
  return watched("layerNorm", [y, function layerNorm_pullback(dy) {
    const { dx, dw, db } = layerNormBackward(dy, x, w, mean, rstd);
    return [dx, dw, db];
  }]);
}

/**
 * Mean cross-entropy of logits (N, V) against integer targets (a number). With
 * `{ overwriteLogits: true }` the pullback writes ∂logits into the logits' own buffer (once; a
 * second call recomputes nothing and throws) — for a model whose logits are dead after the loss,
 * it saves allocating an (N, V) gradient every step.
 */
export function crossEntropy(logits: Tensor, targets: Indices, options: { overwriteLogits?: boolean } = {}): RruleResult<number, number, Tensor> {
  const { loss, lse } = crossEntropyForward(logits, targets);
  let consumed = false;
  return watched("crossEntropy", [loss, function crossEntropy_pullback(dloss) {
    if (!options.overwriteLogits) return crossEntropyBackward(logits, targets, lse, dloss);
    if (consumed) throw new Error("crossEntropy_pullback: with overwriteLogits the pullback can run only once (the logits were overwritten)");
    consumed = true;
    return crossEntropyBackward(logits, targets, lse, dloss, { out: logits });
  }]);
}

/**
 * Mean cross-entropy of the logits x·w (never materialized) against integer targets, for x (N, C),
 * w (C, V). The loss is a scalar, so the forward computes the gradients of the mean loss in the
 * same pass over the rows (ops/linear_cross_entropy.ts) and the pullback only scales them by the
 * incoming cotangent: ∂x = dloss·G·wᵀ, ∂w = dloss·xᵀ·G, G = (softmax(x·w) − onehot)/N.
 */
export function linearCrossEntropy([x, w]: [Tensor, Tensor], targets: Indices, options: LinearCrossEntropyOptions = {}): RruleResult<number, number, [Tensor, Tensor]> {
  const { loss, dx, dw } = linearCrossEntropyForward(x, w, targets, options);
  return watched("linearCrossEntropy", [loss, function linearCrossEntropy_pullback(dloss) {
    // Fresh tensors on every call (the saved gradients stay intact for another call).
    return [mulScalar(dx, dloss), mulScalar(dw, dloss)];
  }]);
}

/** Fused causal multi-head attention over q, k, v (B, H, T, D). */
export function attention([q, k, v]: [Tensor, Tensor, Tensor], options: AttentionOptions = {}): RruleResult<Tensor, Tensor, [Tensor, Tensor, Tensor]> {
  const { out, lse } = attentionForward(q, k, v, options);
  return watched("attention", [out, function attention_pullback(dout) {
    const { dq, dk, dv } = attentionBackward(dout, q, k, v, out, lse, options);
    return [dq, dk, dv];
  }]);
}

/**
 * Fused causal attention over the `heads` heads in the projection rows qkv (B·T, 3C) of `batch`
 * sequences → out (B·T, C); the pullback gives dqkv (B·T, 3C) in the same layout.
 */
export function attentionRows(qkv: Tensor, heads: number, batch: number, options: AttentionOptions = {}): RruleResult<Tensor, Tensor, Tensor> {
  const { out, lse, keep } = attentionRowsForward(qkv, heads, batch, options);
  return watched("attentionRows", [out, function attentionRows_pullback(dout) {
    return attentionRowsBackward(dout, qkv, out, lse, heads, batch, options, keep);
  }]);
}

/** Dropout with probability p; the mask is regenerated from (seed, offset) in the pullback. */
export function dropout(x: Tensor, p: number, seed: number, offset: number): RruleResult<Tensor, Tensor, Tensor> {
  return watched("dropout", [dropoutOp(x, p, seed, offset), function dropout_pullback(dy) {
    return dropoutBackward(dy, p, seed, offset);
  }]);
}

/**
 * x + dropout(y, p, seed, offset), fused (the residual add of a transformer sub-block).
 * ∂x = dout (the cotangent itself: cotangents are never written in place), ∂y = mask⊙dout/(1 − p)
 * with the mask regenerated from (seed, offset).
 */
export function addDropout([x, y]: [Tensor, Tensor], p: number, seed: number, offset: number): RruleResult<Tensor, Tensor, [Tensor, Tensor]> {
  return watched("addDropout", [addDropoutOp(x, y, p, seed, offset), function addDropout_pullback(dout) {
    return [dout, dropoutBackward(dout, p, seed, offset)];
  }]);
}

/** Rows of `table` (V, C) by index: the embedding lookup. ∂table scatter-adds dy rows. */
export function take(table: Tensor, indices: Indices, shape?: readonly number[]): RruleResult<Tensor, Tensor, Tensor> {
  return watched("take", [takeOp(table, indices, shape), function take_pullback(dy) {
    return takeBackward(dy, indices, table.shape[0]);
  }]);
}

/** y[i] = x[rows[i], cols[i]] (proc-macro-gpt's zipped indexing). */
export function pick(x: Tensor, rows: Indices, cols: Indices): RruleResult<Tensor, Tensor, Tensor> {
  return watched("pick", [pickOp(x, rows, cols), function pick_pullback(dy) {
    return pickBackward(dy, rows, cols, x.shape);
  }]);
}
