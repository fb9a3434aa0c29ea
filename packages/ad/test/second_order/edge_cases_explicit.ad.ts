// Explicit-mode functions edge_cases.ad.ts calls through primal (second order through explicit mode).
import { ad, attach, detach, fork } from "@pullback/ad";
import { exp } from "@pullback/tensor";
import { mul, sum, tanh } from "@pullback/tensor/rrules";

/** Σ tanh(x ⊙ w)². */
export const tanhSquared = ad(([x, w]) => {
  const [xw, __] = mul([x, w]);
  const [t, __1] = tanh(xw);
  const [[t1, t2], __2] = fork(t);
  const [tt, __3] = mul([t1, t2]);
  const [s, __4] = sum(tt);
  return s;
});

/** Σ x ⊙ exp(x) with the exp path detached: ∇ = exp(x), and (detached, as stopGradient) H = 0. */
export const detachedExp = ad((x) => {
  const [[x1, x2], __] = fork(x);
  const [xv, __1] = detach(x1);
  const [c, __2] = attach(exp(xv));
  const [y, __3] = mul([x2, c]);
  const [s, __4] = sum(y);
  return s;
});
