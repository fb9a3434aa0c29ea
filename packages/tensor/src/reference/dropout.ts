// Reference dropout: element i is kept iff philoxUniform(seed, offset, i) ≥ p and then scaled by
// 1/(1 − p). It uses reference/philox.ts, so its mask is bit-identical to the Zig kernel's.
import { Tensor } from "../tensor.ts";
import { philoxUniform } from "./philox.ts";

export function dropout(x: Tensor, p: number, seed: number, offset: number): Tensor {
  const y = Tensor.zeros(x.shape, x.dtype);
  const scale = 1 / (1 - p);
  for (let i = 0; i < x.size; i++) if (philoxUniform(seed, offset, i) >= p) y.data[i] = x.data[i] * scale;
  return y;
}

/** The same mask and scale applied to dy. */
export function dropoutBackward(dy: Tensor, p: number, seed: number, offset: number): Tensor {
  return dropout(dy, p, seed, offset);
}

/** x + dropout(y, p, seed, offset): the dropout rounded to x's dtype, then added (as the two ops do). */
export function addDropout(x: Tensor, y: Tensor, p: number, seed: number, offset: number): Tensor {
  const dtype = x.dtype === "float64" || y.dtype === "float64" ? "float64" : "float32";
  const d = p === 0 ? y : dropout(y, p, seed, offset);
  const out = Tensor.zeros(x.shape, dtype);
  for (let i = 0; i < out.size; i++) out.data[i] = x.data[i] + d.data[i];
  return out;
}
