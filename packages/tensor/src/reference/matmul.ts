// Reference GEMM family: plain loops with float64 accumulation, for float32 and float64 tensors.
// Shapes are validated by the ops in ../ops/matmul.ts; these assume valid arguments.
import { Tensor } from "../tensor.ts";

export interface GemmReferenceOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** C: read when beta ≠ 0, always written; a new tensor of a's dtype when omitted. */
  out?: Tensor;
}

/**
 * One (batch-)matrix of C = alpha·op(A)·op(B) + beta·C on flat arrays at offsets.
 * op(A) is m×k (A stored k×m when transA), op(B) is k×n (B stored n×k when transB).
 */
function gemmInto(
  a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, c: { [i: number]: number }, cOff: number,
  m: number, n: number, k: number, transA: boolean, transB: boolean, alpha: number, beta: number,
): void {
  const lda = transA ? m : k, ldb = transB ? k : n;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        const y = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        s += x * y;
      }
      const at = cOff + i * n + j;
      c[at] = beta === 0 ? alpha * s : alpha * s + beta * c[at];
    }
  }
}

/** C = alpha·op(A)·op(B) + beta·C for 2-D a, b. */
export function gemm(a: Tensor, b: Tensor, options: GemmReferenceOptions = {}): Tensor {
  const { transA = false, transB = false, alpha = 1, beta = 0 } = options;
  const m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1];
  const n = transB ? b.shape[0] : b.shape[1];
  const out = options.out ?? Tensor.zeros([m, n], a.dtype);
  gemmInto(a.data, 0, b.data, 0, out.data, 0, m, n, k, transA, transB, alpha, beta);
  return out;
}

/** (M, K)·(K, N) → (M, N). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return gemm(a, b);
}

/** Batched op(A_i)·op(B_i) for 3-D a, b with equal batch sizes. */
export function bmm(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const { transA = false, transB = false } = options;
  const batch = a.shape[0];
  const m = transA ? a.shape[2] : a.shape[1], k = transA ? a.shape[1] : a.shape[2];
  const n = transB ? b.shape[1] : b.shape[2];
  const out = Tensor.zeros([batch, m, n], a.dtype);
  for (let i = 0; i < batch; i++) gemmInto(a.data, i * m * k, b.data, i * k * n, out.data, i * m * n, m, n, k, transA, transB, 1, 0);
  return out;
}
