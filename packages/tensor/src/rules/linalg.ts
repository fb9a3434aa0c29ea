// Rules of matrix products. For Y = A·B: ∂A = dY·Bᵀ, ∂B = Aᵀ·dY — the transposes are flags of the
// GEMM kernel, never materialized.
import { bmm as bmmOp, gemm, linear as linearOp, matmul as matmulOp } from "../ops/matmul.ts";
import { mulScalar } from "../ops/elementwise.ts";
import { sumAlong } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";
import { defineKernel, defineOp } from "./define.ts";
import { broadcastTo, isZero, plus } from "./tangents.ts";

/**
 * C = α·op(A)·op(B) + β·C₀ (C₀ the `out` given): bilinear in A and B, linear in C₀, so
 * Ċ = α·op(Ȧ)·op(B) + α·op(A)·op(Ḃ) + β·Ċ₀ with the same flags. (The tangents are computed before
 * the call, which writes into `out`.)
 */
const gemmKernel = defineKernel({
  op: gemm,
  noRule: "use matmul / linear (gemm's out and beta accumulate into a buffer in place)",
  frule: ([a, b, options = {}], [ta, tb, toptions]) => {
    const { transA = false, transB = false, alpha = 1, beta = 0 } = options;
    const tout = (toptions as { out?: Tensor | null } | null)?.out;
    const ty = plus(
      isZero(ta) ? null : gemm(ta, b, { transA, transB, alpha }),
      isZero(tb) ? null : gemm(a, tb, { transA, transB, alpha }),
      isZero(tout) || beta === 0 ? null : mulScalar(tout, beta),
    );
    return [gemm(a, b, options), ty];
  },
});

/**
 * Y = A·B for A (M, K), B (K, N). `out` (M, N), when given, receives Y instead of a new tensor —
 * for a caller that reuses one large buffer across steps (GPT-2's logits).
 */
export const matmul = defineOp({
  op: matmulOp,
  differentiable: 2,
  kernels: [gemmKernel],
  rule: (a: Tensor, b: Tensor, options: { out?: Tensor } = {}) => [
    matmulOp(a, b, options),
    (dy: Tensor) => [gemm(dy, b, { transB: true }), gemm(a, dy, { transA: true })],
  ],
  frule: ([a, b, options], [ta, tb]) => [matmulOp(a, b, options), plus(isZero(ta) ? null : matmulOp(ta, b), isZero(tb) ? null : matmulOp(a, tb))],
});

/**
 * Y[i] = op(A[i])·op(B[i]) for A (batch, M, K), B (batch, K, N), op = transpose when transA /
 * transB (A stored (batch, K, M), B stored (batch, N, K)). The cotangents are products of dY with
 * the other operand, transposed as the flags require — again only flags of the GEMM kernel.
 */
export const bmm = defineOp({
  op: bmmOp,
  differentiable: 2,
  kernels: [],
  rule: (a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}) => {
    const { transA = false, transB = false } = options;
    return [
      bmmOp(a, b, { transA, transB }),
      (dy: Tensor) => {
        // ∂op(A) = dY·op(B)ᵀ and ∂op(B) = op(A)ᵀ·dY; ∂A (∂B) is the transpose of that when transA (transB).
        const da = transA ? bmmOp(b, dy, { transA: transB, transB: true }) : bmmOp(dy, b, { transB: !transB });
        const db = transB ? bmmOp(dy, a, { transA: true, transB: transA }) : bmmOp(a, dy, { transA: !transA });
        return [da, db];
      },
    ];
  },
  frule: ([a, b, options], [ta, tb]) => [
    bmmOp(a, b, options),
    plus(isZero(ta) ? null : bmmOp(ta, b, options), isZero(tb) ? null : bmmOp(a, tb, options)),
  ],
});

/** Y = X·W + b for X (N, K), W (K, M), b (M). ∂X = dY·Wᵀ, ∂W = Xᵀ·dY, ∂b = Σ_rows dY. */
export const linear = defineOp({
  op: linearOp,
  differentiable: 3,
  kernels: [gemmKernel],
  rule: (x: Tensor, w: Tensor, b: Tensor) => [
    linearOp(x, w, b),
    (dy: Tensor) => [gemm(dy, w, { transB: true }), gemm(x, dy, { transA: true }), sumAlong(dy, 0)],
  ],
  frule: ([x, w, b], [tx, tw, tb]) => {
    const y = linearOp(x, w, b);
    return [y, broadcastTo(plus(isZero(tx) ? null : matmulOp(tx, w), isZero(tw) ? null : matmulOp(x, tw), isZero(tb) ? null : tb), y)];
  },
});
