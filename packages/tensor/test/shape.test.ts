import { describe, expect, test } from "bun:test";
import { concat, fmtShape, permute, reshape, Rng, splitAt, swapAxes, Tensor, TensorError, type Shape } from "@pullback/tensor";
import * as ref from "@pullback/tensor/reference";
import { assertClose, checkBackward, kernelSizes, randTensor } from "@pullback/tensor/testing";

/** Exact equality of values and shape (these ops only move data). */
function expectSame(got: Tensor, want: Tensor, what: string): void {
  expect(got.shape).toEqual(want.shape);
  assertClose(got, want, { rtol: 0, atol: 0, what });
}

function inverse(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length);
  axes.forEach((a, i) => (inv[a] = i));
  return inv;
}

function randomPermutation(n: number, rng: Rng): number[] {
  const p = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

describe("reshape", () => {
  test("aliases the data and infers one -1", () => {
    const x = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = reshape(x, [3, -1]);
    expect(y.shape).toEqual([3, 2]);
    expect(y.data).toBe(x.data);
    expect(reshape(x, [-1]).shape).toEqual([6]);
    expect(reshape(x, [1, 6, 1]).toArray()).toEqual([[[1], [2], [3], [4], [5], [6]]]);
    expect(reshape(Tensor.from(5, []), [1, 1]).shape).toEqual([1, 1]);
    expect(reshape(Tensor.zeros([0, 4]), [4, 0, 1]).shape).toEqual([4, 0, 1]);
  });

  test("rejects sizes that differ, two -1s and bad dimensions", () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => reshape(x, [4, 2])).toThrow("reshape: cannot reshape (2, 3) (6 elements) into (4, 2)");
    expect(() => reshape(x, [4, -1])).toThrow("reshape: cannot reshape (2, 3) (6 elements) into (4, -1)");
    expect(() => reshape(x, [-1, -1])).toThrow("reshape: only one dimension can be -1, got (-1, -1)");
    expect(() => reshape(x, [2, -2])).toThrow(/reshape: shape must be an array of integers ≥ -1, got \(2, -2\)/);
    expect(() => reshape(Tensor.zeros([0, 3]), [0, -1])).toThrow(TensorError);
  });
});

describe("permute and swapAxes", () => {
  test("random permutations of small tensors over the size list equal the reference", () => {
    const rng = new Rng(7);
    for (const n of kernelSizes) {
      for (const shape of [[n], [n, 3], [2, n, 3], [3, 1, n, 2], [2, 2, 1, 3, n > 17 ? 5 : n]] as Shape[]) {
        const x = randTensor(shape, n);
        const axes = randomPermutation(shape.length, rng);
        expectSame(permute(x, axes), ref.permute(x, axes), `permute ${fmtShape(shape)} by ${fmtShape(axes)}`);
      }
    }
    // Every permutation of a 4-d tensor with odd sizes, and negative axes.
    const x = randTensor([3, 5, 2, 7], 1);
    const all = (rest: number[]): number[][] =>
      rest.length === 0 ? [[]] : rest.flatMap((a) => all(rest.filter((b) => b !== a)).map((p) => [a, ...p]));
    for (const axes of all([0, 1, 2, 3])) expectSame(permute(x, axes), ref.permute(x, axes), `permute by ${axes}`);
    expectSame(permute(x, [-1, 0, -2, 1]), ref.permute(x, [3, 0, 2, 1]), "negative axes");
    // 7-d that cannot collapse (the kernel, untiled) and 9-d (beyond the kernel's 8 axes, so it falls back to the reference path when it cannot collapse).
    const y = randTensor([2, 3, 2, 3, 2, 3, 2, 3, 2], 2);
    expectSame(permute(y, [8, 7, 6, 5, 4, 3, 2, 1, 0]), ref.permute(y, [8, 7, 6, 5, 4, 3, 2, 1, 0]), "9-d reversal");
    const z = randTensor([2, 3, 2, 3, 2, 3, 5], 3);
    expectSame(permute(z, [6, 5, 4, 3, 2, 1, 0]), ref.permute(z, [6, 5, 4, 3, 2, 1, 0]), "7-d reversal");
  });

  test("the model's attention layouts: (B, T, H, D) ↔ (B, H, T, D) and (B, T, 3, H, D) → (3, B, H, T, D)", () => {
    const [B, T, H, D] = [64, 128, 16, 4];
    const bthd = randTensor([B, T, H, D], 3);
    const bhtd = permute(bthd, [0, 2, 1, 3]);
    expectSame(bhtd, ref.permute(bthd, [0, 2, 1, 3]), "(B, T, H, D) → (B, H, T, D)");
    expectSame(swapAxes(bhtd, 1, 2), bthd, "(B, H, T, D) → (B, T, H, D)");
    const qkv = randTensor([8, T, 3, H, D], 4);
    expectSame(permute(qkv, [2, 0, 3, 1, 4]), ref.permute(qkv, [2, 0, 3, 1, 4]), "(B, T, 3, H, D) → (3, B, H, T, D)");
    const w = randTensor([64, 8000], 5);
    expectSame(swapAxes(w, 0, 1), ref.swapAxes(w, 0, 1), "(64, 8000) transpose");
  });

  test("tiled walks (axes split into power-of-two tiles, odd remainders of axes) equal the reference", () => {
    const cases: [Shape, number[]][] = [
      [
        [200, 96],
        [1, 0],
      ],
      [
        [96, 200],
        [1, 0],
      ],
      [
        [3, 96, 5, 72],
        [0, 3, 1, 2],
      ],
      [
        [2, 72, 3, 40, 4],
        [2, 0, 3, 1, 4],
      ],
      [
        [2, 40, 6, 2],
        [0, 2, 1, 3],
      ],
      [
        [130, 66, 3],
        [1, 0, 2],
      ],
      [
        [256, 8192 / 64],
        [1, 0],
      ],
    ];
    for (const [shape, axes] of cases) {
      const x = randTensor(shape, shape.length);
      expectSame(permute(x, axes), ref.permute(x, axes), `permute ${fmtShape(shape)} by ${fmtShape(axes)}`);
    }
  });

  test("permute's backward (the inverse permutation) matches finite differences", () => {
    const x = randTensor([2, 3, 4], 6, { dtype: "float64" });
    const axes = [2, 0, 1];
    const rule = (t: Tensor): [Tensor, (dy: Tensor) => Tensor] => [permute(t, axes), (dy) => permute(dy, inverse(axes))];
    const [entry] = checkBackward(rule, x, { seed: 7, rtol: 1e-7, atol: 1e-8 }).entries;
    console.log(`permute backward vs finite differences: max relative error ${entry.maxRel.toExponential(2)}`);
  });

  test("rejects axes that are not a permutation", () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => permute(x, [0])).toThrow("permute: axes (0,) do not list the 2 axes of (2, 3)");
    expect(() => permute(x, [0, 0])).toThrow("permute: axes (0, 0) are not a permutation of the axes of (2, 3)");
    expect(() => permute(x, [0, 2])).toThrow("permute: axis 2 is out of range for shape (2, 3)");
    expect(() => swapAxes(x, 0, -3)).toThrow("swapAxes: axis -3 is out of range for shape (2, 3)");
  });
});

describe("splitAt and concat", () => {
  test("equal the reference on every axis and split point, and concat undoes splitAt", () => {
    for (const shape of [[7], [3, 5], [2, 7, 3], [4, 1, 6, 2]] as Shape[]) {
      const x = randTensor(shape, shape.length);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const n = shape[axis < 0 ? axis + shape.length : axis];
        for (let index = 0; index <= n; index++) {
          const [l, r] = splitAt(x, axis, index);
          const [rl, rr] = ref.splitAt(x, axis, index);
          expectSame(l, rl, `splitAt ${fmtShape(shape)} axis ${axis} at ${index} (left)`);
          expectSame(r, rr, `splitAt ${fmtShape(shape)} axis ${axis} at ${index} (right)`);
          expectSame(concat([l, r], axis), x, `concat of the split ${fmtShape(shape)}`);
          expectSame(ref.concat([l, r], axis), x, `reference concat ${fmtShape(shape)}`);
        }
      }
    }
    for (const n of kernelSizes) {
      const parts = [randTensor([2, n, 3], n), randTensor([2, 1, 3], n + 1), randTensor([2, 5, 3], n + 2)];
      expectSame(concat(parts, 1), ref.concat(parts, 1), `concat of (2, ${n}, 3) pieces`);
    }
    expect(
      concat(
        [
          Tensor.from([[1, 2]]),
          Tensor.from([
            [3, 4],
            [5, 6],
          ]),
        ],
        0,
      ).toArray(),
    ).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(concat([Tensor.from([1]), Tensor.from([2], undefined, "float64")], 0).dtype).toBe("float64");
  });

  test("the model's qkv split: (8192, 192) into three (8192, 64)", () => {
    const qkv = randTensor([8192, 192], 8);
    const [q, kv] = splitAt(qkv, 1, 64);
    const [k, v] = splitAt(kv, -1, 64);
    expect([q.shape, k.shape, v.shape]).toEqual([
      [8192, 64],
      [8192, 64],
      [8192, 64],
    ]);
    expectSame(k, ref.splitAt(ref.splitAt(qkv, 1, 64)[1], 1, 64)[0], "k");
    expectSame(concat([q, k, v], 1), qkv, "concat(q, k, v)");
  });

  test("their backward (concat ↔ split) matches finite differences", () => {
    const x = randTensor([3, 5], 9, { dtype: "float64" });
    const rule = (t: Tensor): [Tensor[], (dy: Tensor[]) => Tensor] => [splitAt(t, 1, 2), ([dl, dr]) => concat([dl, dr], 1)];
    const [entry] = checkBackward(rule, x, { seed: 10, rtol: 1e-7, atol: 1e-8 }).entries;
    console.log(`splitAt backward vs finite differences: max relative error ${entry.maxRel.toExponential(2)}`);
  });

  test("reject bad axes, split points and mismatched shapes", () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => splitAt(x, 1, 4)).toThrow("splitAt: index 4 is out of range 0..3 for axis 1 of (2, 3)");
    expect(() => splitAt(x, 2, 0)).toThrow("splitAt: axis 2 is out of range for shape (2, 3)");
    expect(() => splitAt(x, 0, -1)).toThrow(TensorError);
    expect(() => concat([], 0)).toThrow("concat: needs a non-empty array of tensors");
    expect(() => concat([x, Tensor.zeros([2, 4])], 0)).toThrow("concat: xs[1] has shape (2, 4), which does not match xs[0] (2, 3) outside axis 0");
    expect(() => concat([x, Tensor.zeros([3])], 0)).toThrow(/xs\[1\] has shape \(3,\)/);
    expect(() => concat([x, x], -3)).toThrow("concat: axis -3 is out of range for shape (2, 3)");
  });
});
