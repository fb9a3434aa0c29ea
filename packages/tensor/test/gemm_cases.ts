// The GEMM cases the float32 (matmul.test.ts) and bf16 (matmul_bf16.test.ts) tests share: both
// transposes, operands stored as the op reads them, and mixed kernel sizes.
import type { Tensor } from "../src/tensor.ts";
import { kernelSizes, randTensor } from "../src/testing.ts";

export const flags = [false, true];

/** A (rows, cols) operand stored as the op reads it: (cols, rows) when transposed. */
export function operand(rows: number, cols: number, trans: boolean, seed: number, dtype: "float32" | "float64" = "float32"): Tensor {
  return randTensor(trans ? [cols, rows] : [rows, cols], seed, { dtype });
}

export interface GemmCase {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  /** (m, k) and (k, n), stored transposed where transA / transB say so. */
  a: Tensor;
  b: Tensor;
}

/**
 * Every transpose combination over mixed sizes: every kernel size appears as m, n and k, in
 * rotating combinations (not the full cube: keeps it fast).
 */
export function* mixedGemmCases(): Generator<GemmCase> {
  let seed = 1;
  const s = kernelSizes;
  for (const transA of flags)
    for (const transB of flags) {
      for (let i = 0; i < s.length; i++)
        for (const shift of [0, 3, 7]) {
          const m = s[i],
            n = s[(i + shift) % s.length],
            k = s[(i + 2 * shift + 1) % s.length];
          yield { transA, transB, m, n, k, a: operand(m, k, transA, seed++), b: operand(k, n, transB, seed++) };
        }
    }
}
