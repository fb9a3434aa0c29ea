// Reference elementwise ops: plain loops in float64 (JavaScript numbers), for float32 and float64
// tensors alike. The output is float64 when any input is. Shapes are assumed valid (the ops in
// ops/elementwise.ts check them), but broadcasting still throws on incompatible shapes.
import { broadcastShapes, broadcastStrides, forEachIndex, offsetOf, resultDType } from "../broadcast.ts";
import { sizeOf, Tensor, type Shape } from "../tensor.ts";

/** out[i] = f(a[ia], b[ib]) over the NumPy broadcast of a and b. */
function broadcastBinary(op: string, a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = Tensor.zeros(shape, resultDType(a, b));
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  forEachIndex(shape, (idx, i) => (out.data[i] = f(a.data[offsetOf(idx, sa)], b.data[offsetOf(idx, sb)])));
  return out;
}

export const add = (a: Tensor, b: Tensor): Tensor => broadcastBinary("add", a, b, (x, y) => x + y);
export const sub = (a: Tensor, b: Tensor): Tensor => broadcastBinary("sub", a, b, (x, y) => x - y);
export const mul = (a: Tensor, b: Tensor): Tensor => broadcastBinary("mul", a, b, (x, y) => x * y);
export const div = (a: Tensor, b: Tensor): Tensor => broadcastBinary("div", a, b, (x, y) => x / y);

/** Sums x over the axes along which `shape` was broadcast to x.shape (the backward of broadcasting). */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  const acc = new Float64Array(sizeOf(shape));
  const strides = broadcastStrides(shape, x.shape);
  forEachIndex(x.shape, (idx, i) => (acc[offsetOf(idx, strides)] += x.data[i]));
  return Tensor.from(acc, shape, x.dtype);
}

function map(x: Tensor, f: (v: number) => number): Tensor {
  const out = Tensor.zeros(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) out.data[i] = f(x.data[i]);
  return out;
}

function zip(a: Tensor, b: Tensor, f: (u: number, v: number) => number): Tensor {
  const out = Tensor.zeros(a.shape, resultDType(a, b));
  for (let i = 0; i < a.size; i++) out.data[i] = f(a.data[i], b.data[i]);
  return out;
}

export const addScalar = (x: Tensor, s: number): Tensor => map(x, (v) => v + s);
export const mulScalar = (x: Tensor, s: number): Tensor => map(x, (v) => v * s);
export const divScalar = (x: Tensor, s: number): Tensor => map(x, (v) => v / s);

const geluC = Math.sqrt(2 / Math.PI);
const geluK = 0.044715;

/** GPT-2 gelu, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluScalar(x: number): number {
  return 0.5 * x * (1 + Math.tanh(geluC * (x + geluK * x * x * x)));
}

/** d gelu/dx = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²). */
function geluGrad(x: number): number {
  const t = Math.tanh(geluC * (x + geluK * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * geluC * (1 + 3 * geluK * x * x);
}

/** d² gelu/dx² = (1 − tanh² u)·(u′ + 3·√(2/π)·0.044715·x² − x·tanh u·u′²), u′ = √(2/π)·(1 + 3·0.044715·x²). */
function geluSecond(x: number): number {
  const t = Math.tanh(geluC * (x + geluK * x * x * x));
  const du = geluC * (1 + 3 * geluK * x * x);
  return (1 - t * t) * (du + 3 * geluC * geluK * x * x - x * t * du * du);
}

export const exp = (x: Tensor): Tensor => map(x, Math.exp);
export const log = (x: Tensor): Tensor => map(x, Math.log);
export const sqrt = (x: Tensor): Tensor => map(x, Math.sqrt);
export const square = (x: Tensor): Tensor => map(x, (v) => v * v);
export const tanh = (x: Tensor): Tensor => map(x, Math.tanh);
export const gelu = (x: Tensor): Tensor => map(x, geluScalar);

export const expBackward = (y: Tensor, dy: Tensor): Tensor => zip(y, dy, (v, g) => g * v);
export const logBackward = (x: Tensor, dy: Tensor): Tensor => zip(x, dy, (v, g) => g / v);
export const sqrtBackward = (y: Tensor, dy: Tensor): Tensor => zip(y, dy, (v, g) => (0.5 * g) / v);
export const squareBackward = (x: Tensor, dy: Tensor): Tensor => zip(x, dy, (v, g) => 2 * v * g);
export const tanhBackward = (y: Tensor, dy: Tensor): Tensor => zip(y, dy, (v, g) => g * (1 - v * v));
export const geluBackward = (x: Tensor, dy: Tensor): Tensor => zip(x, dy, (v, g) => g * geluGrad(v));
export const geluSecondBackward = (x: Tensor, dy: Tensor): Tensor => zip(x, dy, (v, g) => g * geluSecond(v));

/** dst += src in place (same shape); returns dst. */
export function addInto(dst: Tensor, src: Tensor): Tensor {
  for (let i = 0; i < dst.size; i++) dst.data[i] += src.data[i];
  return dst;
}
