import { describe, expect, test } from "bun:test";
import { Tensor } from "@pullback/tensor";
import { clipGradients, globalNorm } from "../src/clip.ts";

const tree = () => ({ a: Tensor.from([3, 0]), blocks: [{ w: Tensor.from([[0, 4]]) }], b: Tensor.from([0], [1], "float64") });

describe("gradient clipping", () => {
  test("global norm over every tensor of a nested structure", () => {
    expect(globalNorm(tree())).toBe(5);
    expect(globalNorm({ x: Tensor.from([1, 2, 2]), y: [Tensor.from([4])] })).toBeCloseTo(5, 12);
  });

  test("a norm above the threshold scales everything by max/norm; the new norm is max", () => {
    const g = tree();
    const { norm, scale } = clipGradients(g, 1);
    expect(norm).toBe(5);
    expect(scale).toBeCloseTo(0.2, 7);
    expect(Array.from(g.a.data)).toEqual([Math.fround(0.6), 0]);
    expect(g.blocks[0].w.data[1]).toBeCloseTo(0.8, 6);
    expect(globalNorm(g)).toBeCloseTo(1, 6);
  });

  test("a norm below the threshold, or clipping off (0), changes nothing", () => {
    for (const max of [10, 5, 0]) {
      const g = tree();
      expect(clipGradients(g, max)).toEqual({ norm: 5, scale: 1 });
      expect(Array.from(g.a.data)).toEqual([3, 0]);
    }
  });

  test("a non-finite norm is reported and nothing is scaled", () => {
    const g = { a: Tensor.from([NaN, 1]), b: Tensor.from([2]) };
    const r = clipGradients(g, 1);
    expect(Number.isNaN(r.norm)).toBe(true);
    expect(r.scale).toBe(1);
    expect(g.b.data[0]).toBe(2);
    expect(clipGradients({ a: Tensor.from([Infinity]) }, 1).norm).toBe(Infinity);
  });
});
