import { describe, expect, test } from "bun:test";
import { crossEntropy, crossEntropyBackward, crossEntropyForward, Tensor, TensorError } from "@pullback/tensor";
import * as ref from "../src/reference/cross_entropy.ts";
import { assertClose, checkBackward, kernelSizes, randTensor } from "../src/testing.ts";
import { randIndices, selectRows, spreadRows } from "./normloss_helpers.ts";

describe("crossEntropy", () => {
  test("Zig matches the float64 reference at every vocab size (forward and backward)", () => {
    for (const v of kernelSizes) {
      for (const n of [1, 5]) {
        const logits = randTensor([n, v], v + n, { low: -10, high: 10 });
        const t = randIndices(n, v, v);
        const got = crossEntropyForward(logits, t);
        const want = ref.crossEntropyForward(logits, t);
        const what = `crossEntropy (${n}, ${v})`;
        assertClose(got.lse, want.lse, { rtol: 1e-6, atol: 1e-5, what: `${what} lse` });
        assertClose(got.losses, want.losses, { rtol: 1e-5, atol: 1e-5, what: `${what} losses` });
        expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
        assertClose(crossEntropyBackward(logits, t, got.lse, 0.7), ref.crossEntropyBackward(logits, t, want.lse, 0.7), {
          rtol: 1e-4,
          atol: 1e-7,
          what: `${what} dlogits`,
        });
      }
    }
  });

  test("model shape (8192, 8000): sampled rows against the reference", () => {
    const [n, v] = [8192, 8000];
    const logits = randTensor([n, v], 1, { low: -5, high: 5 });
    const t = randIndices(n, v, 2);
    const got = crossEntropyForward(logits, t);
    const dlogits = crossEntropyBackward(logits, t, got.lse, 1);
    const rows = spreadRows(n, 40);
    const sub = selectRows(logits, rows);
    const st = Int32Array.from(rows, (r) => t[r]);
    const want = ref.crossEntropyForward(sub, st);
    assertClose(
      Float32Array.from(rows, (r) => got.lse.data[r]),
      want.lse.data,
      { rtol: 1e-6, atol: 1e-5, what: "lse" },
    );
    assertClose(
      Float32Array.from(rows, (r) => got.losses.data[r]),
      want.losses.data,
      { rtol: 1e-5, atol: 1e-5, what: "losses" },
    );
    // The reference on the sub-batch divides by its own N; rescale to dloss/8192.
    const wantGrad = ref.crossEntropyBackward(sub, st, want.lse, rows.length / n);
    assertClose(selectRows(dlogits, rows), wantGrad, { rtol: 1e-4, atol: 1e-11, what: "dlogits" });
    // The mean loss over all 8192 rows (float64 sum in TS) against the full reference.
    expect(Number.isFinite(got.loss)).toBe(true);
    expect(Math.abs(got.loss - ref.crossEntropyForward(logits, t).loss)).toBeLessThan(1e-4);
  }, 60_000);

  test("backward matches central finite differences (float64, reference)", () => {
    for (const [n, v] of [
      [1, 1],
      [3, 5],
      [4, 9],
    ]) {
      const logits = randTensor([n, v], n * v, { dtype: "float64", low: -3, high: 3 });
      const t = randIndices(n, v, 4);
      // The loss is a number: its cotangent (dloss) is a random number.
      const rule = (x: Tensor): [number, (dloss: number) => Tensor] => [
        crossEntropy(x, t),
        (dloss) => crossEntropyBackward(x, t, crossEntropyForward(x, t).lse, dloss),
      ];
      const [entry] = checkBackward(rule, logits, { seed: n * v, rtol: 1e-6, atol: 1e-9 }).entries;
      console.log(`crossEntropy (${n}, ${v}): backward vs central differences (float64), max rel error ${entry.maxRel.toExponential(2)}`);
    }
  });

  test("the kernel's vectorized exp is within 2 ulp of float64 exp (seen through the backward with lse = 0)", () => {
    // dlogits[j] = (exp(x_j − 0) − [j = 0])·dloss/N with dloss = N: exactly the kernel's exp for j > 0.
    const n = 64,
      v = 4097;
    const x = Tensor.zeros([n, v]);
    for (let i = 0; i < x.size; i++) x.data[i] = -103.9 + (192.6 * i) / x.size;
    const d = crossEntropyBackward(x, new Int32Array(n), Tensor.zeros([n]), n);
    const bits = (f: number) => {
      const i = new Int32Array(new Float32Array([f]).buffer)[0];
      return i < 0 ? -(i & 0x7fffffff) : i;
    };
    let worst = 0;
    for (let i = 0; i < x.size; i++) {
      if (i % v === 0) continue;
      worst = Math.max(worst, Math.abs(bits(d.data[i]) - bits(Math.fround(Math.exp(x.data[i])))));
    }
    console.log(`Zig expV (ReleaseFast library): worst ${worst} ulp vs float64 exp over [-103.9, 88.7]`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  test("backward into `out`, including in place over the logits, gives the same gradient", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const logits = randTensor([7, 129], 5, { low: -4, high: 4, dtype });
      const t = randIndices(7, 129, 6);
      const { lse } = crossEntropyForward(logits, t);
      const want = crossEntropyBackward(logits, t, lse, 2);
      const out = Tensor.zeros([7, 129], dtype);
      expect(crossEntropyBackward(logits, t, lse, 2, { out })).toBe(out);
      expect(Array.from(out.data)).toEqual(Array.from(want.data));
      const inPlace = logits.clone();
      expect(crossEntropyBackward(inPlace, t, lse, 2, { out: inPlace })).toBe(inPlace);
      expect(Array.from(inPlace.data)).toEqual(Array.from(want.data));
    }
    expect(() => crossEntropyBackward(Tensor.zeros([2, 3]), [0, 1], Tensor.zeros([2]), 1, { out: Tensor.zeros([3, 2]) })).toThrow(
      "crossEntropyBackward: out (3, 2) float32 must be (2, 3) float32 like logits",
    );
  });

  test("crossEntropy (the value) is crossEntropyForward's mean loss, float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) {
      for (const [n, v] of [
        [1, 3],
        [6, 17],
      ]) {
        const logits = randTensor([n, v], 3 * n + v, { low: -4, high: 4, dtype });
        const t = randIndices(n, v, 8);
        const loss = crossEntropy(logits, t);
        expect(typeof loss).toBe("number");
        expect(loss).toBe(crossEntropyForward(logits, t).loss);
        expect(Math.abs(loss - ref.crossEntropyForward(logits.clone("float64"), Int32Array.from(t)).loss)).toBeLessThan(1e-5);
      }
    }
  });

  test("hand-computed case, large logits stay finite, empty batch", () => {
    const { loss, losses, lse } = crossEntropyForward(
      Tensor.from([
        [0, 0],
        [Math.log(3), 0],
      ]),
      [1, 0],
    );
    expect(losses.data[0]).toBeCloseTo(Math.log(2), 6);
    expect(losses.data[1]).toBeCloseTo(Math.log(4 / 3), 6);
    expect(lse.data[1]).toBeCloseTo(Math.log(4), 6);
    expect(loss).toBeCloseTo((Math.log(2) + Math.log(4 / 3)) / 2, 6);
    const big = crossEntropyForward(Tensor.from([[1000, 1001, 999]]), [0]);
    expect(big.losses.data[0]).toBeCloseTo(1.4076059644, 5);
    expect(crossEntropyForward(Tensor.zeros([0, 3]), []).losses.shape).toEqual([0]);
    expect(crossEntropy(Tensor.zeros([0, 3]), [])).toBeNaN();
  });

  test("bad input is a clear TensorError", () => {
    const logits = Tensor.zeros([20, 8000]);
    const t = new Int32Array(20);
    t[17] = 8000;
    expect(() => crossEntropy(logits, t)).toThrow("crossEntropy: target 8000 at row 17 is out of range for vocab 8000");
    expect(() => crossEntropy(Tensor.zeros([2, 3]), [0, -1])).toThrow("crossEntropy: target -1 at row 1 is out of range for vocab 3");
    expect(() => crossEntropy(Tensor.zeros([2, 3]), [0, 1.5])).toThrow("crossEntropy: target 1.5 at row 1 is out of range for vocab 3");
    expect(() => crossEntropy(Tensor.zeros([2, 3]), [0])).toThrow("crossEntropy: targets has 1 entries, logits (2, 3) has 2 rows");
    expect(() => crossEntropy(Tensor.zeros([6]), [0])).toThrow("crossEntropy: logits must be 2-D (N, V), got (6,)");
    expect(() => crossEntropyForward(Tensor.zeros([2, 3]), [0, 3])).toThrow("crossEntropyForward: target 3 at row 1 is out of range for vocab 3");
    expect(() => crossEntropy(Tensor.zeros([2, 3]), [0])).toThrow(TensorError);
    const { lse } = crossEntropyForward(Tensor.zeros([2, 3]), [0, 2]);
    expect(() => crossEntropyBackward(Tensor.zeros([2, 3]), [0, 3], lse, 1)).toThrow(
      "crossEntropyBackward: target 3 at row 1 is out of range for vocab 3",
    );
    expect(() => crossEntropyBackward(Tensor.zeros([2, 3]), [0, 2], Tensor.zeros([3]), 1)).toThrow(
      "crossEntropyBackward: lse (3,) must be (2,) for logits (2, 3)",
    );
    expect(() => crossEntropyBackward(Tensor.zeros([2, 3]), [0, 2], lse, NaN)).toThrow(
      "crossEntropyBackward: dloss must be a finite number, got NaN",
    );
  });
});
