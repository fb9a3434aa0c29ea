import { describe, expect, test } from "bun:test";
import {
  add,
  fmtShape,
  maxAlong,
  maxAlongBackward,
  maxAlongForward,
  reshape,
  sum,
  sumAlong,
  Tensor,
  TensorError,
  type Shape,
} from "@pullback/tensor";
import * as ref from "@pullback/tensor/reference";
import { assertClose, checkBackward, diff, kernelSizes, randTensor } from "@pullback/tensor/testing";

/** Shapes reduced along every axis: sizes around the vector width, and the model's real ones once. */
const shapes: Shape[] = [[5], [2, 3], [3, 1, 4], [1, 7, 1], [7, 17, 3], [4, 65, 9], [2, 3, 4, 5], [65, 129], [129, 65], [300, 257]];

describe("sum", () => {
  test("equals the float64 reference at every size and on (8192, 256)", () => {
    for (const n of [...kernelSizes, 1000, 70000, 8192 * 256]) {
      const x = randTensor([n], n);
      const got = sum(x);
      const want = ref.sum(x);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, n));
    }
    expect(sum(Tensor.zeros([0, 3]))).toBe(0);
    expect(
      sum(
        Tensor.from([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe(10);
  });

  test("accumulates in float64: a million 0.1s sum to 100000 within float32 rounding of 0.1", () => {
    const x = Tensor.full([1_000_000], 0.1);
    expect(Math.abs(sum(x) - 1e6 * Math.fround(0.1))).toBeLessThan(1e-6);
  });
});

describe("sumAlong", () => {
  test("equals the reference along every axis (negative too), with and without keepDims", () => {
    shapes.forEach((shape, s) => {
      const x = randTensor(shape, s);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        for (const keepDims of [false, true]) {
          const got = sumAlong(x, axis, keepDims);
          const want = ref.sumAlong(x, axis, keepDims);
          expect(got.shape).toEqual(want.shape);
          assertClose(got, want, { rtol: 1e-6, atol: 1e-7, what: `sumAlong ${shape} axis ${axis}` });
        }
      }
    });
    for (const n of kernelSizes) {
      const x = randTensor([3, n, 5], n);
      assertClose(sumAlong(x, 1), ref.sumAlong(x, 1), { rtol: 1e-6, atol: 1e-7, what: `sumAlong (3, ${n}, 5)` });
      assertClose(sumAlong(x, 2), ref.sumAlong(x, 2), { rtol: 1e-6, atol: 1e-7, what: `sumAlong (3, ${n}, 5) last` });
    }
    expect(
      sumAlong(
        Tensor.from([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        0,
      ).toArray(),
    ).toEqual([5, 7, 9]);
    expect(
      sumAlong(
        Tensor.from([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        -1,
        true,
      ).toArray(),
    ).toEqual([[6], [15]]);
    expect(sumAlong(Tensor.zeros([2, 0]), 1).toArray()).toEqual([0, 0]);
  });

  test("model shapes: (8192, 256) along both axes and (64, 128, 64) along the middle", () => {
    const x = randTensor([8192, 256], 1);
    for (const axis of [0, 1])
      assertClose(sumAlong(x, axis), ref.sumAlong(x, axis), { rtol: 1e-6, atol: 1e-6, what: `sumAlong (8192, 256) axis ${axis}` });
    const y = randTensor([64, 128, 64], 2);
    assertClose(sumAlong(y, 1), ref.sumAlong(y, 1), { rtol: 1e-6, atol: 1e-6, what: "sumAlong (64, 128, 64) axis 1" });
  });

  test("its backward (broadcasting dy back along the axis) matches finite differences", () => {
    for (const [shape, axis] of [
      [[3, 4, 5], 1],
      [[6, 7], -1],
      [[5], 0],
    ] as [Shape, number][]) {
      const x = randTensor(shape, 3, { dtype: "float64" });
      const rule = (t: Tensor): [Tensor, (dy: Tensor) => Tensor] => [sumAlong(t, axis, true), (dy) => add(Tensor.zeros(shape, "float64"), dy)];
      const [entry] = checkBackward(rule, x, { seed: 4, rtol: 1e-7, atol: 1e-8 }).entries;
      console.log(`sumAlong ${fmtShape(shape)} axis ${axis} backward vs finite differences: max relative error ${entry.maxRel.toExponential(2)}`);
    }
  });
});

describe("maxAlong", () => {
  test("values and argmax indices equal the reference along every axis", () => {
    shapes.forEach((shape, s) => {
      const x = randTensor(shape, 50 + s);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const got = maxAlongForward(x, axis);
        const want = ref.maxAlongForward(x, axis);
        expect(got.values.shape).toEqual(want.values.shape);
        assertClose(got.values, want.values, { rtol: 0, atol: 0, what: `maxAlong ${shape} axis ${axis}` });
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      }
    });
    for (const n of kernelSizes) {
      const x = randTensor([3, n], n);
      const got = maxAlongForward(x, 1, true);
      expect(got.values.shape).toEqual([3, 1]);
      expect(Array.from(got.indices)).toEqual(Array.from(ref.maxAlongForward(x, 1).indices));
    }
  });

  test("ties give the first index, a NaN counts as the maximum, -Infinity rows work", () => {
    const x = Tensor.from([
      [1, 3, 3, 0],
      [NaN, 5, NaN, 1],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [2, 7, 7, 7],
    ]);
    for (const axis of [1, 0]) {
      const got = maxAlongForward(x, axis);
      const want = ref.maxAlongForward(x, axis);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.values.data)).toEqual(Array.from(want.values.data));
    }
    expect(Array.from(maxAlongForward(x, 1).indices)).toEqual([1, 0, 0, 1]);
    // Long rows (vector path): a tie and a late NaN.
    const row = Tensor.from(Array.from({ length: 100 }, (_, i) => i % 10));
    expect(maxAlongForward(row, 0).indices[0]).toBe(9);
    row.data[77] = NaN;
    expect(maxAlongForward(row, 0).indices[0]).toBe(77);
  });

  test("maxAlong (the value) is maxAlongForward's values, with and without keepDims, float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = randTensor([3, 5, 4], 70, { dtype });
      for (let axis = -3; axis < 3; axis++) {
        for (const keep of [false, true]) {
          const got = maxAlong(x, axis, keep);
          const want = maxAlongForward(x, axis, keep).values;
          expect(got.dtype).toBe(dtype);
          expect(got.shape).toEqual(want.shape);
          expect(Array.from(got.data)).toEqual(Array.from(want.data));
          expect(Array.from(got.data)).toEqual(Array.from(ref.maxAlongForward(x, axis, keep).values.data));
        }
      }
      expect(maxAlong(x, 1).shape).toEqual([3, 4]);
    }
  });

  test("model shape: (8192, 256) along the last axis", () => {
    const x = randTensor([8192, 256], 9);
    const got = maxAlongForward(x, -1);
    const want = ref.maxAlongForward(x, -1);
    expect(diff(got.values.data, want.values.data).maxAbs).toBe(0);
    expect(diff(got.indices, want.indices).maxAbs).toBe(0);
  });

  test("maxAlongBackward equals the reference and matches finite differences", () => {
    shapes.forEach((shape, s) => {
      const x = randTensor(shape, 80 + s);
      for (let axis = 0; axis < shape.length; axis++) {
        const { values, indices } = maxAlongForward(x, axis);
        const dy = randTensor(values.shape, s);
        const got = maxAlongBackward(dy, indices, shape, axis);
        assertClose(got, ref.maxAlongBackward(dy, indices, shape, axis), { rtol: 0, atol: 0, what: `maxAlongBackward ${shape} axis ${axis}` });
      }
    });
    for (const [shape, axis] of [
      [[4, 6], 1],
      [[3, 5, 2], -2],
      [[7], 0],
    ] as [Shape, number][]) {
      const x = randTensor(shape, 5, { dtype: "float64" });
      const rule = (t: Tensor): [Tensor, (dy: Tensor) => Tensor] => {
        const { values, indices } = maxAlongForward(t, axis);
        return [values, (dy) => maxAlongBackward(dy, indices, shape, axis)];
      };
      const [entry] = checkBackward(rule, x, { seed: 6, rtol: 1e-7, atol: 1e-8 }).entries;
      console.log(`maxAlongBackward ${fmtShape(shape)} axis ${axis} vs finite differences: max relative error ${entry.maxRel.toExponential(2)}`);
    }
    // keepDims-shaped dy and number[] indices are accepted.
    const dx = maxAlongBackward(Tensor.from([[1], [2]]), [2, 0], [2, 3], 1);
    expect(dx.toArray()).toEqual([
      [0, 0, 1],
      [2, 0, 0],
    ]);
  });
});

describe("bad input", () => {
  test("axis out of range, empty max, bad indices and shapes", () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => sumAlong(x, 2)).toThrow("sumAlong: axis 2 is out of range for shape (2, 3)");
    expect(() => sumAlong(x, -3)).toThrow("sumAlong: axis -3 is out of range for shape (2, 3)");
    expect(() => sumAlong(x, 0.5)).toThrow(TensorError);
    expect(() => maxAlong(x, 5)).toThrow("maxAlong: axis 5 is out of range for shape (2, 3)");
    expect(() => maxAlong(Tensor.zeros([2, 0]), 1)).toThrow("maxAlong: axis 1 of shape (2, 0) is empty: there is no maximum");
    expect(() => maxAlongForward(x, -3)).toThrow("maxAlongForward: axis -3 is out of range for shape (2, 3)");
    expect(() => maxAlongBackward(Tensor.zeros([2]), [0, 3], [2, 3], 1)).toThrow(
      "maxAlongBackward: index 3 at position 1 is out of range 0..2 for axis 1 of (2, 3)",
    );
    expect(() => maxAlongBackward(Tensor.zeros([2]), [0, -1], [2, 3], 1)).toThrow(/index -1 at position 1 is out of range/);
    expect(() => maxAlongBackward(Tensor.zeros([3]), [0, 0, 0], [2, 3], 1)).toThrow("maxAlongBackward: dy (3,) is not (2, 3) reduced along axis 1");
    expect(() => maxAlongBackward(Tensor.zeros([2]), [0], [2, 3], 1)).toThrow("maxAlongBackward: indices has 1 elements, dy (2,) has 2");
    expect(() => maxAlongBackward(Tensor.zeros([2]), [0, 0], [2, 3], 2)).toThrow("maxAlongBackward: axis 2 is out of range for shape (2, 3)");
    expect(() => sum(reshape as unknown as Tensor)).toThrow("sum: x must be a Tensor, got function");
  });
});
