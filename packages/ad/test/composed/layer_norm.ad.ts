// LayerNorm over the last axis, composed from primitive rrules in the rrule-call convention
// (docs/ad.md): y = (x − mean)·rstd·w + b with mean = Σx/C, var = Σ(x − mean)²/C (biased, as
// GPT-2 and the fused kernel), rstd = 1/√(var + eps). The fused rule (@pullback/tensor's
// rules/nn.ts `layerNorm`) is checked against this one in composed.test.ts.
import { ad, attach, fork } from "@pullback/ad";
import { add, addScalar, div, divScalar, mul, sqrt, square, sub, sumAlong } from "@pullback/tensor/rrules";
import { Tensor } from "@pullback/tensor";

export const layerNorm = ad(([x, w, b]: [Tensor, Tensor, Tensor], eps = 1e-5) => {
  const c = x.shape[x.ndim - 1];
  // mean over the last axis (kept as size 1 so it broadcasts back)
  const [[x1, x2], __] = fork(x);
  const [sx, __1] = sumAlong(x1, -1, true);
  const [mean, __2] = divScalar(sx, c);
  const [xc, __3] = sub([x2, mean]);
  // biased variance of the centered values
  const [[xc1, xc2], __4] = fork(xc);
  const [sq, __5] = square(xc1);
  const [ssq, __6] = sumAlong(sq, -1, true);
  const [variance, __7] = divScalar(ssq, c);
  // rstd = 1 / √(var + eps): sqrt, then 1 / · with an attached constant numerator
  const [ve, __8] = addScalar(variance, eps);
  const [std, __9] = sqrt(ve);
  const [one, __10] = attach(Tensor.ones(std.shape, std.dtype));
  const [rstd, __11] = div([one, std]);
  // normalize, scale and shift (w, b of shape (C,) broadcast over the rows)
  const [xhat, __12] = mul([xc2, rstd]);
  const [scaled, __13] = mul([xhat, w]);
  const [y, __14] = add([scaled, b]);
  return y;
});
