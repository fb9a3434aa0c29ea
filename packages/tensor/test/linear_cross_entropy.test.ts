import { describe, expect, test } from "bun:test";
import {
  crossEntropy,
  crossEntropyBackward,
  crossEntropyForward,
  gemm,
  getThreads,
  linearCrossEntropy,
  linearCrossEntropyForward,
  matmul,
  mulScalar,
  poolSize,
  setBf16Kernel,
  setThreads,
  Tensor,
  TensorError,
  withPrecision,
} from "@pullback/tensor";
import * as ref from "../src/reference/linear_cross_entropy.ts";
import { assertClose, checkBackward, kernelSizes, randTensor } from "../src/testing.ts";
import { randIndices, selectRows, spreadRows } from "./normloss_helpers.ts";

const sameBits = (a: Tensor, b: Tensor) =>
  expect(
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)),
  ).toBe(true);

/** The float32 kernel against the float64 reference (on float64 copies of the same inputs). */
function checkAgainstReference(n: number, c: number, v: number, seed: number, chunkRows?: number): void {
  const x = randTensor([n, c], seed, { low: -2, high: 2 });
  const w = randTensor([c, v], seed + 1, { low: -1, high: 1 });
  const t = randIndices(n, v, seed + 2);
  const options = chunkRows ? { chunkRows } : {};
  const got = linearCrossEntropyForward(x, w, t, options);
  const want = ref.linearCrossEntropyForward(x.clone("float64"), w.clone("float64"), t);
  const what = `linearCrossEntropy x (${n}, ${c}) · w (${c}, ${v})${chunkRows ? `, ${chunkRows} rows per chunk` : ""}`;
  assertClose(got.losses, want.losses, { rtol: 1e-5, atol: 1e-5, what: `${what} losses` });
  expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
  assertClose(got.dx, want.dx, { rtol: 1e-4, atol: 1e-7, what: `${what} dx` });
  assertClose(got.dw, want.dw, { rtol: 1e-4, atol: 1e-7, what: `${what} dw` });
  // The loss-only kernel gives exactly the same mean loss.
  expect(linearCrossEntropy(x, w, t, options)).toBe(got.loss);
}

describe("linearCrossEntropy", () => {
  test("Zig matches the float64 reference: every vocab size, widths 1…64, rows 1…129", () => {
    let seed = 1;
    for (const v of kernelSizes) {
      for (const [n, c] of [
        [1, 1],
        [7, 3],
        [65, 17],
        [129, 64],
      ])
        checkAgainstReference(n, c, v, (seed += 3));
    }
    for (const n of kernelSizes) checkAgainstReference(n, 64, 129, (seed += 3));
  });

  test("chunk boundaries: rows per chunk 1, 5, 6, 64 and more than N; more chunks than dW partials", () => {
    let seed = 100;
    for (const chunkRows of [1, 5, 6, 64, 200]) {
      for (const [n, c, v] of [
        [1, 3, 7],
        [17, 5, 63],
        [129, 64, 65],
        [130, 8, 17],
      ])
        checkAgainstReference(n, c, v, (seed += 3), chunkRows);
    }
  });

  test("model shape x (8192, 64) · w (64, 8000): same as the composed float32 ops, sampled rows against the reference", () => {
    const [n, c, v] = [8192, 64, 8000];
    const x = randTensor([n, c], 1, { low: -2, high: 2 });
    const w = randTensor([c, v], 2, { low: -0.5, high: 0.5 });
    const t = randIndices(n, v, 3);
    const got = linearCrossEntropyForward(x, w, t);
    // The unfused path the model used before: (N, V) logits, cross-entropy, two backward GEMMs.
    const logits = matmul(x, w);
    const f = crossEntropyForward(logits, t);
    const g = crossEntropyBackward(logits, t, f.lse, 1);
    expect(Math.abs(got.loss - f.loss)).toBeLessThan(1e-6 * f.loss);
    assertClose(got.losses, f.losses, { rtol: 1e-6, atol: 1e-6, what: "losses vs composed" });
    assertClose(got.dx, gemm(g, w, { transB: true }), { rtol: 1e-4, atol: 1e-9, what: "dx vs composed" });
    assertClose(got.dw, gemm(x, g, { transA: true }), { rtol: 1e-4, atol: 1e-9, what: "dw vs composed" });
    // dx of a row depends on that row only: the float64 reference on a sub-batch, rescaled from
    // its own 1/N to 1/8192.
    const rows = spreadRows(n, 24);
    const want = ref.linearCrossEntropyForward(
      selectRows(x, rows).clone("float64"),
      w.clone("float64"),
      Int32Array.from(rows, (r) => t[r]),
    );
    assertClose(
      Float32Array.from(rows, (r) => got.losses.data[r]),
      want.losses.data,
      { rtol: 1e-5, atol: 1e-5, what: "losses vs reference" },
    );
    const scaled = Float64Array.from(want.dx.data, (d) => (d * rows.length) / n);
    assertClose(selectRows(got.dx, rows), scaled, { rtol: 1e-4, atol: 1e-10, what: "dx vs reference" });
  }, 120_000);

  // (1000, 64): 21 chunks dealt to 4 dW partials; (300, 100): one group, 10 chunks in sequence
  // with every GEMM parallel over the threads.
  test.each([
    [1000, 64, 777],
    [300, 100, 500],
  ])("deterministic: the same bits on every call and for every thread count, x (%i, %i), V = %i", (n, c, v) => {
    const x = randTensor([n, c], 4),
      w = randTensor([c, v], 5),
      t = randIndices(n, v, 6);
    const before = getThreads();
    try {
      const runs = [];
      for (const threads of [...new Set([1, 2, poolSize()])]) {
        setThreads(threads);
        for (let k = 0; k < 2; k++) runs.push(linearCrossEntropyForward(x, w, t, { chunkRows: 32 }));
      }
      for (const r of runs.slice(1)) {
        expect(r.loss).toBe(runs[0].loss);
        sameBits(r.losses, runs[0].losses);
        sameBits(r.dx, runs[0].dx);
        sameBits(r.dw, runs[0].dw);
      }
    } finally {
      setThreads(before);
    }
  });

  test("gradients match central finite differences (float64) and the float32 kernel", () => {
    for (const [n, c, v] of [
      [1, 1, 1],
      [3, 2, 5],
      [5, 4, 3],
    ]) {
      const x = randTensor([n, c], 10 * n + c, { dtype: "float64", low: -2, high: 2 });
      const w = randTensor([c, v], 10 * v + c, { dtype: "float64", low: -1, high: 1 });
      const t = randIndices(n, v, n + v);
      // The fused forward returns the gradients of the loss (dloss = 1): the pullback scales them.
      const rule = ([a, b]: Tensor[]): [number, (dloss: number) => Tensor[]] => {
        const g = linearCrossEntropyForward(a, b, t);
        return [linearCrossEntropy(a, b, t), (dloss) => [mulScalar(g.dx, dloss), mulScalar(g.dw, dloss)]];
      };
      const report = checkBackward(rule, [x, w], { seed: n + v, rtol: 1e-6, atol: 1e-9 });
      console.log(
        `linearCrossEntropy (${n}, ${c}) · (${c}, ${v}): gradients vs central differences (float64), max rel error ${Math.max(...report.entries.map((e) => e.maxRel)).toExponential(2)}`,
      );
      const f = linearCrossEntropyForward(x, w, t);
      const f32 = linearCrossEntropyForward(x.clone("float32"), w.clone("float32"), t, { chunkRows: 2 });
      assertClose(f32.dx, f.dx, { rtol: 1e-4, atol: 1e-6, what: "float32 dx" });
      assertClose(f32.dw, f.dw, { rtol: 1e-4, atol: 1e-6, what: "float32 dw" });
    }
  });

  test("is crossEntropy(matmul(x, w)), float32 and float64; 0 rows; width 0", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = randTensor([9, 5], 1, { dtype }),
        w = randTensor([5, 11], 2, { dtype });
      const t = randIndices(9, 11, 3);
      expect(Math.abs(linearCrossEntropy(x, w, t) - crossEntropy(matmul(x, w), t))).toBeLessThan(1e-6);
    }
    expect(linearCrossEntropy(Tensor.zeros([0, 3]), Tensor.zeros([3, 4]), [])).toBeNaN();
    const empty = linearCrossEntropyForward(Tensor.zeros([0, 3]), Tensor.ones([3, 4]), []);
    expect(empty.dx.shape).toEqual([0, 3]);
    expect(Array.from(empty.dw.data)).toEqual(new Array(12).fill(0));
    // C = 0: every logit is 0, the loss log V, no gradient entries.
    const zero = linearCrossEntropyForward(Tensor.zeros([2, 0]), Tensor.zeros([0, 4]), [1, 3]);
    expect(zero.loss).toBeCloseTo(Math.log(4), 6);
    expect(zero.dw.shape).toEqual([0, 4]);
  });

  test("bad input: a clear error naming the op and the shapes, before any kernel runs", () => {
    const x = Tensor.zeros([2, 3]),
      w = Tensor.zeros([3, 4]);
    expect(() => linearCrossEntropy(x, w, [0, 4])).toThrow("linearCrossEntropy: target 4 at row 1 is out of range for vocab 4");
    expect(() => linearCrossEntropy(x, w, [0, -1])).toThrow("linearCrossEntropy: target -1 at row 1 is out of range for vocab 4");
    expect(() => linearCrossEntropy(x, w, [0, 1.5])).toThrow("linearCrossEntropy: target 1.5 at row 1 is out of range for vocab 4");
    expect(() => linearCrossEntropy(x, w, [0])).toThrow("linearCrossEntropy: targets has 1 entries, x (2, 3) has 2 rows");
    expect(() => linearCrossEntropy(x, Tensor.zeros([2, 4]), [0, 1])).toThrow("linearCrossEntropy: x (2, 3) · w (2, 4): inner dimensions differ");
    expect(() => linearCrossEntropy(Tensor.zeros([6]), w, [0])).toThrow("linearCrossEntropy: x must be 2-D (N, C), got (6,)");
    expect(() => linearCrossEntropy(x, Tensor.zeros([3, 4, 1]), [0, 1])).toThrow("linearCrossEntropy: w must be 2-D (C, V), got (3, 4, 1)");
    expect(() => linearCrossEntropy(x, w.clone("float64"), [0, 1])).toThrow("linearCrossEntropy: x is float32 but w is float64");
    expect(() => linearCrossEntropy(x, w, [0, 1], { chunkRows: 0 })).toThrow("linearCrossEntropy: chunkRows must be a positive integer, got 0");
    expect(() => linearCrossEntropyForward(x, w, [0, 9])).toThrow("linearCrossEntropyForward: target 9 at row 1 is out of range for vocab 4");
    expect(() => linearCrossEntropy(x, w, [0, 9])).toThrow(TensorError);
  });
});

describe('linearCrossEntropy under setPrecision("bf16")', () => {
  test("its three GEMMs take bf16 inputs like matmul's: it matches the unfused bf16 path on every bf16 kernel", () => {
    const [n, c, v] = [70, 24, 300];
    const x = randTensor([n, c], 41, { low: -2, high: 2 });
    const w = randTensor([c, v], 42, { low: -1, high: 1 });
    const t = randIndices(n, v, 43);
    const fp32 = linearCrossEntropyForward(x, w, t, { chunkRows: 12 });
    for (const kernel of ["emulated", "avx512", "amx"] as const) {
      const previous = setBf16Kernel(kernel); // falls back to a kernel this CPU has
      try {
        withPrecision("bf16", () => {
          const got = linearCrossEntropyForward(x, w, t, { chunkRows: 12 });
          // unfused: logits = x·w, then G = (softmax − onehot)/N, dx = G·wᵀ, dw = xᵀ·G — all bf16 GEMMs
          const logits = matmul(x, w);
          const want = crossEntropyForward(logits, t);
          const g = crossEntropyBackward(logits, t, want.lse, 1);
          const dx = gemm(g, w, { transB: true }),
            dw = gemm(x, g, { transA: true });
          const what = `bf16 (${kernel})`;
          assertClose(got.losses, want.losses, { rtol: 1e-5, atol: 1e-5, what: `${what} losses` });
          assertClose(got.dx, dx, { rtol: 1e-3, atol: 1e-6, what: `${what} dx` });
          assertClose(got.dw, dw, { rtol: 1e-3, atol: 1e-6, what: `${what} dw` });
          expect(got.loss).not.toBe(fp32.loss); // the inputs were rounded
          expect(Math.abs(got.loss - fp32.loss)).toBeLessThan(1e-2 * fp32.loss);
          expect(linearCrossEntropy(x, w, t, { chunkRows: 12 })).toBe(got.loss);
        });
      } finally {
        setBf16Kernel(previous);
      }
    }
  });
});
