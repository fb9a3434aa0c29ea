// Global-norm gradient clipping over a nested structure of Tensors (works on `.data` in place).
import type { ParamTree } from "@pullback/gpt2";
import { namedTensors } from "./params.ts";

/** The L2 norm of all the elements of all the tensors of `tree` (float64 accumulation). NaN/∞ propagate. */
export function globalNorm(tree: ParamTree): number {
  let sq = 0;
  for (const [, t] of namedTensors(tree)) {
    const d = t.data;
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i] * d[i];
    sq += s;
  }
  return Math.sqrt(sq);
}

/**
 * Scales every gradient in place by maxNorm / norm when the global norm exceeds `maxNorm`
 * (maxNorm ≤ 0: no clipping). Returns the norm before clipping and the scale applied (1 = none).
 * A non-finite norm is returned unchanged and nothing is scaled: the trainer stops on it.
 */
export function clipGradients(tree: ParamTree, maxNorm: number): { norm: number; scale: number } {
  const norm = globalNorm(tree);
  if (!(maxNorm > 0) || !Number.isFinite(norm) || norm <= maxNorm) return { norm, scale: 1 };
  const scale = maxNorm / norm;
  for (const [, t] of namedTensors(tree)) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) d[i] *= scale;
  }
  return { norm, scale };
}
