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

/**
 * The tangent of layerNormBackward along the tangents of its inputs (its forward rule), per row
 * with c₁ = mean(g·x̂): x̂̇ = (ẋ − μ̇)·rstd + (x − μ)·ṙ, ġ = ḋy·w + dy·ẇ, ċ₁ = mean(ġ·x̂ + g·x̂̇),
 * ḋx = ṙ·(g − mean(g) − x̂·c₁) + rstd·(ġ − mean(ġ) − x̂̇·c₁ − x̂·ċ₁); ḋw = Σ ḋy·x̂ + dy·x̂̇, ḋb = Σ ḋy.
 */
export function layerNormBackwardTangent(
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  mean: Tensor,
  rstd: Tensor,
  tdy: Tensor,
  tx: Tensor,
  tw: Tensor,
  tmean: Tensor,
  trstd: Tensor,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const c = x.shape[x.ndim - 1];
  const n = c === 0 ? 0 : x.size / c;
  const dx = Tensor.zeros(x.shape, x.dtype);
  const dwAcc = new Float64Array(c),
    dbAcc = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const mu = mean.data[r],
      rs = rstd.data[r],
      tmu = tmean.data[r],
      trs = trstd.data[r];
    const xh = new Float64Array(c),
      txh = new Float64Array(c),
      g = new Float64Array(c),
      tg = new Float64Array(c);
    let sg = 0,
      sgx = 0,
      stg = 0,
      stgx = 0;
    for (let j = 0; j < c; j++) {
      const centered = x.data[o + j] - mu;
      xh[j] = centered * rs;
      txh[j] = (tx.data[o + j] - tmu) * rs + centered * trs;
      g[j] = dy.data[o + j] * w.data[j];
      tg[j] = tdy.data[o + j] * w.data[j] + dy.data[o + j] * tw.data[j];
      sg += g[j];
      sgx += g[j] * xh[j];
      stg += tg[j];
      stgx += tg[j] * xh[j] + g[j] * txh[j];
      dwAcc[j] += tdy.data[o + j] * xh[j] + dy.data[o + j] * txh[j];
      dbAcc[j] += tdy.data[o + j];
    }
    const [mg, c1, mtg, tc1] = [sg / c, sgx / c, stg / c, stgx / c];
    for (let j = 0; j < c; j++) dx.data[o + j] = trs * (g[j] - mg - xh[j] * c1) + rs * (tg[j] - mtg - txh[j] * c1 - xh[j] * tc1);
  }
  const dw = Tensor.zeros([c], x.dtype),
    db = Tensor.zeros([c], x.dtype);
  dw.data.set(dwAcc);
  db.data.set(dbAcc);
  return { dx, dw, db };
}
