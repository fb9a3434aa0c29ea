// Helpers shared by the softmax / layernorm / cross-entropy / embedding / dropout / adam tests.
import { Rng } from "../src/rng.ts";
import { Tensor } from "../src/tensor.ts";
import { diff, dot, numericGradients, randomCotangent } from "../src/testing.ts";

/** The sizes every kernel is checked at (SIMD widths ± 1 and scalar tails). */
export const sizes = [1, 3, 7, 17, 63, 64, 65, 127, 128, 129];

/** Rows `rows` of a 2-D tensor, copied into a new (rows.length, C) tensor of the same dtype. */
export function selectRows(t: Tensor, rows: number[]): Tensor {
  const c = t.shape[t.ndim - 1];
  const out = Tensor.zeros([rows.length, c], t.dtype);
  rows.forEach((r, i) => out.data.set(t.data.subarray(r * c, r * c + c), i * c));
  return out;
}

/** About `count` row numbers spread over 0..n−1, always including the first and the last. */
export function spreadRows(n: number, count: number): number[] {
  const step = Math.max(1, Math.floor(n / count));
  const rows: number[] = [];
  for (let r = 0; r < n; r += step) rows.push(r);
  if (rows[rows.length - 1] !== n - 1) rows.push(n - 1);
  return rows;
}

/**
 * Checks an analytic backward against central finite differences of `forward` in float64:
 * loss = Σ_k dot(outputs[k], cotangents[k]); `backward(cotangents)` returns one gradient per
 * input. Prints and returns the max relative error (floored at 1e-3 so tiny entries do not dominate).
 */
export function checkGradients(
  name: string,
  forward: (inputs: Tensor[]) => Tensor[],
  backward: (cotangents: Tensor[]) => Tensor[],
  inputs: Tensor[],
  seed: number,
  wrt?: number[],
): number {
  const outs = forward(inputs);
  const cots = outs.map((o, k) => randomCotangent(o.shape, seed + k));
  const loss = (xs: Tensor[]) => forward(xs).reduce((s, o, k) => s + dot(o, cots[k]), 0);
  const numeric = numericGradients(loss, inputs, { wrt });
  const analytic = backward(cots);
  let worst = 0;
  for (const k of wrt ?? inputs.map((_, i) => i)) worst = Math.max(worst, diff(analytic[k].data, numeric[k].data, 1e-3).maxRel);
  console.log(`${name}: backward vs central differences (float64), max rel error ${worst.toExponential(2)}`);
  return worst;
}

/** `k` random integer indices in [0, limit) (repeats included). */
export function randIndices(k: number, limit: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: k }, () => rng.int(limit));
}
