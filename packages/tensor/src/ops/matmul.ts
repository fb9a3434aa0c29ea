// The GEMM family: gemm (C = alpha·op(A)·op(B) + beta·C), matmul, batched bmm and the dense
// layer linear (X·W + b).
// float32 runs on zig-kernels/src/gemm.zig; float64 (or PULLBACK_BACKEND=reference) on the reference.
// Under setPrecision("bf16") (../precision.ts) float32 products take bf16 inputs with float32
// accumulation (pb_gemm_bf16); float64 products are never rounded.
import { useNative } from "../backend.ts";
import { bf16KernelCode, getBf16Kernel, getPrecision } from "../precision.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/matmul.ts";
import { Tensor, type TensorData } from "../tensor.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  // trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
  pb_gemm: { args: ["u32", "u32", "u64", "u64", "u64", "f32", "ptr", "u64", "ptr", "u64", "f32", "ptr", "u64"], returns: "void" },
  // … then batch, stride_a, stride_b, stride_c
  pb_gemm_batched: {
    args: ["u32", "u32", "u64", "u64", "u64", "f32", "ptr", "u64", "ptr", "u64", "f32", "ptr", "u64", "u64", "u64", "u64", "u64"],
    returns: "void",
  },
  // impl (bf16KernelCode), then the arguments of pb_gemm / pb_gemm_batched
  pb_gemm_bf16: { args: ["u32", "u32", "u32", "u64", "u64", "u64", "f32", "ptr", "u64", "ptr", "u64", "f32", "ptr", "u64"], returns: "void" },
  pb_gemm_batched_bf16: {
    args: ["u32", "u32", "u32", "u64", "u64", "u64", "f32", "ptr", "u64", "ptr", "u64", "f32", "ptr", "u64", "u64", "u64", "u64", "u64"],
    returns: "void",
  },
});

/** True when a product of float32 tensors takes bf16 inputs (setPrecision("bf16")). */
function bf16(a: Tensor): boolean {
  return a.dtype === "float32" && getPrecision() === "bf16";
}

type GemmArgs = [number, number, number, number, number, number, TensorData, number, TensorData, number, number, TensorData, number];

/** pb_gemm, or pb_gemm_bf16 under the bf16 precision. */
function runGemm(useBf16: boolean, ...args: GemmArgs): void {
  if (useBf16) K.pb_gemm_bf16(bf16KernelCode[getBf16Kernel()], ...args);
  else K.pb_gemm(...args);
}

export interface GemmOptions {
  /** Use Aᵀ: a is stored (K, M). */
  transA?: boolean;
  /** Use Bᵀ: b is stored (N, K). */
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** C, updated in place and returned: read when beta ≠ 0 (required then), only written when beta = 0. */
  out?: Tensor;
}

/** `a (3, 4)` or `a (4, 3)ᵀ`: an operand as the error messages show it. */
function operand(name: string, t: Tensor, trans: boolean): string {
  return `${name} ${fmtShape(t.shape)}${trans ? "ᵀ" : ""}`;
}

function overlaps(x: TensorData, y: TensorData): boolean {
  if (x.buffer !== y.buffer) return false;
  const x0 = x.byteOffset,
    x1 = x0 + x.byteLength,
    y0 = y.byteOffset,
    y1 = y0 + y.byteLength;
  return x0 < y1 && y0 < x1;
}

function checkFlag(op: string, name: string, v: unknown): void {
  check(v === undefined || typeof v === "boolean", op, () => `${name} must be a boolean, got ${String(v)}`);
}

function checkScalar(op: string, name: string, v: number): void {
  check(typeof v === "number" && Number.isFinite(v), op, () => `${name} must be a finite number, got ${String(v)}`);
}

/** Validates 2-D or 3-D operands; returns [batch, m, n, k]. */
function dims(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean, rank: 2 | 3): [number, number, number, number] {
  check(a.ndim === rank, op, () => `a must be ${rank}-D, got shape ${fmtShape(a.shape)}`);
  check(b.ndim === rank, op, () => `b must be ${rank}-D, got shape ${fmtShape(b.shape)}`);
  check(a.dtype === b.dtype, op, () => `a is ${a.dtype} but b is ${b.dtype}`);
  const o = rank - 2;
  const batch = rank === 3 ? a.shape[0] : 1;
  check(rank === 2 || b.shape[0] === batch, op, () => `batch sizes differ: ${operand("a", a, false)} · ${operand("b", b, false)}`);
  const m = transA ? a.shape[o + 1] : a.shape[o],
    ka = transA ? a.shape[o] : a.shape[o + 1];
  const kb = transB ? b.shape[o + 1] : b.shape[o],
    n = transB ? b.shape[o] : b.shape[o + 1];
  check(ka === kb, op, () => `inner dimensions differ: ${operand("a", a, transA)} · ${operand("b", b, transB)}`);
  return [batch, m, n, ka];
}

/**
 * C = alpha·op(A)·op(B) + beta·C for 2-D a, b (op = transpose when transA / transB).
 * Returns `out` (updated in place) when given, else a new (M, N) tensor.
 */
export const gemm = withTangents(function gemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor {
  const op = "gemm";
  const { transA = false, transB = false, alpha = 1, beta = 0, out } = options;
  checkFlag(op, "transA", transA);
  checkFlag(op, "transB", transB);
  checkScalar(op, "alpha", alpha);
  checkScalar(op, "beta", beta);
  const [, m, n, k] = dims(op, a, b, transA, transB, 2);
  if (out !== undefined) {
    check(out instanceof Tensor, op, () => `out must be a Tensor`);
    check(
      out.ndim === 2 && out.shape[0] === m && out.shape[1] === n,
      op,
      () => `out ${fmtShape(out.shape)} must have shape ${fmtShape([m, n])} for ${operand("a", a, transA)} · ${operand("b", b, transB)}`,
    );
    check(out.dtype === a.dtype, op, () => `out is ${out.dtype} but a and b are ${a.dtype}`);
    check(!overlaps(out.data, a.data) && !overlaps(out.data, b.data), op, () => `out must not share memory with a or b`);
  } else {
    check(beta === 0, op, () => `beta = ${beta} needs out (the C to accumulate into)`);
  }
  if (!useNative(a, b)) return (bf16(a) ? ref.gemmBf16 : ref.gemm)(a, b, { transA, transB, alpha, beta, out });
  // With k > 0 the kernel writes every element of C when beta = 0: no zero-fill needed.
  const c = out ?? (k > 0 ? Tensor.empty([m, n]) : Tensor.zeros([m, n]));
  if (m === 0 || n === 0) return c;
  if (k === 0) {
    // An empty sum: C = beta·C.
    if (beta === 0) c.data.fill(0);
    else for (let i = 0; i < c.size; i++) c.data[i] *= beta;
    return c;
  }
  runGemm(bf16(a), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.data, transA ? m : k, b.data, transB ? k : n, beta, c.data, n);
  return c;
});

/**
 * (M, K)·(K, N) → (M, N). `out` (M, N), when given, receives the product instead of a new tensor
 * (a buffer reused across steps, e.g. GPT-2's logits).
 */
export const matmul = withTangents(function matmul(a: Tensor, b: Tensor, options: { out?: Tensor } = {}): Tensor {
  const op = "matmul";
  if (options.out) return gemm(a, b, { out: options.out });
  const [, m, n, k] = dims(op, a, b, false, false, 2);
  if (!useNative(a, b)) return bf16(a) ? ref.gemmBf16(a, b) : ref.matmul(a, b);
  const c = k > 0 ? Tensor.empty([m, n]) : Tensor.zeros([m, n]); // the kernel writes all of C
  if (m > 0 && n > 0 && k > 0) runGemm(bf16(a), 0, 0, m, n, k, 1, a.data, k, b.data, n, 0, c.data, n);
  return c;
});

/** Batched op(A_i)·op(B_i): a (batch, M, K) — (batch, K, M) when transA — · b (batch, K, N) — (batch, N, K) when transB — → (batch, M, N). */
export const bmm = withTangents(function bmm(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const op = "bmm";
  const { transA = false, transB = false } = options;
  checkFlag(op, "transA", transA);
  checkFlag(op, "transB", transB);
  const [batch, m, n, k] = dims(op, a, b, transA, transB, 3);
  if (!useNative(a, b)) return bf16(a) ? ref.bmm(ref.roundBf16(a), ref.roundBf16(b), { transA, transB }) : ref.bmm(a, b, { transA, transB });
  const c = k > 0 ? Tensor.empty([batch, m, n]) : Tensor.zeros([batch, m, n]); // the kernel writes all of C
  if (batch > 0 && m > 0 && n > 0 && k > 0) {
    const args = [
      transA ? 1 : 0,
      transB ? 1 : 0,
      m,
      n,
      k,
      1,
      a.data,
      transA ? m : k,
      b.data,
      transB ? k : n,
      0,
      c.data,
      n,
      batch,
      m * k,
      k * n,
      m * n,
    ] as const;
    if (bf16(a)) K.pb_gemm_batched_bf16(bf16KernelCode[getBf16Kernel()], ...args);
    else K.pb_gemm_batched(...args);
  }
  return c;
});

/**
 * Y = X·W + b for x (N, K), w (K, M), b (M): a dense layer. The bias is written into every row of
 * Y and the GEMM accumulates onto it (beta = 1), so the bias costs no extra pass or allocation.
 */
export const linear = withTangents(function linear(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const op = "linear";
  for (const [name, t] of [
    ["x", x],
    ["w", w],
    ["b", b],
  ] as const)
    check(t instanceof Tensor, op, () => `${name} must be a Tensor`);
  check(
    x.ndim === 2 && w.ndim === 2 && b.ndim === 1 && x.shape[1] === w.shape[0] && w.shape[1] === b.shape[0],
    op,
    () => `expected x (N, K), w (K, M), b (M,); got x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)}, b ${fmtShape(b.shape)}`,
  );
  check(x.dtype === w.dtype && x.dtype === b.dtype, op, () => `dtypes differ: x ${x.dtype}, w ${w.dtype}, b ${b.dtype}`);
  const [n] = x.shape;
  const m = w.shape[1];
  const y = Tensor.empty([n, m], x.dtype); // every row is written with b below
  if (n > 0 && m > 0) {
    // Row 0 ← b, then double the filled prefix: log2(N) copies instead of N.
    y.data.set(b.data, 0);
    for (let filled = m; filled < y.size; filled *= 2) y.data.copyWithin(filled, 0, Math.min(filled, y.size - filled));
  }
  return gemm(x, w, { beta: 1, out: y });
});
