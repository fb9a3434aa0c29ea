// Reference fused softmax + cross-entropy over logits (N, V) with integer targets (N).
import { Tensor } from "../tensor.ts";
import { rowLogSumExp } from "./softmax.ts";

/** losses[i] = lse[i] − logits[i, t_i], lse[i] = log Σ_j exp(logits[i, j]); loss = mean(losses). */
export function crossEntropyForward(logits: Tensor, targets: Int32Array): { loss: number; losses: Tensor; lse: Tensor } {
  const [n, v] = logits.shape;
  const losses = Tensor.zeros([n], logits.dtype);
  const lse = Tensor.zeros([n], logits.dtype);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const o = r * v;
    const l = rowLogSumExp(logits.data, o, v);
    lse.data[r] = l;
    losses.data[r] = l - logits.data[o + targets[r]];
    total += losses.data[r];
  }
  return { loss: total / n, losses, lse };
}

/** dlogits = (exp(logits − lse) − onehot(targets))·dloss/N. */
export function crossEntropyBackward(logits: Tensor, targets: Int32Array, lse: Tensor, dloss: number): Tensor {
  const [n, v] = logits.shape;
  const scale = dloss / n;
  const dx = Tensor.zeros(logits.shape, logits.dtype);
  for (let r = 0; r < n; r++) {
    const o = r * v;
    for (let j = 0; j < v; j++) dx.data[o + j] = (Math.exp(logits.data[o + j] - lse.data[r]) - (j === targets[r] ? 1 : 0)) * scale;
  }
  return dx;
}
