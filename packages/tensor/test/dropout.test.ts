import { describe, expect, test } from "bun:test";
import { add, addDropout, dropout, dropoutBackward, Tensor } from "@pullback/tensor";
import * as ref from "../src/reference/dropout.ts";
import { philoxUniform } from "../src/reference/philox.ts";
import { assertClose, kernelSizes, randTensor } from "../src/testing.ts";
import { checkGradients } from "./normloss_helpers.ts";

const zeros = (t: Tensor) => Array.from(t.data, (v) => (v === 0 ? 0 : 1));

describe("dropout", () => {
  test("Zig mask is bit-identical to the TypeScript Philox reference at every size", () => {
    for (const n of [...kernelSizes, 4 * 16 * 3 + 5, 1000]) {
      for (const [p, seed, offset] of [
        [0.2, 1, 0],
        [0.5, 12345, 7],
        [0.9, 2 ** 40 + 3, 2 ** 33 + 1],
      ]) {
        const x = Tensor.ones([n]);
        const got = dropout(x, p, seed, offset);
        const want = ref.dropout(x, p, seed, offset);
        expect(zeros(got)).toEqual(zeros(want));
        assertClose(got, want, { rtol: 1e-7, atol: 0, what: `dropout n=${n} p=${p}` });
        for (let i = 0; i < n; i++) expect(got.data[i] !== 0).toBe(philoxUniform(seed, offset, i) >= p);
      }
    }
  });

  test("backward regenerates exactly the forward mask (model shape (64, 128, 64))", () => {
    const x = randTensor([64, 128, 64], 1);
    const dy = randTensor([64, 128, 64], 2);
    const y = dropout(x, 0.2, 99, 5);
    const dx = dropoutBackward(dy, 0.2, 99, 5);
    const scale = Math.fround(1 / 0.8);
    for (let i = 0; i < x.size; i++) {
      const kept = y.data[i] !== 0;
      expect(kept).toBe(dx.data[i] !== 0);
      if (kept) {
        expect(y.data[i]).toBe(Math.fround(x.data[i] * scale));
        expect(dx.data[i]).toBe(Math.fround(dy.data[i] * scale));
      }
    }
  });

  test("keeps a fraction ≈ 1 − p; other offsets give other masks", () => {
    const n = 1 << 20;
    const x = Tensor.ones([n]);
    for (const p of [0.1, 0.2, 0.5, 0.9]) {
      const y = dropout(x, p, 3, 0);
      let kept = 0,
        sum = 0;
      for (let i = 0; i < n; i++) if (y.data[i] !== 0) kept++, (sum += y.data[i]);
      const frac = kept / n;
      console.log(`dropout p=${p}: kept ${frac.toFixed(4)} (expected ${(1 - p).toFixed(2)}), mean ${(sum / n).toFixed(4)}`);
      // Binomial standard deviation ≤ 0.0005 at n = 2^20: 10σ.
      expect(Math.abs(frac - (1 - p))).toBeLessThan(0.005);
      expect(Math.abs(sum / n - 1)).toBeLessThan(0.01);
    }
    const a = zeros(dropout(Tensor.ones([4096]), 0.5, 3, 0));
    const b = zeros(dropout(Tensor.ones([4096]), 0.5, 3, 1));
    const c = zeros(dropout(Tensor.ones([4096]), 0.5, 4, 0));
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  }, 60_000); // the TypeScript Philox is slow under PULLBACK_BACKEND=reference

  test("p = 0 is the identity (a copy); empty tensors", () => {
    const x = randTensor([3, 5], 1);
    const y = dropout(x, 0, 1, 2);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    expect(y.data).not.toBe(x.data);
    expect(Array.from(dropoutBackward(x, 0, 1, 2).data)).toEqual(Array.from(x.data));
    expect(dropout(Tensor.zeros([0, 3]), 0.5, 1, 2).shape).toEqual([0, 3]);
  });

  test("backward matches central finite differences (float64, reference)", () => {
    const x = randTensor([4, 7], 3, { dtype: "float64" });
    checkGradients(
      "dropout",
      ([a]) => [dropout(a, 0.3, 8, 2)],
      ([g]) => [dropoutBackward(g, 0.3, 8, 2)],
      [x],
      4,
    );
  });

  test("bad input is a clear TensorError", () => {
    const x = Tensor.ones([4]);
    expect(() => dropout(x, 1, 0, 0)).toThrow("dropout: p must be in [0, 1), got 1");
    expect(() => dropout(x, -0.1, 0, 0)).toThrow("dropout: p must be in [0, 1), got -0.1");
    expect(() => dropout(x, NaN, 0, 0)).toThrow("dropout: p must be in [0, 1), got NaN");
    expect(() => dropoutBackward(x, 1.5, 0, 0)).toThrow("dropoutBackward: p must be in [0, 1), got 1.5");
    expect(() => dropout(x, 0.5, -1, 0)).toThrow("dropout: seed must be a non-negative integer below 2^53, got -1");
    expect(() => dropout(x, 0.5, 0, 0.5)).toThrow("dropout: offset must be a non-negative integer below 2^53, got 0.5");
  });
});

describe("addDropout (x + dropout(y), fused)", () => {
  const bits = (t: Tensor) => Array.from(t.data);

  test("Zig kernel: the reference's mask and values, and bit-identical to add(x, dropout(y)), at every size", () => {
    for (const n of [...kernelSizes, 4 * 16 * 3 + 5, 1000]) {
      for (const [p, seed, offset] of [
        [0.2, 1, 0],
        [0.5, 12345, 7],
        [0.9, 2 ** 40 + 3, 2 ** 33 + 1],
        [0, 5, 6],
      ]) {
        const x = randTensor([n], 1),
          y = randTensor([n], 2);
        const got = addDropout(x, y, p, seed, offset);
        // the reference scales in float64 (one rounding), the kernel in float32: close, not bit-equal
        assertClose(got, ref.addDropout(x, y, p, seed, offset), { rtol: 1e-6, atol: 1e-7, what: `addDropout n=${n} p=${p}` });
        expect(bits(got)).toEqual(bits(add(x, dropout(y, p, seed, offset))));
        // the mask is the Philox reference's: a dropped element leaves x exactly
        for (let i = 0; i < n; i++) if (philoxUniform(seed, offset, i) < p) expect(got.data[i]).toBe(x.data[i]);
      }
    }
  });

  test("model shape (64·128, 64): the same bits as the two ops, and the backward's mask is the forward's", () => {
    const x = randTensor([64 * 128, 64], 3),
      y = randTensor([64 * 128, 64], 4),
      dout = randTensor([64 * 128, 64], 5);
    const got = addDropout(x, y, 0.2, 77, 4);
    expect(bits(got)).toEqual(bits(add(x, dropout(y, 0.2, 77, 4))));
    const dy = dropoutBackward(dout, 0.2, 77, 4);
    const scale = Math.fround(1 / 0.8);
    let kept = 0;
    for (let i = 0; i < x.size; i++) {
      if (dy.data[i] !== 0) kept++;
      const want = dy.data[i] !== 0 ? Math.fround(x.data[i] + Math.fround(y.data[i] * scale)) : x.data[i];
      if (got.data[i] !== want) expect(`element ${i}: ${got.data[i]}`).toBe(`element ${i}: ${want}`);
    }
    expect(Math.abs(kept / x.size - 0.8)).toBeLessThan(0.01);
  });

  test("backward matches central finite differences (float64, reference)", () => {
    const x = randTensor([4, 7], 3, { dtype: "float64" }),
      y = randTensor([4, 7], 4, { dtype: "float64" });
    checkGradients(
      "addDropout",
      ([a, b]) => [addDropout(a, b, 0.3, 8, 2)],
      ([g]) => [g, dropoutBackward(g, 0.3, 8, 2)],
      [x, y],
      4,
    );
  });

  test("empty tensors; float64 inputs run the reference", () => {
    expect(addDropout(Tensor.zeros([0, 3]), Tensor.zeros([0, 3]), 0.5, 1, 2).shape).toEqual([0, 3]);
    const x = randTensor([5], 1, { dtype: "float64" }),
      y = randTensor([5], 2, { dtype: "float64" });
    const z = addDropout(x, y, 0.5, 1, 2);
    expect(z.dtype).toBe("float64");
    for (let i = 0; i < 5; i++) expect(z.data[i]).toBe(x.data[i] + (philoxUniform(1, 2, i) >= 0.5 ? y.data[i] / 0.5 : 0));
  });

  test("bad input is a clear TensorError", () => {
    const x = Tensor.ones([4]);
    expect(() => addDropout(x, Tensor.ones([5]), 0.5, 0, 0)).toThrow("addDropout: x and y must have the same shape, got (4,) and (5,)");
    expect(() => addDropout(x, Tensor.ones([1]), 0.5, 0, 0)).toThrow("addDropout: x and y must have the same shape, got (4,) and (1,)");
    expect(() => addDropout(x, x, 1, 0, 0)).toThrow("addDropout: p must be in [0, 1), got 1");
    expect(() => addDropout(x, x, 0.5, -1, 0)).toThrow("addDropout: seed must be a non-negative integer below 2^53, got -1");
    expect(() => addDropout(x, x, 0.5, 0, 0.5)).toThrow("addDropout: offset must be a non-negative integer below 2^53, got 0.5");
    expect(() => addDropout(x, null as unknown as Tensor, 0.5, 0, 0)).toThrow("addDropout: y must be a Tensor, got null");
  });
});
