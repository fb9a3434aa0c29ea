import { describe, expect, test } from "bun:test";
import { Rng, Tensor, TensorError } from "@pullback/tensor";

describe("Tensor", () => {
  test("from nested arrays infers the shape and round-trips through toArray", () => {
    const t = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.dtype).toBe("float32");
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  test("from a typed array copies it and takes an explicit shape", () => {
    const src = new Float32Array([1, 2, 3, 4]);
    const t = Tensor.from(src, [2, 2]);
    src[0] = 99;
    expect(t.data[0]).toBe(1);
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(Tensor.from([1, 2, 3, 4], [2, 2], "float64").dtype).toBe("float64");
  });

  test("zeros, ones, full, item", () => {
    expect(Array.from(Tensor.zeros([3]).data)).toEqual([0, 0, 0]);
    expect(Array.from(Tensor.ones([2]).data)).toEqual([1, 1]);
    expect(Tensor.full([], 2.5).item()).toBe(2.5);
    expect(Tensor.full([1, 1], 7).item()).toBe(7);
  });

  test("bad input gives an Error that names the op and the shapes", () => {
    expect(() => Tensor.from([[1, 2], [3]])).toThrow(/Tensor.from: ragged nested array: \[1\] should have 2 elements/);
    expect(() => Tensor.from([1, 2, 3], [2, 2])).toThrow(/shape \(2, 2\) needs 4 elements, got 3/);
    expect(() => Tensor.zeros([2, -1])).toThrow(TensorError);
    expect(() => Tensor.zeros([2, 1.5])).toThrow(/not a non-negative integer/);
    expect(() => Tensor.zeros([2, 3]).item()).toThrow(/item: needs a tensor with one element, got shape \(2, 3\)/);
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/needs 6 elements, data has 5/);
  });

  test("printing shows shape, dtype and elides long axes", () => {
    const s = String(Tensor.from(Array.from({ length: 10 }, (_, i) => i)));
    expect(s).toBe("Tensor((10,), float32)\n[0, 1, 2, …, 7, 8, 9]");
    expect(String(Tensor.from([[0.5, -1.25]]))).toBe("Tensor((1, 2), float32)\n[[0.5000, -1.2500]]");
  });

  test("randn and uniform reproduce from a seed and differ across seeds", () => {
    const a = Tensor.randn([1000], { seed: 42 });
    const b = Tensor.randn([1000], { seed: 42 });
    const c = Tensor.randn([1000], { seed: 43 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const mean = Array.from(a.data).reduce((s, x) => s + x, 0) / a.size;
    const variance = Array.from(a.data).reduce((s, x) => s + (x - mean) ** 2, 0) / a.size;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
    const u = Tensor.uniform([1000], { seed: 1, low: 2, high: 3 });
    expect(u.data.every((x) => x >= 2 && x < 3)).toBe(true);
  });
});

describe("Rng", () => {
  test("a restored state continues the same sequence", () => {
    const r = new Rng(12345);
    for (let i = 0; i < 10; i++) r.normal();
    const copy = new Rng(r.state);
    const xs = Array.from({ length: 20 }, () => r.normal());
    const ys = Array.from({ length: 20 }, () => copy.normal());
    expect(ys).toEqual(xs);
  });

  test("int is uniform over its range", () => {
    const r = new Rng(7);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});

describe("Tensor.empty", () => {
  test("has the shape and dtype asked for and its own buffer", () => {
    const a = Tensor.empty([3, 5]);
    const b = Tensor.empty([3, 5]);
    expect(a.shape).toEqual([3, 5]);
    expect(a.dtype).toBe("float32");
    expect(a.data.buffer).not.toBe(b.data.buffer);
    a.data.fill(2);
    expect(Array.from(a.data)).toEqual(new Array(15).fill(2));
    expect(Tensor.empty([4], "float64").dtype).toBe("float64");
    expect(() => Tensor.empty([2, -1])).toThrow(/Tensor.empty: shape \(2, -1\) has a dimension/);
  });
});
