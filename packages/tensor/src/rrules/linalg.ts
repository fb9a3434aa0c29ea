// rrules of matrix products. For Y = A·B: ∂A = dY·Bᵀ, ∂B = Aᵀ·dY — the transposes are flags of
// the GEMM kernel, never materialized.
import { bmm as bmmOp, gemm, linear as linearOp, matmul as matmulOp } from "../ops/matmul.ts";
import { sumAlong } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";
import { watched } from "./anomaly.ts";
import type { RruleResult } from "./types.ts";

type Pair = [Tensor, Tensor];

/**
 * Y = A·B for A (M, K), B (K, N). `out` (M, N), when given, receives Y instead of a new tensor —
 * for a caller that reuses one large buffer across steps (GPT-2's logits).
 */
export function matmul([a, b]: Pair, options: { out?: Tensor } = {}): RruleResult<Tensor, Tensor, Pair> {
  const y = options.out ? gemm(a, b, { out: options.out }) : matmulOp(a, b);
  return watched("matmul", [y, function matmul_pullback(dy) {
    return [gemm(dy, b, { transB: true }), gemm(a, dy, { transA: true })];
  }]);
}

/**
 * Y[i] = op(A[i])·op(B[i]) for A (batch, M, K), B (batch, K, N), op = transpose when transA /
 * transB (A stored (batch, K, M), B stored (batch, N, K)). The cotangents are products of dY with
 * the other operand, transposed as the flags require — again only flags of the GEMM kernel.
 */
export function bmm([a, b]: Pair, options: { transA?: boolean; transB?: boolean } = {}): RruleResult<Tensor, Tensor, Pair> {
  const { transA = false, transB = false } = options;
  const y = bmmOp(a, b, { transA, transB });
  return watched("bmm", [y, function bmm_pullback(dy) {
    // ∂op(A) = dY·op(B)ᵀ and ∂op(B) = op(A)ᵀ·dY; ∂A (∂B) is the transpose of that when transA (transB).
    const da = transA ? bmmOp(b, dy, { transA: transB, transB: true }) : bmmOp(dy, b, { transB: !transB });
    const db = transB ? bmmOp(dy, a, { transA: true, transB: transA }) : bmmOp(a, dy, { transA: !transA });
    return [da, db];
  }]);
}

/** Y = X·W + b for X (N, K), W (K, M), b (M) (ops/matmul.ts `linear`). ∂X = dY·Wᵀ, ∂W = Xᵀ·dY, ∂b = Σ_rows dY. */
export function linear([x, w, b]: [Tensor, Tensor, Tensor]): RruleResult<Tensor, Tensor, [Tensor, Tensor, Tensor]> {
  const y = linearOp(x, w, b);
  return watched("linear", [y, function linear_pullback(dy) {
    return [gemm(dy, w, { transB: true }), gemm(x, dy, { transA: true }), sumAlong(dy, 0)];
  }]);
}
