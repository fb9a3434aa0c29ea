// LayerNorm over the last axis (any leading dims) and its backward.
// float32 runs on zig-kernels/src/layernorm.zig; float64 (or PULLBACK_BACKEND=reference) on the reference.
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/layernorm.ts";
import { Tensor } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_layernorm_forward: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "f32"], returns: "void" },
  pb_layernorm_backward_chunks: { args: ["u64", "u64"], returns: "u64" },
  pb_layernorm_backward: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_layernorm_backward_tangent: {
    args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64"],
    returns: "void",
  },
});

function sameDtype(op: string, tensors: Record<string, Tensor>): void {
  const entries = Object.entries(tensors);
  const [name0, t0] = entries[0];
  for (const [name, t] of entries) check(t.dtype === t0.dtype, op, () => `${name0} is ${t0.dtype} but ${name} is ${t.dtype}`);
}

function checkParam(op: string, name: string, p: Tensor, x: Tensor, c: number): void {
  check(p.ndim === 1 && p.shape[0] === c, op, () => `${name} ${fmtShape(p.shape)} must be (${c},) for x ${fmtShape(x.shape)}`);
}

/** The checked forward; errors name `op` (the public function called). */
function forward(op: string, x: Tensor, w: Tensor, b: Tensor, eps: number): { y: Tensor; mean: Tensor; rstd: Tensor } {
  check(x.ndim >= 1, op, () => `x needs at least one axis, got a 0-d tensor`);
  const c = x.shape[x.ndim - 1];
  checkParam(op, "w", w, x, c);
  checkParam(op, "b", b, x, c);
  sameDtype(op, { x, w, b });
  check(Number.isFinite(eps) && eps >= 0, op, () => `eps must be a finite non-negative number, got ${eps}`);
  if (!useNative(x, w, b)) return ref.layerNormForward(x, w, b, eps);
  const n = c === 0 ? 0 : x.size / c;
  const lead = x.shape.slice(0, -1);
  const y = Tensor.zeros(x.shape),
    mean = Tensor.zeros(lead),
    rstd = Tensor.zeros(lead);
  if (c === 0) {
    // An empty row has no mean; follow the reference (0/0 = NaN).
    mean.data.fill(NaN);
    rstd.data.fill(NaN);
  } else if (n > 0) {
    K.pb_layernorm_forward(x.data, w.data, b.data, y.data, mean.data, rstd.data, n, c, eps);
  }
  return { y, mean, rstd };
}

/** y = (x − μ)/√(σ² + eps)·w + b over the last axis (any leading dims). */
export const layerNorm = withTangents(function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): Tensor {
  return forward("layerNorm", x, w, b, eps).y;
});

/** y as layerNorm, with the per-row mean and rstd (leading dims) saved for layerNormBackward. */
export const layerNormForward = withTangents(function layerNormForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  eps = 1e-5,
): { y: Tensor; mean: Tensor; rstd: Tensor } {
  return forward("layerNormForward", x, w, b, eps);
});

/** Checks layerNormBackward's arguments (errors name `op`, and each argument with `prefix`: "t" for tangents); returns (rows, width). */
function checkBackward(op: string, dy: Tensor, x: Tensor, w: Tensor, mean: Tensor, rstd: Tensor, prefix = ""): [number, number] {
  check(x.ndim >= 1, op, () => `x needs at least one axis, got a 0-d tensor`);
  const c = x.shape[x.ndim - 1];
  const n = c === 0 ? 0 : x.size / c;
  check(
    dy.shape.length === x.shape.length && dy.shape.every((d, i) => d === x.shape[i]),
    op,
    () => `${prefix}dy ${fmtShape(dy.shape)} must have the shape of ${prefix}x ${fmtShape(x.shape)}`,
  );
  checkParam(op, `${prefix}w`, w, x, c);
  const lead = x.shape.slice(0, -1);
  for (const [name, s] of [
    ["mean", mean],
    ["rstd", rstd],
  ] as const) {
    check(
      s.size === n && (s.ndim === lead.length || s.ndim === 1),
      op,
      () => `${prefix}${name} ${fmtShape(s.shape)} must have one value per row of ${prefix}x ${fmtShape(x.shape)}, i.e. shape ${fmtShape(lead)}`,
    );
  }
  sameDtype(op, { [`${prefix}x`]: x, [`${prefix}dy`]: dy, [`${prefix}w`]: w, [`${prefix}mean`]: mean, [`${prefix}rstd`]: rstd });
  return [n, c];
}

/** dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w, x̂ = (x − mean)·rstd; dw = Σ dy·x̂, db = Σ dy over rows. */
export const layerNormBackward = withTangents(function layerNormBackward(
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  mean: Tensor,
  rstd: Tensor,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const [n, c] = checkBackward("layerNormBackward", dy, x, w, mean, rstd);
  if (!useNative(dy, x, w, mean, rstd)) return ref.layerNormBackward(dy, x, w, mean, rstd);
  const dx = Tensor.zeros(x.shape),
    dw = Tensor.zeros([c]),
    db = Tensor.zeros([c]);
  if (n > 0 && c > 0) {
    const scratch = new Float32Array(Number(K.pb_layernorm_backward_chunks(n, c)) * 2 * c);
    K.pb_layernorm_backward(dy.data, x.data, w.data, mean.data, rstd.data, dx.data, dw.data, db.data, scratch, n, c);
  }
  return { dx, dw, db };
});
/**
 * The tangent of layerNormBackward's { dx, dw, db } along the tangents of its inputs (tdy, tx,
 * tw; tmean and trstd per row): its forward rule, what second derivatives through layerNorm need
 * (reference: reference/layernorm.ts).
 */
export const layerNormBackwardTangent = withTangents(function layerNormBackwardTangent(
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
  const op = "layerNormBackwardTangent";
  const [n, c] = checkBackward(op, dy, x, w, mean, rstd);
  // the tangents have the shapes of what they are tangents of
  checkBackward(op, tdy, tx, tw, tmean, trstd, "t");
  check(tx.shape.join() === x.shape.join(), op, () => `tx ${fmtShape(tx.shape)} must have the shape of x ${fmtShape(x.shape)}`);
  sameDtype(op, { x, tdy, tx, tw, tmean, trstd });
  if (!useNative(dy, x, w, mean, rstd, tdy, tx, tw, tmean, trstd))
    return ref.layerNormBackwardTangent(dy, x, w, mean, rstd, tdy, tx, tw, tmean, trstd);
  const dx = Tensor.empty(x.shape), // every element written
    dw = Tensor.empty([c]),
    db = Tensor.empty([c]);
  if (n > 0 && c > 0)
    K.pb_layernorm_backward_tangent(
      dy.data,
      x.data,
      w.data,
      mean.data,
      rstd.data,
      tdy.data,
      tx.data,
      tw.data,
      tmean.data,
      trstd.data,
      dx.data,
      dw.data,
      db.data,
      n,
      c,
    );
  else {
    dw.data.fill(0);
    db.data.fill(0);
  }
  return { dx, dw, db };
});
