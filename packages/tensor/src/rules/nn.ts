// Rules of the neural-network ops: each forward saves what its fused backward kernel needs
// (softmax output, LayerNorm mean/rstd, cross-entropy log-sum-exp, attention lse) and nothing more.
import { attention as attentionOp, attentionBackward, attentionForward, attentionRows as attentionRowsOp, attentionRowsBackward, attentionRowsForward, type AttentionOptions } from "../ops/attention.ts";
import { crossEntropy as crossEntropyOp, crossEntropyBackward, crossEntropyForward } from "../ops/cross_entropy.ts";
import { addDropout as addDropoutOp, dropout as dropoutOp, dropoutBackward } from "../ops/dropout.ts";
import { mulScalar } from "../ops/elementwise.ts";
import { pick as pickOp, pickBackward, take as takeOp, takeBackward } from "../ops/embedding.ts";
import { layerNorm as layerNormOp, layerNormBackward, layerNormForward } from "../ops/layernorm.ts";
import { linearCrossEntropy as linearCrossEntropyOp, linearCrossEntropyForward, type LinearCrossEntropyOptions } from "../ops/linear_cross_entropy.ts";
import { logSoftmax as logSoftmaxOp, logSoftmaxBackward, softmax as softmaxOp, softmaxBackward } from "../ops/softmax.ts";
import type { Tensor } from "../tensor.ts";
import { defineOp } from "./define.ts";

type Indices = Int32Array | readonly number[];

/** y = softmax(x) along the last axis. ∂x = y ⊙ (dy − Σ dy ⊙ y). */
export const softmax = defineOp({
  op: softmaxOp, differentiable: 1, kernels: [softmaxBackward],
  rule: (x: Tensor) => {
    const y = softmaxOp(x);
    return [y, (dy: Tensor) => [softmaxBackward(y, dy)]];
  },
});

/** y = log softmax(x) along the last axis. ∂x = dy − softmax(x)·Σ dy. */
export const logSoftmax = defineOp({
  op: logSoftmaxOp, differentiable: 1, kernels: [logSoftmaxBackward],
  rule: (x: Tensor) => {
    const y = logSoftmaxOp(x);
    return [y, (dy: Tensor) => [logSoftmaxBackward(y, dy)]];
  },
});

/** y = (x − mean)·rstd·w + b over the last axis. */
export const layerNorm = defineOp({
  op: layerNormOp, differentiable: 3, forward: layerNormForward, kernels: [layerNormBackward],
  rule: (x: Tensor, w: Tensor, b: Tensor, eps = 1e-5) => {
    const { y, mean, rstd } = layerNormForward(x, w, b, eps);
    return [y, (dy: Tensor) => {
      const { dx, dw, db } = layerNormBackward(dy, x, w, mean, rstd);
      return [dx, dw, db];
    }];
  },
});

/**
 * Mean cross-entropy of logits (N, V) against integer targets (a number). With
 * `{ overwriteLogits: true }` the pullback writes ∂logits into the logits' own buffer (once; a
 * second call recomputes nothing and throws) — for a model whose logits are dead after the loss,
 * it saves allocating an (N, V) gradient every step.
 */
export const crossEntropy = defineOp({
  op: crossEntropyOp, differentiable: 1, forward: crossEntropyForward, kernels: [crossEntropyBackward],
  rule: (logits: Tensor, targets: Indices, options: { overwriteLogits?: boolean } = {}) => {
    const { loss, lse } = crossEntropyForward(logits, targets);
    let consumed = false;
    return [loss, (dloss: number) => {
      if (!options.overwriteLogits) return [crossEntropyBackward(logits, targets, lse, dloss)];
      if (consumed) throw new Error("crossEntropy_pullback: with overwriteLogits the pullback can run only once (the logits were overwritten)");
      consumed = true;
      return [crossEntropyBackward(logits, targets, lse, dloss, { out: logits })];
    }];
  },
});

/**
 * Mean cross-entropy of the logits x·w (never materialized) against integer targets, for x (N, C),
 * w (C, V). The loss is a scalar, so the forward computes the gradients of the mean loss in the
 * same pass over the rows (ops/linear_cross_entropy.ts) and the pullback only scales them by the
 * incoming cotangent: ∂x = dloss·G·wᵀ, ∂w = dloss·xᵀ·G, G = (softmax(x·w) − onehot)/N.
 */
export const linearCrossEntropy = defineOp({
  op: linearCrossEntropyOp, differentiable: 2, forward: linearCrossEntropyForward, kernels: [],
  rule: (x: Tensor, w: Tensor, targets: Indices, options: LinearCrossEntropyOptions = {}) => {
    const { loss, dx, dw } = linearCrossEntropyForward(x, w, targets, options);
    // Fresh tensors on every call (the saved gradients stay intact for another call).
    return [loss, (dloss: number) => [mulScalar(dx, dloss), mulScalar(dw, dloss)]];
  },
});

/** Fused causal multi-head attention over q, k, v (B, H, T, D). */
export const attention = defineOp({
  op: attentionOp, differentiable: 3, forward: attentionForward, kernels: [attentionBackward],
  rule: (q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}) => {
    const { out, lse } = attentionForward(q, k, v, options);
    return [out, (dout: Tensor) => {
      const { dq, dk, dv } = attentionBackward(dout, q, k, v, out, lse, options);
      return [dq, dk, dv];
    }];
  },
});

/**
 * Fused causal attention over the `heads` heads in the projection rows qkv (B·T, 3C) of `batch`
 * sequences → out (B·T, C); the pullback gives dqkv (B·T, 3C) in the same layout.
 */
export const attentionRows = defineOp({
  op: attentionRowsOp, differentiable: 1, forward: attentionRowsForward, kernels: [attentionRowsBackward],
  rule: (qkv: Tensor, heads: number, batch: number, options: AttentionOptions = {}) => {
    const { out, lse, keep } = attentionRowsForward(qkv, heads, batch, options);
    return [out, (dout: Tensor) => [attentionRowsBackward(dout, qkv, out, lse, heads, batch, options, keep)]];
  },
});

/** Dropout with probability p; the mask is regenerated from (seed, offset) in the pullback. */
export const dropout = defineOp({
  op: dropoutOp, differentiable: 1, kernels: [dropoutBackward],
  rule: (x: Tensor, p: number, seed: number, offset: number) => [dropoutOp(x, p, seed, offset), (dy: Tensor) => [dropoutBackward(dy, p, seed, offset)]],
});

/**
 * x + dropout(y, p, seed, offset), fused (the residual add of a transformer sub-block).
 * ∂x = dout (the cotangent itself: cotangents are never written in place), ∂y = mask⊙dout/(1 − p)
 * with the mask regenerated from (seed, offset).
 */
export const addDropout = defineOp({
  op: addDropoutOp, differentiable: 2, kernels: [dropoutBackward],
  rule: (x: Tensor, y: Tensor, p: number, seed: number, offset: number) => [addDropoutOp(x, y, p, seed, offset), (dout: Tensor) => [dout, dropoutBackward(dout, p, seed, offset)]],
});

/** Rows of `table` (V, C) by index: the embedding lookup. ∂table scatter-adds dy rows. */
export const take = defineOp({
  op: takeOp, differentiable: 1, kernels: [takeBackward],
  rule: (table: Tensor, indices: Indices, shape?: readonly number[]) => [takeOp(table, indices, shape), (dy: Tensor) => [takeBackward(dy, indices, table.shape[0])]],
});

/** y[i] = x[rows[i], cols[i]] (proc-macro-gpt's zipped indexing). */
export const pick = defineOp({
  op: pickOp, differentiable: 1, kernels: [pickBackward],
  rule: (x: Tensor, rows: Indices, cols: Indices) => [pickOp(x, rows, cols), (dy: Tensor) => [pickBackward(dy, rows, cols, x.shape)]],
});
