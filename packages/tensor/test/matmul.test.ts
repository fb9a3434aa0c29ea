import { describe, expect, test } from "bun:test";
import { add, bmm, gemm, linear, matmul, Tensor, TensorError } from "@pullback/tensor";
import * as ref from "@pullback/tensor/reference";
import { assertClose, diff, randTensor } from "@pullback/tensor/testing";
import { flags, mixedGemmCases, operand } from "./gemm_cases.ts";

/** Tolerance for float32 sums of k products of numbers in [-1, 1]. */
const tol = (k: number) => ({ rtol: 1e-5, atol: 2e-6 * Math.sqrt(k + 1) + 1e-6 });

describe("gemm", () => {
  test("all transpose combinations over mixed sizes match the float64 reference", () => {
    let cases = 0,
      worst = 0;
    for (const { transA, transB, m, n, k, a, b } of mixedGemmCases()) {
      const got = gemm(a, b, { transA, transB });
      const want = gemm(a.to("float64"), b.to("float64"), { transA, transB });
      expect(got.shape).toEqual([m, n]);
      worst = Math.max(
        worst,
        assertClose(got, want, { ...tol(k), what: `gemm ${transA ? "T" : "N"}${transB ? "T" : "N"} m=${m} n=${n} k=${k}` }).maxAbs,
      );
      cases++;
    }
    console.log(`gemm: ${cases} cases, max abs error vs float64 ${worst.toExponential(2)}`);
  });

  test("alpha and beta: beta = 1 accumulates, beta = 0 ignores NaN in out, other values scale", () => {
    for (const transA of flags)
      for (const transB of flags) {
        const [m, n, k] = [65, 33, 129];
        const a = operand(m, k, transA, 11),
          b = operand(k, n, transB, 12);
        const c0 = randTensor([m, n], 13);
        const expected = (alpha: number, beta: number) =>
          gemm(a.to("float64"), b.to("float64"), { transA, transB, alpha, beta, out: c0.to("float64").clone() });
        for (const [alpha, beta] of [
          [1, 1],
          [0.5, -2],
          [-1.5, 0.25],
          [2, 0],
        ]) {
          const out = c0.clone();
          const r = gemm(a, b, { transA, transB, alpha, beta, out });
          expect(r).toBe(out);
          assertClose(out, expected(alpha, beta), { ...tol(k), what: `alpha ${alpha} beta ${beta}` });
        }
        const nan = Tensor.full([m, n], NaN);
        gemm(a, b, { transA, transB, alpha: 1, beta: 0, out: nan });
        expect(nan.data.some(Number.isNaN)).toBe(false);
        assertClose(nan, expected(1, 0), tol(k));
      }
  });

  test("k = 0 gives beta·C, empty outputs are fine", () => {
    const out = Tensor.from([
      [1, 2],
      [3, 4],
    ]);
    gemm(Tensor.zeros([2, 0]), Tensor.zeros([0, 2]), { beta: 0.5, out });
    expect(out.toArray()).toEqual([
      [0.5, 1],
      [1.5, 2],
    ]);
    expect(gemm(Tensor.zeros([2, 0]), Tensor.zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(matmul(Tensor.zeros([0, 4]), Tensor.zeros([4, 3])).shape).toEqual([0, 3]);
  });

  test("a tiny hand-computed product", () => {
    const a = Tensor.from([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const b = Tensor.from([
      [1, 0, -1],
      [2, 1, 0],
    ]);
    expect(matmul(a, b).toArray()).toEqual([
      [5, 2, -1],
      [11, 4, -3],
      [17, 6, -5],
    ]);
    expect(gemm(b, a, { transA: true, transB: true }).toArray()).toEqual([
      [5, 11, 17],
      [2, 4, 6],
      [-1, -3, -5],
    ]);
  });

  test("the model's shapes (forward, dX = dY·Wᵀ, dW = Xᵀ·dY) on sampled entries", () => {
    const rows = 8192;
    let worst = 0;
    for (const [cin, cout] of [
      [64, 192],
      [64, 256],
      [256, 64],
      [64, 8000],
    ]) {
      const x = randTensor([rows, cin], cin),
        w = randTensor([cin, cout], cout),
        dy = randTensor([rows, cout], cin + cout);
      const cases: [string, Tensor, Tensor, boolean, boolean][] = [
        ["X·W", x, w, false, false],
        ["dY·Wᵀ", dy, w, false, true],
        ["Xᵀ·dY", x, dy, true, false],
      ];
      for (const [name, a, b, transA, transB] of cases) {
        const c = gemm(a, b, { transA, transB });
        const [m, n] = c.shape,
          k = transA ? a.shape[0] : a.shape[1];
        // Check 64 sampled entries (always including the corners) against a float64 dot product.
        for (let s = 0; s < 64; s++) {
          const i = s === 0 ? 0 : s === 1 ? m - 1 : (s * 7919) % m,
            j = s === 0 ? 0 : s === 1 ? n - 1 : (s * 104729) % n;
          let want = 0;
          for (let p = 0; p < k; p++) {
            const av = transA ? a.data[p * m + i] : a.data[i * k + p];
            const bv = transB ? b.data[j * k + p] : b.data[p * n + j];
            want += av * bv;
          }
          const got = c.data[i * n + j];
          const err = Math.abs(got - want);
          worst = Math.max(worst, err / Math.sqrt(k));
          if (err > 1e-5 * Math.sqrt(k) * 4 + 1e-5) throw new Error(`${name} (${cin}→${cout}) C[${i}][${j}] = ${got}, expected ${want}`);
        }
      }
    }
    console.log(`model shapes: max abs error / √k on samples ${worst.toExponential(2)}`);
  }, 60_000);

  test("bad shapes and arguments throw TensorError naming the op and shapes", () => {
    const a = Tensor.zeros([3, 4]),
      b = Tensor.zeros([5, 6]);
    expect(() => matmul(a, b)).toThrow("matmul: inner dimensions differ: a (3, 4) · b (5, 6)");
    expect(() => gemm(a, b, { transB: true })).toThrow("gemm: inner dimensions differ: a (3, 4) · b (5, 6)ᵀ");
    expect(() => gemm(a, Tensor.zeros([3, 2]), { transA: true, transB: true })).toThrow("gemm: inner dimensions differ: a (3, 4)ᵀ · b (3, 2)ᵀ");
    expect(() => matmul(Tensor.zeros([3]), b)).toThrow("matmul: a must be 2-D, got shape (3,)");
    expect(() => gemm(a, Tensor.zeros([4, 2]), { out: Tensor.zeros([2, 3]) })).toThrow(
      "gemm: out (2, 3) must have shape (3, 2) for a (3, 4) · b (4, 2)",
    );
    expect(() => gemm(a, Tensor.zeros([4, 2]), { beta: 1 })).toThrow("gemm: beta = 1 needs out (the C to accumulate into)");
    expect(() => gemm(a, Tensor.zeros([4, 2]), { alpha: NaN })).toThrow("gemm: alpha must be a finite number, got NaN");
    expect(() => matmul(a, Tensor.zeros([4, 2], "float64"))).toThrow("matmul: a is float32 but b is float64");
    expect(() => gemm(a, Tensor.zeros([4, 2]), { out: Tensor.zeros([3, 2], "float64") })).toThrow("gemm: out is float64 but a and b are float32");
    const sq = Tensor.zeros([4, 4]);
    expect(() => gemm(sq, Tensor.zeros([4, 4]), { out: sq })).toThrow("gemm: out must not share memory with a or b");
    expect(() => bmm(Tensor.zeros([2, 3, 4]), Tensor.zeros([3, 4, 5]))).toThrow("bmm: batch sizes differ: a (2, 3, 4) · b (3, 4, 5)");
    expect(() => bmm(Tensor.zeros([2, 3, 4]), Tensor.zeros([2, 5, 4]))).toThrow("bmm: inner dimensions differ: a (2, 3, 4) · b (2, 5, 4)");
    expect(() => bmm(a, b)).toThrow("bmm: a must be 3-D, got shape (3, 4)");
    expect(() => matmul(a, b)).toThrow(TensorError);
  });
});

describe("bmm", () => {
  test("all transpose combinations, batch sizes 1..9, match the float64 reference", () => {
    let seed = 100;
    for (const transA of flags)
      for (const transB of flags) {
        for (const [batch, m, n, k] of [
          [1, 7, 17, 3],
          [3, 65, 33, 64],
          [9, 17, 129, 7],
          [2, 128, 4, 128],
          [64, 16, 16, 4],
        ]) {
          const a = randTensor(transA ? [batch, k, m] : [batch, m, k], seed++),
            b = randTensor(transB ? [batch, n, k] : [batch, k, n], seed++);
          const got = bmm(a, b, { transA, transB });
          expect(got.shape).toEqual([batch, m, n]);
          assertClose(got, bmm(a.to("float64"), b.to("float64"), { transA, transB }), { ...tol(k), what: `bmm batch ${batch} m=${m} n=${n} k=${k}` });
          // Each batch element is its own gemm.
          const i = batch - 1;
          const ai = new Tensor(a.data.slice(i * m * k, (i + 1) * m * k), a.shape.slice(1));
          const bi = new Tensor(b.data.slice(i * k * n, (i + 1) * k * n), b.shape.slice(1));
          expect(diff(got.data.slice(i * m * n), gemm(ai, bi, { transA, transB }).data).maxAbs).toBeLessThan(1e-5);
        }
      }
  });

  test("reference float64 bmm equals per-batch reference gemm exactly", () => {
    const a = randTensor([3, 5, 4], 1, { dtype: "float64" }),
      b = randTensor([3, 4, 6], 2, { dtype: "float64" });
    const c = ref.bmm(a, b);
    for (let i = 0; i < 3; i++) {
      const ci = ref.gemm(new Tensor(a.data.slice(i * 20, i * 20 + 20), [5, 4]), new Tensor(b.data.slice(i * 24, i * 24 + 24), [4, 6]));
      expect(Array.from(c.data.slice(i * 30, i * 30 + 30))).toEqual(Array.from(ci.data));
    }
  });
});

describe("linear", () => {
  test("x·w + b equals matmul then a broadcast add (float32 native, float64 reference), sizes 1, odd and k = 0", () => {
    let seed = 500;
    for (const dtype of ["float32", "float64"] as const) {
      for (const [n, k, m] of [
        [1, 1, 1],
        [3, 4, 5],
        [17, 9, 6],
        [65, 33, 129],
        [4, 0, 3],
        [0, 3, 2],
      ]) {
        const x = randTensor([n, k], seed++, { dtype }),
          w = randTensor([k, m], seed++, { dtype }),
          b = randTensor([m], seed++, { dtype });
        const y = linear(x, w, b);
        expect(y.shape).toEqual([n, m]);
        expect(y.dtype).toBe(dtype);
        assertClose(y, add(matmul(x, w), b), { ...tol(k), what: `linear ${dtype} (${n}, ${k})·(${k}, ${m})` });
        assertClose(y, ref.add(ref.matmul(x.to("float64"), w.to("float64")), b.to("float64")), {
          ...tol(k),
          what: `linear vs reference (${n}, ${k}, ${m})`,
        });
      }
    }
  });

  test("bad shapes and dtypes throw TensorError naming linear and the shapes", () => {
    const x = Tensor.zeros([3, 4]);
    expect(() => linear(x, Tensor.zeros([4, 5]), Tensor.zeros([4]))).toThrow(
      "linear: expected x (N, K), w (K, M), b (M,); got x (3, 4), w (4, 5), b (4,)",
    );
    expect(() => linear(x, Tensor.zeros([5, 2]), Tensor.zeros([2]))).toThrow(
      "linear: expected x (N, K), w (K, M), b (M,); got x (3, 4), w (5, 2), b (2,)",
    );
    expect(() => linear(Tensor.zeros([4]), Tensor.zeros([4, 2]), Tensor.zeros([2]))).toThrow(TensorError);
    expect(() => linear(x, Tensor.zeros([4, 2]), Tensor.zeros([2], "float64"))).toThrow("linear: dtypes differ: x float32, w float32, b float64");
    expect(() => linear(x, Tensor.zeros([4, 2]), [0, 0] as unknown as Tensor)).toThrow("linear: b must be a Tensor");
  });
});
