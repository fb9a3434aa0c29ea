// Reference fused linear + cross-entropy: composed of the reference matmul and cross-entropy, so
// it holds the (N, V) logits the kernel avoids (float64 accumulation throughout).
import { Tensor } from "../tensor.ts";
import { crossEntropyBackward, crossEntropyForward } from "./cross_entropy.ts";
import { gemm, matmul } from "./matmul.ts";

/**
 * logits = x·w; losses and loss as crossEntropyForward; G = (softmax(logits) − onehot)/N;
 * dx = G·wᵀ, dw = xᵀ·G.
 */
export function linearCrossEntropyForward(x: Tensor, w: Tensor, targets: Int32Array): { loss: number; losses: Tensor; dx: Tensor; dw: Tensor } {
  const logits = matmul(x, w);
  const { loss, losses, lse } = crossEntropyForward(logits, targets);
  const g = crossEntropyBackward(logits, targets, lse, 1);
  return { loss, losses, dx: gemm(g, w, { transB: true }), dw: gemm(x, g, { transA: true }) };
}
