// Rules of matrix products. For Y = A·B: ∂A = dY·Bᵀ, ∂B = Aᵀ·dY — the transposes are flags of the
// GEMM kernel, never materialized.
import { bmm as bmmOp, gemm, linear as linearOp, matmul as matmulOp } from "../ops/matmul.ts";
import { sumAlong } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";
import { defineOp } from "./define.ts";

/**
 * Y = A·B for A (M, K), B (K, N). `out` (M, N), when given, receives Y instead of a new tensor —
 * for a caller that reuses one large buffer across steps (GPT-2's logits).
 */
export const matmul = defineOp({
  op: matmulOp, differentiable: 2, kernels: [gemm],
  rule: (a: Tensor, b: Tensor, options: { out?: Tensor } = {}) => [matmulOp(a, b, options), (dy: Tensor) => [gemm(dy, b, { transB: true }), gemm(a, dy, { transA: true })]],
});

/**
 * Y[i] = op(A[i])·op(B[i]) for A (batch, M, K), B (batch, K, N), op = transpose when transA /
 * transB (A stored (batch, K, M), B stored (batch, N, K)). The cotangents are products of dY with
 * the other operand, transposed as the flags require — again only flags of the GEMM kernel.
 */
export const bmm = defineOp({
  op: bmmOp, differentiable: 2, kernels: [],
  rule: (a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}) => {
    const { transA = false, transB = false } = options;
    return [bmmOp(a, b, { transA, transB }), (dy: Tensor) => {
      // ∂op(A) = dY·op(B)ᵀ and ∂op(B) = op(A)ᵀ·dY; ∂A (∂B) is the transpose of that when transA (transB).
      const da = transA ? bmmOp(b, dy, { transA: transB, transB: true }) : bmmOp(dy, b, { transB: !transB });
      const db = transB ? bmmOp(dy, a, { transA: true, transB: transA }) : bmmOp(a, dy, { transA: !transA });
      return [da, db];
    }];
  },
});

/** Y = X·W + b for X (N, K), W (K, M), b (M). ∂X = dY·Wᵀ, ∂W = Xᵀ·dY, ∂b = Σ_rows dY. */
export const linear = defineOp({
  op: linearOp, differentiable: 3, kernels: [gemm],
  rule: (x: Tensor, w: Tensor, b: Tensor) => [linearOp(x, w, b), (dy: Tensor) => [gemm(dy, w, { transB: true }), gemm(x, dy, { transA: true }), sumAlong(dy, 0)]],
});
