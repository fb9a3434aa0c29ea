// Reference LayerNorm over the last axis: plain loops, float64 arithmetic, outputs in x's dtype.
import { Tensor } from "../tensor.ts";

/** y = (x − μ)·rstd·w + b per row, with μ and rstd = 1/√(σ² + eps) returned (one per row). */
export function layerNormForward(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): { y: Tensor; mean: Tensor; rstd: Tensor } {
  const c = x.shape[x.ndim - 1];
  const n = c === 0 ? 0 : x.size / c;
  const lead = x.shape.slice(0, -1);
  const y = Tensor.zeros(x.shape, x.dtype);
  const mean = Tensor.zeros(lead, x.dtype);
  const rstd = Tensor.zeros(lead, x.dtype);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    let mu = 0;
    for (let j = 0; j < c; j++) mu += x.data[o + j];
    mu /= c;
    let v = 0;
    for (let j = 0; j < c; j++) v += (x.data[o + j] - mu) ** 2;
    const rs = 1 / Math.sqrt(v / c + eps);
    mean.data[r] = mu;
    rstd.data[r] = rs;
    for (let j = 0; j < c; j++) y.data[o + j] = (x.data[o + j] - mu) * rs * w.data[j] + b.data[j];
  }
  return { y, mean, rstd };
}

/** dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w; dw = Σ dy·x̂, db = Σ dy over rows. */
export function layerNormBackward(dy: Tensor, x: Tensor, w: Tensor, mean: Tensor, rstd: Tensor): { dx: Tensor; dw: Tensor; db: Tensor } {
  const c = x.shape[x.ndim - 1];
  const n = c === 0 ? 0 : x.size / c;
  const dx = Tensor.zeros(x.shape, x.dtype);
  const dw = Tensor.zeros([c], x.dtype);
  const db = Tensor.zeros([c], x.dtype);
  const dwAcc = new Float64Array(c),
    dbAcc = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const mu = mean.data[r],
      rs = rstd.data[r];
    let sg = 0,
      sgx = 0;
    for (let j = 0; j < c; j++) {
      const xh = (x.data[o + j] - mu) * rs;
      const g = dy.data[o + j] * w.data[j];
      sg += g;
      sgx += g * xh;
      dwAcc[j] += dy.data[o + j] * xh;
      dbAcc[j] += dy.data[o + j];
    }
    for (let j = 0; j < c; j++) {
      const xh = (x.data[o + j] - mu) * rs;
      dx.data[o + j] = rs * (dy.data[o + j] * w.data[j] - sg / c - (xh * sgx) / c);
    }
  }
  dw.data.set(dwAcc);
  db.data.set(dbAcc);
  return { dx, dw, db };
}
