// Reference embedding gather (take), element pick, and their scatter-add backward passes.
import { Tensor, type Shape } from "../tensor.ts";

/** out[..., :] = table[indices[...], :], shape (...shape, C). */
export function take(table: Tensor, indices: Int32Array, shape: Shape = [indices.length]): Tensor {
  const c = table.shape[1];
  const out = Tensor.zeros([...shape, c], table.dtype);
  for (let i = 0; i < indices.length; i++) out.data.set(table.data.subarray(indices[i] * c, indices[i] * c + c), i * c);
  return out;
}

/** dtable (vocab, C): row indices[i] accumulates dy[i, :] (float64 accumulation). */
export function takeBackward(dy: Tensor, indices: Int32Array, vocab: number): Tensor {
  const c = dy.shape[dy.ndim - 1];
  const acc = new Float64Array(vocab * c);
  for (let i = 0; i < indices.length; i++) {
    const o = indices[i] * c;
    for (let j = 0; j < c; j++) acc[o + j] += dy.data[i * c + j];
  }
  const out = Tensor.zeros([vocab, c], dy.dtype);
  out.data.set(acc);
  return out;
}

/** out[i] = x[rows[i], cols[i]]. */
export function pick(x: Tensor, rows: Int32Array, cols: Int32Array): Tensor {
  const m = x.shape[1];
  const out = Tensor.zeros([rows.length], x.dtype);
  for (let i = 0; i < rows.length; i++) out.data[i] = x.data[rows[i] * m + cols[i]];
  return out;
}

/** dx of `shape` (N, M) with dx[rows[i], cols[i]] += dy[i]. */
export function pickBackward(dy: Tensor, rows: Int32Array, cols: Int32Array, shape: Shape): Tensor {
  const m = shape[1];
  const acc = new Float64Array(shape[0] * m);
  for (let i = 0; i < rows.length; i++) acc[rows[i] * m + cols[i]] += dy.data[i];
  const out = Tensor.zeros(shape, dy.dtype);
  out.data.set(acc);
  return out;
}
