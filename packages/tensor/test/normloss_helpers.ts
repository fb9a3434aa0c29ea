// Helpers shared by the softmax / layernorm / cross-entropy / embedding / dropout / adam tests.
import { Rng } from "../src/rng.ts";
import { Tensor } from "../src/tensor.ts";
import { checkBackward, type BackwardCheckReport } from "../src/testing.ts";

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
 * checkBackward (float64: central finite differences of <outputs, random cotangents>) of an op given as
 * `forward` (its outputs) and its analytic `backward` (one gradient per input from one cotangent
 * per output). Throws a BackwardCheckError naming the input and element where
 * |analytic − numeric| > rtol·(|numeric| + 1e-3); prints the largest relative error.
 */
export function checkGradients(
  name: string,
  forward: (inputs: Tensor[]) => Tensor[],
  backward: (cotangents: Tensor[]) => Tensor[],
  inputs: Tensor[],
  seed: number,
  rtol = 1e-6,
): BackwardCheckReport {
  const rule = (xs: Tensor[]): [Tensor[], (cotangents: Tensor[]) => Tensor[]] => [forward(xs), backward];
  const report = checkBackward(rule, inputs, { seed, rtol, atol: 1e-3 * rtol, what: name });
  console.log(
    `${name}: backward vs central differences (float64), max rel error ${Math.max(...report.entries.map((e) => e.maxRel)).toExponential(2)}`,
  );
  return report;
}

/** `k` random integer indices in [0, limit) (repeats included). */
export function randIndices(k: number, limit: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: k }, () => rng.int(limit));
}
