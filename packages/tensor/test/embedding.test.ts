import { describe, expect, test } from "bun:test";
import { getThreads, pick, pickBackward, setThreads, take, takeBackward, Tensor } from "@pullback/tensor";
import * as ref from "../src/reference/embedding.ts";
import { assertClose, kernelSizes, randTensor } from "../src/testing.ts";
import { checkGradients, randIndices } from "./normloss_helpers.ts";

describe("take / takeBackward", () => {
  test("Zig matches the reference at every width, with repeated indices", () => {
    for (const c of kernelSizes) {
      for (const [v, k] of [
        [1, 3],
        [5, 17],
        [70, 129],
      ]) {
        const table = randTensor([v, c], c + v);
        const idx = randIndices(k, v, c * k);
        const out = take(table, idx);
        expect(Array.from(out.data)).toEqual(Array.from(ref.take(table, idx).data));
        const dy = randTensor([k, c], k);
        assertClose(takeBackward(dy, idx, v), ref.takeBackward(dy, idx, v), { rtol: 1e-6, atol: 1e-6, what: `takeBackward (${v}, ${c})` });
      }
    }
  });

  test("model shapes: tokens (64, 128) into wte (8000, 64); scatter identical for 1 and all threads", () => {
    const table = randTensor([8000, 64], 1);
    // Repeats on purpose: only 300 distinct token ids for 8192 positions.
    const idx = randIndices(64 * 128, 300, 2);
    const out = take(table, idx, [64, 128]);
    expect(out.shape).toEqual([64, 128, 64]);
    expect(Array.from(out.data)).toEqual(Array.from(ref.take(table, idx, [64, 128]).data));
    const dy = randTensor([64, 128, 64], 3);
    const all = takeBackward(dy, idx, 8000);
    assertClose(all, ref.takeBackward(dy, idx, 8000), { rtol: 1e-5, atol: 1e-5, what: "takeBackward (8000, 64)" });
    const before = getThreads();
    setThreads(1);
    const one = takeBackward(dy, idx, 8000);
    setThreads(before);
    expect(Array.from(one.data)).toEqual(Array.from(all.data));
  });

  test("repeated indices accumulate (hand-computed)", () => {
    const dy = Tensor.from([
      [1, 2],
      [10, 20],
      [100, 200],
      [1000, 2000],
    ]);
    const d = takeBackward(dy, [2, 0, 2, 2], 3);
    expect(d.toArray()).toEqual([
      [10, 20],
      [0, 0],
      [1101, 2202],
    ]);
    expect(
      take(
        Tensor.from([
          [1, 2],
          [3, 4],
        ]),
        [1, 1, 0],
        [3],
      ).toArray(),
    ).toEqual([
      [3, 4],
      [3, 4],
      [1, 2],
    ]);
  });

  test("backward matches central finite differences (float64, reference)", () => {
    const table = randTensor([5, 3], 1, { dtype: "float64" });
    const idx = Int32Array.from([4, 0, 4, 1, 4, 2]);
    checkGradients(
      "take",
      ([t]) => [take(t, idx, [2, 3])],
      ([dy]) => [takeBackward(dy, idx, 5)],
      [table],
      5,
    );
  });

  test("bad input is a clear TensorError", () => {
    const table = Tensor.zeros([10, 4]);
    expect(() => take(table, [1, 10, 2])).toThrow("take: index 10 at position 1 is out of range for vocab 10");
    expect(() => take(table, [-1])).toThrow("take: index -1 at position 0 is out of range for vocab 10");
    expect(() => take(table, [0.5])).toThrow("take: index 0.5 at position 0 is out of range for vocab 10");
    expect(() => take(table, [1, 2, 3], [2, 2])).toThrow("take: indices shape (2, 2) needs 4 indices, got 3");
    expect(() => take(Tensor.zeros([10]), [1])).toThrow("take: table must be 2-D (V, C), got (10,)");
    expect(() => takeBackward(Tensor.zeros([3, 4]), [1, 2], 10)).toThrow("takeBackward: dy (3, 4) has 3 rows, but there are 2 indices");
    expect(() => takeBackward(Tensor.zeros([2, 4]), [1, 12], 10)).toThrow("takeBackward: index 12 at position 1 is out of range for vocab 10");
    expect(() => takeBackward(Tensor.zeros([2, 4]), [1, 2], -1)).toThrow("takeBackward: vocab must be a non-negative integer, got -1");
  });
});

describe("pick / pickBackward", () => {
  test("Zig matches the reference at every size; repeated positions accumulate", () => {
    for (const m of kernelSizes) {
      const x = randTensor([9, m], m);
      const k = 2 * m + 1;
      const rows = randIndices(k, 9, m),
        cols = randIndices(k, m, m + 1);
      expect(Array.from(pick(x, rows, cols).data)).toEqual(Array.from(ref.pick(x, rows, cols).data));
      const dy = randTensor([k], m + 2);
      assertClose(pickBackward(dy, rows, cols, [9, m]), ref.pickBackward(dy, rows, cols, [9, m]), {
        rtol: 1e-6,
        atol: 1e-6,
        what: `pickBackward (9, ${m})`,
      });
    }
    expect(pickBackward(Tensor.from([1, 2, 4]), [1, 0, 1], [2, 0, 2], [2, 3]).toArray()).toEqual([
      [2, 0, 0],
      [0, 0, 5],
    ]);
  });

  test("backward matches central finite differences (float64, reference)", () => {
    const x = randTensor([3, 4], 2, { dtype: "float64" });
    const rows = [0, 2, 2, 1],
      cols = [3, 1, 1, 0];
    checkGradients(
      "pick",
      ([a]) => [pick(a, rows, cols)],
      ([dy]) => [pickBackward(dy, rows, cols, [3, 4])],
      [x],
      6,
    );
  });

  test("bad input is a clear TensorError", () => {
    const x = Tensor.zeros([3, 4]);
    expect(() => pick(x, [0, 3], [0, 0])).toThrow("pick: row 3 at position 1 is out of range for shape (3, 4)");
    expect(() => pick(x, [0, 2], [0, 4])).toThrow("pick: column 4 at position 1 is out of range for shape (3, 4)");
    expect(() => pick(x, [0, 2], [0])).toThrow("pick: rows has 2 entries but cols has 1");
    expect(() => pickBackward(Tensor.zeros([3]), [0, 1], [0, 1], [3, 4])).toThrow("pickBackward: dy (3,) must be (2,), one value per picked element");
    expect(() => pickBackward(Tensor.zeros([1]), [0], [0], [3])).toThrow("pickBackward: shape must be 2-D (N, M), got (3,)");
  });
});
