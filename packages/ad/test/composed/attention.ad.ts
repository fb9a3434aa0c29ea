// Causal multi-head attention composed from primitive rrules in the rrule-call convention
// (docs/ad.md), over (B·H, T, D): S = Q·Kᵀ/√D + mask, P = softmax(S) (optionally dropout on P),
// out = P·V. The fused rule (@pullback/tensor's rules/attention.ts `attention`: one kernel,
// probabilities never stored) is checked against this one in composed.test.ts and benchmarked
// against it in packages/ad/bench/attention_vs_composed.ts.
import { ad, attach } from "@pullback/ad";
import { mul, Tensor, type AttentionOptions } from "@pullback/tensor";
import { attentionDropoutFactors } from "@pullback/tensor/reference";
import { add, bmm, mulScalar, reshape, softmax, swapAxes } from "@pullback/tensor/rrules";

/** The additive causal mask (T, T): 0 where key j ≤ query i, −∞ above the diagonal. */
export function causalMask(t: number, dtype: "float32" | "float64" = "float32"): Tensor {
  const m = Tensor.zeros([t, t], dtype);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m.data[i * t + j] = -Infinity;
  return m;
}

/** The identity rrule: chosen instead of `dropout` when p = 0 (no copy of the probabilities). */
function keep(x: Tensor): [Tensor, (dy: Tensor) => Tensor] {
  return [
    x,
    function keep_pullback(dy) {
      return dy;
    },
  ];
}

/**
 * Attention dropout of probabilities x (B·H, T, T) as an rrule: y = x ⊙ m/(1 − p) with the fused
 * kernel's mask (pair ((b·H + h)·T + i)·T + j kept iff its byte of Philox is ≥ 256p:
 * reference/attention.ts attentionDropoutFactors), ∂x = dy ⊙ m/(1 − p).
 */
function attentionDropout(x: Tensor, p: number, seed: number, offset: number): [Tensor, (dy: Tensor) => Tensor] {
  const [BH, T] = x.shape;
  const factors = attentionDropoutFactors(BH, T, p, seed, offset, x.dtype);
  return [
    mul(x, factors),
    function attentionDropout_pullback(dy) {
      return mul(dy, factors);
    },
  ];
}

/**
 * q, k, v (B, H, T, D) → out (B, H, T, D), scale 1/√D. With `dropout` > 0 the attention
 * probabilities are dropped with the fused kernel's mask (attentionDropout), so both agree exactly.
 */
export const attention = ad(([q, k, v]: [Tensor, Tensor, Tensor], options: AttentionOptions = {}) => {
  const [B, H, T, D] = q.shape;
  const { dropout: p = 0, seed = 0, offset = 0 } = options;
  const [q3, __] = reshape(q, [B * H, T, D]);
  const [k3, __1] = reshape(k, [B * H, T, D]);
  const [v3, __2] = reshape(v, [B * H, T, D]);
  const [kt, __3] = swapAxes(k3, 1, 2); // (B·H, D, T)
  const [s, __4] = bmm([q3, kt]); // (B·H, T, T)
  const [scaled, __5] = mulScalar(s, 1 / Math.sqrt(D));
  const [mask, __6] = attach(causalMask(T, q.dtype)); // a constant: its cotangent is dropped
  const [masked, __7] = add([scaled, mask]);
  const [probs, __8] = softmax(masked);
  const [dropped, __9] = (p > 0 ? attentionDropout : keep)(probs, p, seed, offset); // branch by choosing the callee
  const [o3, __10] = bmm([dropped, v3]); // (B·H, T, D)
  const [out, __11] = reshape(o3, [B, H, T, D]);
  return out;
});
