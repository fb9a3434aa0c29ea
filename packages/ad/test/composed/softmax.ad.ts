// softmax along the last axis, composed from primitive rrules in the rrule-call convention
// (docs/ad.md), as proc-macro-gpt writes it: y = exp(x − max x) / Σ exp(x − max x).
// The fused rule (@pullback/tensor's rules/nn.ts `softmax`) is checked against this one in composed.test.ts.
import { ad, attach, detach, fork } from "@pullback/ad";
import { maxAlong as maxAlongOp } from "@pullback/tensor";
import { div, exp, sub, sumAlong } from "@pullback/tensor/rrules";
import type { Tensor } from "@pullback/tensor";

export const softmax = ad((x: Tensor) => {
  // The max only shifts x for numerical safety: softmax(x − c) = softmax(x) for any c per row, so
  // the gradient through c is exactly zero. We make that explicit rather than differentiate it
  // (the cancellation would cost a maxAlongBackward scatter and a row sum that add up to ≈ 0):
  // x is forked (the linearity rule: x is used twice), one copy is detached (consumed with a zero
  // cotangent), its row max is computed as a plain value and attached back as a constant.
  const [[x1, x2], __] = fork(x);
  const [xv, __1] = detach(x1);
  const [m, __2] = attach(maxAlongOp(xv, -1, true));
  const [z, __3] = sub([x2, m]);
  const [e, __4] = exp(z);
  const [[e1, e2], __5] = fork(e);
  const [s, __6] = sumAlong(e1, -1, true);
  const [y, __7] = div([e2, s]);
  return y;
});
