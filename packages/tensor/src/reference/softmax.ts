// Reference softmax / log-softmax along the last axis: plain loops, float64 arithmetic,
// output in the input's dtype (float32 or float64).
import { Tensor } from "../tensor.ts";

function rowsOf(x: Tensor): [number, number] {
  const cols = x.ndim === 0 ? 1 : x.shape[x.ndim - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

/** log Σ_j exp(data[offset + j]) for j < cols, stabilized by the row max (float64). */
export function rowLogSumExp(data: ArrayLike<number>, offset: number, cols: number): number {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, data[offset + j]);
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(data[offset + j] - m);
  return m + Math.log(s);
}

function forward(x: Tensor, log: boolean): Tensor {
  const [rows, cols] = rowsOf(x);
  const y = Tensor.zeros(x.shape, x.dtype);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = rowLogSumExp(x.data, o, cols);
    for (let j = 0; j < cols; j++) y.data[o + j] = log ? x.data[o + j] - lse : Math.exp(x.data[o + j] - lse);
  }
  return y;
}

/** y = exp(x − max) / Σ exp(x − max) along the last axis. */
export function softmax(x: Tensor): Tensor {
  return forward(x, false);
}

/** y = x − logΣexp(x) along the last axis. */
export function logSoftmax(x: Tensor): Tensor {
  return forward(x, true);
}

/** Per row: s = Σ_j weight(j)·dy_j, then dx_j = rule(y_j, dy_j, s). */
function backward(y: Tensor, dy: Tensor, weight: (yj: number) => number, rule: (yj: number, dyj: number, s: number) => number): Tensor {
  const [rows, cols] = rowsOf(y);
  const dx = Tensor.zeros(y.shape, y.dtype);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += weight(y.data[o + j]) * dy.data[o + j];
    for (let j = 0; j < cols; j++) dx.data[o + j] = rule(y.data[o + j], dy.data[o + j], s);
  }
  return dx;
}

/** dx = y·(dy − Σ dy·y) for y = softmax(x). */
export function softmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return backward(
    y,
    dy,
    (yj) => yj,
    (yj, dyj, s) => yj * (dyj - s),
  );
}

/** dx = dy − softmax·Σdy for y = logSoftmax(x) (softmax = exp(y)). */
export function logSoftmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return backward(
    y,
    dy,
    () => 1,
    (yj, dyj, s) => dyj - Math.exp(yj) * s,
  );
}
