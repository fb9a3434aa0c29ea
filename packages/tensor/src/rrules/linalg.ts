// rrules of matrix products. For Y = A·B: ∂A = dY·Bᵀ, ∂B = Aᵀ·dY — the transposes are flags of
// the GEMM kernel, never materialized.
import { bmm as bmmOp, gemm, matmul as matmulOp } from "../ops/matmul.ts";
import type { Tensor } from "../tensor.ts";
import type { RruleResult } from "./types.ts";

type Pair = [Tensor, Tensor];

/** Y = A·B for A (M, K), B (K, N). */
export function matmul([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = matmulOp(a, b);
  return [y, function matmul_pullback(dy) {
    return [gemm(dy, b, { transB: true }), gemm(a, dy, { transA: true })];
  }];
}

/** Y[i] = A[i]·B[i] for A (batch, M, K), B (batch, K, N). */
export function bmm([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = bmmOp(a, b);
  return [y, function bmm_pullback(dy) {
    return [bmmOp(dy, b, { transB: true }), bmmOp(a, dy, { transA: true })];
  }];
}
