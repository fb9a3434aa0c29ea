// The finite-difference checker itself: central differences of a known function, element
// sampling, and checkBackward passing a right backward and failing wrong ones (a scaled gradient,
// one that ignores the cotangent, one of the wrong shape), naming the input and the element.
import { describe, expect, test } from "bun:test";
import { Tensor } from "../src/tensor.ts";
import { BackwardCheckError, centralDifferences, checkBackward, randTensor, thrown, type Differentiable } from "../src/testing.ts";

// f(x, k) = k · Σ x_i³ + k²: df/dx_i = 3·k·x_i², df/dk = Σ x_i³ + 2·k.
const f = ([x, k]: Differentiable[]) => {
  const t = x as Tensor,
    s = k as number;
  let cubes = 0;
  for (let i = 0; i < t.size; i++) cubes += t.data[i] ** 3;
  return s * cubes + s * s;
};

describe("centralDifferences", () => {
  test("of a known function of a Tensor and a number; the Tensor is restored", () => {
    const x = randTensor([2, 5], 1, { dtype: "float64" }),
      k = 0.7;
    const before = x.clone();
    const [dx, dk] = centralDifferences(f, [x, k]);
    expect(dx.indices).toEqual([...Array(10).keys()]);
    for (const [j, i] of dx.indices.entries()) expect(Math.abs(dx.values[j] - 3 * k * x.data[i] ** 2)).toBeLessThan(1e-8);
    let cubes = 0;
    for (let i = 0; i < x.size; i++) cubes += x.data[i] ** 3;
    expect(dk.indices).toEqual([0]);
    expect(Math.abs(dk.values[0] - (cubes + 2 * k))).toBeLessThan(1e-8);
    expect(Array.from(x.data)).toEqual(Array.from(before.data));
  });

  test("samples: the first, the last and random other elements; wrt skips leaves", () => {
    const x = randTensor([100], 2, { dtype: "float64" });
    const [dx, dk] = centralDifferences(f, [x, 1.5], { samples: 5, wrt: (k) => k === 0 });
    expect(dx.indices.length).toBe(5);
    expect(dx.indices[0]).toBe(0);
    expect(dx.indices.at(-1)).toBe(99);
    for (const [j, i] of dx.indices.entries()) expect(Math.abs(dx.values[j] - 4.5 * x.data[i] ** 2)).toBeLessThan(1e-8);
    expect(dk.indices).toEqual([]);
    expect(() => centralDifferences(f, [x, 1.5], { samples: 1 })).toThrow("samples must be an integer ≥ 2, got 1");
  });
});

describe("checkBackward", () => {
  // y = (a ⊙ b, Σ a): two outputs, one of them a number.
  const rule =
    (scale: number, ignoreDy = false) =>
    ([a, b]: Tensor[]): [Differentiable[], (dy: Differentiable[]) => Tensor[]] => {
      let s = 0;
      for (let i = 0; i < a.size; i++) s += a.data[i];
      const prod = Tensor.from(
        a.data.map((v, i) => v * b.data[i]),
        a.shape,
        a.dtype,
      );
      return [
        [prod, s],
        ([dp, ds]) => {
          const d = ignoreDy ? Tensor.ones(a.shape, a.dtype) : (dp as Tensor);
          const da = Tensor.from(
            d.data.map((v, i) => scale * v * b.data[i] + (ds as number)),
            a.shape,
            a.dtype,
          );
          const db = Tensor.from(
            d.data.map((v, i) => v * a.data[i]),
            a.shape,
            a.dtype,
          );
          return [da, db];
        },
      ];
    };
  const inputs = () => [randTensor([3, 4], 3), randTensor([3, 4], 4)];

  test("passes a right backward (inputs cast to float64)", () => {
    let dtype = "";
    const report = checkBackward(([a, b]: Tensor[]) => ((dtype = a.dtype), rule(1)([a, b])), inputs(), { seed: 5, rtol: 1e-7, atol: 1e-9 });
    expect(dtype).toBe("float64");
    expect(report.ok).toBe(true);
    expect(report.entries.map((e) => e.input)).toEqual(["0", "1"]);
    for (const e of report.entries) expect(e.maxRel).toBeLessThan(1e-7);
  });

  test("fails a gradient off by 1%, naming the input, the element and both values", () => {
    const err = thrown(() => checkBackward(rule(1.01), inputs(), { seed: 5, rtol: 1e-6, atol: 1e-9, what: "a·b" }), BackwardCheckError);
    expect(err.message).toMatch(/^a·b failed \(float64, eps 0.000001/);
    expect(err.message).toMatch(/\n\s+0\s+\(3, 4\)\s+.*FAIL/);
    expect(err.message).toMatch(/\n\s+1\s+\(3, 4\)\s+.*ok/);
    const [da] = err.report.entries;
    expect(Math.abs(da.analytic - da.numeric)).toBeGreaterThan(1e-4);
  });

  test("uses a random cotangent: a backward right only for all-ones cotangents fails", () => {
    const report = checkBackward(rule(1, true), inputs(), { noThrow: true });
    expect(report.ok).toBe(false);
    expect(report.entries.every((e) => !e.ok)).toBe(true);
  });

  test("a gradient of the wrong shape or kind is reported; a missing one counts as zero", () => {
    const x = randTensor([2], 1);
    expect(() => checkBackward((t: Tensor) => [t, () => Tensor.zeros([7])], x)).toThrow(/x\s+\(2,\).*FAIL: backward returned shape \(7,\) for it/);
    expect(() => checkBackward(([t]: Tensor[]) => [t, () => Tensor.zeros([2])], [x])).toThrow(
      /backward returned a Tensor \(2,\), expected an array of 1 gradients/,
    );
    const zero = checkBackward((t: Tensor) => [Tensor.zeros(t.shape, t.dtype), () => null], x);
    expect(zero.ok).toBe(true);
    expect(checkBackward((t: Tensor) => [t.clone(), () => null], x, { noThrow: true }).ok).toBe(false);
  });
});
