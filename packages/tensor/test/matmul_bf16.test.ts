// bf16 GEMMs (setPrecision("bf16")): inputs rounded to bfloat16, float32 accumulation, on every
// kernel — AMX and vdpbf16ps where this CPU has them (else they fall back) and the emulated one,
// forced — against a plain TypeScript reference that rounds the inputs the same way and sums in
// float64. vdpbf16ps and the emulation must agree bit for bit.
//
// Tolerance: both sides multiply the same bf16 numbers, whose products are exact in float32, so
// they differ only by the float32 rounding of the sums: |fl(Σ) − Σ| ≤ (k+1)·2⁻²⁴·Σ|a·b| for any
// summation order (Higham, γ_k), plus a few ulps for alpha, beta and the final store. Σ|a·b| is
// the reference on |A|, |B|. This is far below the bf16 rounding of the inputs itself (2⁻⁹
// relative per input), so a kernel that did not round, or rounded differently, fails (tested).
import { afterEach, describe, expect, test } from "bun:test";
import {
  bf16KernelInUse,
  bf16Support,
  bmm,
  resolveBf16Kernel,
  gemm,
  getPrecision,
  linear,
  matmul,
  setBf16Kernel,
  setPrecision,
  Tensor,
  withPrecision,
  type Bf16Kernel,
} from "@pullback/tensor";
import * as ref from "@pullback/tensor/reference";
import { randTensor } from "@pullback/tensor/testing";
import { flags, mixedGemmCases, operand } from "./gemm_cases.ts";

const kernels: Bf16Kernel[] = ["avx512", "emulated", "amx"];
const u = 2 ** -24;

afterEach(() => {
  setPrecision("fp32");
  setBf16Kernel("auto");
});

interface Case {
  transA: boolean;
  transB: boolean;
  alpha?: number;
  beta?: number;
  c0?: Tensor;
  rows?: number[];
  cols?: number[];
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Checks C (float32, from a bf16 GEMM) against the bf16 reference — inputs rounded by
 * `ref.bf16Round`, products summed in float64 — on rows `rows` × columns `cols` of C (all by
 * default); returns the largest error relative to its tolerance.
 */
function checkBf16(c: Tensor, a: Tensor, b: Tensor, cs: Case, what: string): number {
  const { transA, transB, alpha = 1, beta = 0 } = cs;
  const m = c.shape[0],
    n = c.shape[1];
  const k = transA ? a.shape[0] : a.shape[1];
  const rows = cs.rows ?? all(m),
    cols = cs.cols ?? all(n);
  const opA = (i: number, p: number) => (transA ? a.data[p * m + i] : a.data[i * k + p]);
  const opB = (p: number, j: number) => (transB ? b.data[j * k + p] : b.data[p * n + j]);
  const colsB = cols.map((j) => Float64Array.from({ length: k }, (_, p) => ref.bf16Round(opB(p, j))));
  const rowA = new Float64Array(k);
  let worst = 0;
  for (const i of rows) {
    for (let p = 0; p < k; p++) rowA[p] = ref.bf16Round(opA(i, p));
    cols.forEach((j, o) => {
      const col = colsB[o];
      let sum = 0,
        sumAbs = 0;
      for (let p = 0; p < k; p++) {
        const x = rowA[p] * col[p];
        sum += x;
        sumAbs += Math.abs(x);
      }
      const c0 = cs.c0 ? cs.c0.data[i * n + j] : 0;
      const want = alpha * sum + (beta === 0 ? 0 : beta * c0);
      const tol = (k + 1) * u * Math.abs(alpha) * sumAbs + 4 * u * (Math.abs(want) + Math.abs(beta * c0)) + 1e-30;
      const got = c.data[i * n + j];
      const r = Math.abs(got - want) / tol;
      if (!(r <= 1)) throw new Error(`${what}: C[${i}][${j}] = ${got}, want ${want} ± ${tol.toExponential(2)}`);
      worst = Math.max(worst, r);
    });
  }
  return worst;
}

/**
 * Runs fn with the bf16 precision on each kernel (avx512, emulated, amx); the first two must be
 * bit-identical. Returns the three results, each to be checked against the reference.
 */
function allKernels(fn: () => Tensor): Tensor[] {
  const out: Tensor[] = [];
  for (const k of kernels) {
    setBf16Kernel(k);
    out.push(withPrecision("bf16", fn));
  }
  setBf16Kernel("auto");
  const [x, y] = out;
  expect(x.shape).toEqual(y.shape);
  const xb = new Uint32Array(x.data.buffer, x.data.byteOffset, x.size),
    yb = new Uint32Array(y.data.buffer, y.data.byteOffset, y.size);
  let diffs = 0;
  for (let i = 0; i < x.size; i++) if (xb[i] !== yb[i]) diffs++;
  expect(diffs).toBe(0);
  return out;
}

/** checkBf16 on every kernel's result. */
function checkAll(cs: Tensor[], a: Tensor, b: Tensor, c: Case, what: string): number {
  return Math.max(...cs.map((x, i) => checkBf16(x, a, b, c, `${what} [${kernels[i]}]`)));
}

describe("bf16 rounding (reference)", () => {
  test("round to nearest even, NaN, infinities, subnormals flushed", () => {
    const f = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
    const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0] >>> 16;
    expect(bits(ref.bf16Round(f(0x3f808000)))).toBe(0x3f80); // tie, even stays
    expect(bits(ref.bf16Round(f(0x3f818000)))).toBe(0x3f82); // tie, odd rounds up
    expect(bits(ref.bf16Round(f(0x3f808001)))).toBe(0x3f81);
    expect(bits(ref.bf16Round(f(0xbf807fff)))).toBe(0xbf80);
    expect(ref.bf16Round(f(0x7f7fffff))).toBe(Infinity);
    expect(ref.bf16Round(-Infinity)).toBe(-Infinity);
    expect(Number.isNaN(ref.bf16Round(NaN))).toBe(true);
    expect(Object.is(ref.bf16Round(f(0x00000001)), 0)).toBe(true);
    expect(Object.is(ref.bf16Round(f(0x80400000)), -0)).toBe(true);
    expect(bits(ref.bf16Round(f(0x007fffff)))).toBe(0x0080);
    expect(ref.bf16Round(1 + 2 ** -9)).toBe(1); // tie to even
    expect(ref.bf16Round(1 + 3 * 2 ** -9)).toBe(1 + 2 ** -7);
  });
});

describe("bf16 gemm", () => {
  test("this CPU: detection and fallbacks", () => {
    const s = bf16Support();
    console.log(`bf16: ${s.message}`);
    expect(s.native).toBe(s.cpu && s.os && s.build);
    expect(resolveBf16Kernel("emulated")).toBe("emulated");
    expect(resolveBf16Kernel("avx512")).toBe(s.native ? "avx512" : "emulated");
    expect(resolveBf16Kernel("amx")).toBe(s.amx ? "amx" : resolveBf16Kernel("avx512"));
    expect(resolveBf16Kernel("auto")).toBe(resolveBf16Kernel("amx"));
    setBf16Kernel("emulated");
    expect(bf16KernelInUse().kernel).toBe("emulated");
    setBf16Kernel("auto");
    expect(bf16KernelInUse().kernel).toBe(s.amx ? "amx" : s.native ? "avx512" : "emulated");
  });

  test("all transposes over mixed sizes match the bf16 reference; native and emulated bit-identical", () => {
    let cases = 0,
      worst = 0;
    for (const { transA, transB, m, n, k, a, b } of mixedGemmCases()) {
      const c = allKernels(() => gemm(a, b, { transA, transB }));
      worst = Math.max(worst, checkAll(c, a, b, { transA, transB }, `bf16 gemm ${transA ? "T" : "N"}${transB ? "T" : "N"} m=${m} n=${n} k=${k}`));
      cases++;
    }
    console.log(`bf16 gemm: ${cases} cases, worst error / tolerance ${worst.toFixed(3)}`);
  });

  test("alpha, beta, k = 0 and a long k (k split)", () => {
    for (const transA of flags)
      for (const transB of flags) {
        for (const [m, n, k] of [
          [65, 33, 129],
          [20, 70, 3000],
          [5, 6, 0],
        ]) {
          const a = operand(m, k, transA, 3),
            b = operand(k, n, transB, 4);
          const c0 = randTensor([m, n], 5);
          const c = allKernels(() => gemm(a, b, { transA, transB, alpha: -1.5, beta: 0.25, out: Tensor.from(c0.data, c0.shape) }));
          checkAll(c, a, b, { transA, transB, alpha: -1.5, beta: 0.25, c0 }, `bf16 gemm alpha/beta m=${m} n=${n} k=${k}`);
        }
      }
  });

  test("the inputs are rounded: a float32 product fails the bf16 check, and 1 + 2⁻¹⁰ counts as 1", () => {
    const a = operand(64, 64, false, 7),
      b = operand(64, 192, false, 8);
    expect(() => checkBf16(gemm(a, b), a, b, { transA: false, transB: false }, "fp32 gemm")).toThrow(/want/);
    const ones = Tensor.full([3, 40], 1 + 2 ** -10),
      b1 = Tensor.ones([40, 5]);
    for (const c of allKernels(() => matmul(ones, b1))) expect(Array.from(c.data)).toEqual(Array(15).fill(40));
    expect(Array.from(matmul(ones, b1).data)[0]).toBeCloseTo(40 * (1 + 2 ** -10), 4);
  });

  test("the model's GEMM shapes (seed preset: 8192 rows, widths 64, 192, 256, 8000), forward and backward forms", () => {
    const rows = 8192;
    for (const [cin, cout] of [
      [64, 192],
      [64, 256],
      [256, 64],
      [64, 8000],
    ]) {
      const big = cout === 8000;
      // forward X·W, dX = dY·Wᵀ, dW = Xᵀ·dY
      const forms: [string, boolean, boolean, number, number, number][] = [
        ["X·W", false, false, rows, cout, cin],
        ["dY·Wᵀ", false, true, rows, cin, cout],
        ["Xᵀ·dY", true, false, cin, cout, rows],
      ];
      for (const [name, transA, transB, m, n, k] of forms) {
        const a = operand(m, k, transA, m + n),
          b = operand(k, n, transB, k + 1);
        const c = allKernels(() => gemm(a, b, { transA, transB }));
        // The reference on a sample of C: every 5th row (first and last strips of 6 whole), every
        // 7th column of the 8000-wide products (their first and last 64-column panels whole).
        const edge = (len: number, step: number, w: number) => all(len).filter((i) => i < w || i >= len - w || i % step === 0);
        const rowSample = m > 1000 ? edge(m, big ? 211 : 5, 6) : undefined;
        const colSample = n > 1000 ? edge(n, 7, 64) : undefined;
        checkAll(c, a, b, { transA, transB, rows: rowSample, cols: colSample }, `bf16 ${name} (${cin}→${cout})`);
      }
    }
  }, 300_000);

  test("bmm and linear under bf16 match the bf16 reference", () => {
    for (const transA of flags)
      for (const transB of flags) {
        const [batch, m, n, k] = [5, 17, 9, 65];
        const a = randTensor(transA ? [batch, k, m] : [batch, m, k], 21),
          b = randTensor(transB ? [batch, n, k] : [batch, k, n], 22);
        for (const c of allKernels(() => bmm(a, b, { transA, transB })))
          for (let i = 0; i < batch; i++) {
            const ai = Tensor.from(a.data.subarray(i * m * k, (i + 1) * m * k), transA ? [k, m] : [m, k]);
            const bi = Tensor.from(b.data.subarray(i * k * n, (i + 1) * k * n), transB ? [n, k] : [k, n]);
            const ci = Tensor.from(c.data.subarray(i * m * n, (i + 1) * m * n), [m, n]);
            checkBf16(ci, ai, bi, { transA, transB }, `bf16 bmm [${i}]`);
          }
      }
    const x = randTensor([129, 64], 31),
      w = randTensor([64, 65], 32),
      bias = randTensor([65], 33);
    for (const y of allKernels(() => linear(x, w, bias))) {
      const yb = Tensor.from(y.data.slice(), y.shape);
      for (let i = 0; i < 129; i++) for (let j = 0; j < 65; j++) yb.data[i * 65 + j] -= bias.data[j];
      checkBf16(yb, x, w, { transA: false, transB: false, beta: 1, c0: Tensor.zeros([129, 65]) }, "bf16 linear");
    }
  });

  test("float64 products are never rounded; the reference backend follows the precision", () => {
    const a = operand(17, 33, false, 41),
      b = operand(33, 9, false, 42);
    const exact = matmul(a.to("float64"), b.to("float64"));
    expect(Array.from(withPrecision("bf16", () => matmul(a.to("float64"), b.to("float64"))).data)).toEqual(Array.from(exact.data));
    expect(Array.from(ref.gemmBf16(a, b).data)).toEqual(Array.from(ref.gemm(ref.roundBf16(a), ref.roundBf16(b)).data));
  });

  test("setPrecision validates, withPrecision restores", () => {
    expect(getPrecision()).toBe("fp32");
    expect(() => setPrecision("fp16" as never)).toThrow(/"fp32" or "bf16"/);
    expect(() => setBf16Kernel("vnni" as never)).toThrow(/"auto", "amx", "avx512", "emulated"/);
    expect(() =>
      withPrecision("bf16", () => {
        throw new Error("x");
      }),
    ).toThrow("x");
    expect(getPrecision()).toBe("fp32");
  });
});
