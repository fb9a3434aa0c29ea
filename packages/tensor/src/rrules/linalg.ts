// rrules of matrix products. For Y = A·B: ∂A = dY·Bᵀ, ∂B = Aᵀ·dY — the transposes are flags of
// the GEMM kernel, never materialized.
import { check, fmtShape } from "../errors.ts";
import { bmm as bmmOp, gemm, matmul as matmulOp } from "../ops/matmul.ts";
import { sumAlong } from "../ops/reduce.ts";
import { Tensor } from "../tensor.ts";
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

/** Y[i] = A[i]·B[i] for A (batch, M, K), B (batch, K, N). */
export function bmm([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = bmmOp(a, b);
  return watched("bmm", [y, function bmm_pullback(dy) {
    return [bmmOp(dy, b, { transB: true }), bmmOp(a, dy, { transA: true })];
  }]);
}

/**
 * Y = X·W + b for X (N, K), W (K, M), b (M): a dense layer. The bias is written into every row of
 * Y and the GEMM accumulates onto it (beta = 1), so the bias costs no extra pass or allocation.
 * ∂X = dY·Wᵀ, ∂W = Xᵀ·dY, ∂b = Σ_rows dY.
 */
export function linear([x, w, b]: [Tensor, Tensor, Tensor]): RruleResult<Tensor, Tensor, [Tensor, Tensor, Tensor]> {
  check(x.ndim === 2 && w.ndim === 2 && b.ndim === 1 && w.shape[1] === b.shape[0], "linear", () =>
    `expected x (N, K), w (K, M), b (M,); got x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)}, b ${fmtShape(b.shape)}`);
  const [n] = x.shape;
  const m = w.shape[1];
  const y = Tensor.empty([n, m], x.dtype); // every row is written with b below
  if (n > 0 && m > 0) {
    // Row 0 ← b, then double the filled prefix: log2(N) copies instead of N.
    y.data.set(b.data, 0);
    for (let filled = m; filled < y.size; filled *= 2) y.data.copyWithin(filled, 0, Math.min(filled, y.size - filled));
  }
  gemm(x, w, { beta: 1, out: y });
  return watched("linear", [y, function linear_pullback(dy) {
    return [gemm(dy, w, { transB: true }), gemm(x, dy, { transA: true }), sumAlong(dy, 0)];
  }]);
}
