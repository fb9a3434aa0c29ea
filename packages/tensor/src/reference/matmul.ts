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
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  c: { [i: number]: number },
  cOff: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
): void {
  const lda = transA ? m : k,
    ldb = transB ? k : n;
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
  const m = transA ? a.shape[1] : a.shape[0],
    k = transA ? a.shape[0] : a.shape[1];
  const n = transB ? b.shape[0] : b.shape[1];
  const out = options.out ?? Tensor.zeros([m, n], a.dtype);
  gemmInto(a.data, 0, b.data, 0, out.data, 0, m, n, k, transA, transB, alpha, beta);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * x rounded to bfloat16 (returned as the float it represents): round to nearest, ties to even;
 * NaN stays NaN; a result in bf16's subnormal range is flushed to ±0 (vdpbf16ps reads bf16
 * subnormals as zero). x is first rounded to float32.
 */
export function bf16Round(x: number): number {
  f32[0] = x;
  const u = u32[0];
  let r: number;
  if ((u & 0x7fffffff) > 0x7f800000) r = (u >>> 16) | 0x40;
  else {
    r = Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 65536); // < 2^16: u ≤ 0xff800000 here
    if ((r & 0x7f80) === 0) r &= 0x8000;
  }
  u32[0] = (r << 16) >>> 0;
  return f32[0];
}

/** A copy of t with every element rounded to bfloat16 (`bf16Round`). */
export function roundBf16(t: Tensor): Tensor {
  const out = Tensor.empty(t.shape, t.dtype);
  for (let i = 0; i < t.size; i++) out.data[i] = bf16Round(t.data[i]);
  return out;
}

/** The bf16 GEMM: C = alpha·bf16(op(A))·bf16(op(B)) + beta·C, float64 accumulation. */
export function gemmBf16(a: Tensor, b: Tensor, options: GemmReferenceOptions = {}): Tensor {
  return gemm(roundBf16(a), roundBf16(b), options);
}

/** (M, K)·(K, N) → (M, N). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return gemm(a, b);
}

/** Batched op(A_i)·op(B_i) for 3-D a, b with equal batch sizes. */
export function bmm(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const { transA = false, transB = false } = options;
  const batch = a.shape[0];
  const m = transA ? a.shape[2] : a.shape[1],
    k = transA ? a.shape[1] : a.shape[2];
  const n = transB ? b.shape[1] : b.shape[2];
  const out = Tensor.zeros([batch, m, n], a.dtype);
  for (let i = 0; i < batch; i++) gemmInto(a.data, i * m * k, b.data, i * k * n, out.data, i * m * n, m, n, k, transA, transB, 1, 0);
  return out;
}
