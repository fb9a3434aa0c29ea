import { describe, expect, test } from "bun:test";
import {
  getThreads,
  layerNorm,
  layerNormBackward,
  layerNormBackwardTangent,
  layerNormForward,
  setThreads,
  Tensor,
  TensorError,
} from "@pullback/tensor";
import * as ref from "../src/reference/layernorm.ts";
import { assertClose, kernelSizes, randTensor } from "../src/testing.ts";
import { checkGradients } from "./normloss_helpers.ts";

function inputs(shape: number[], seed: number, dtype: "float32" | "float64" = "float32") {
  const c = shape[shape.length - 1];
  return {
    x: randTensor(shape, seed, { low: -3, high: 3, dtype }),
    w: randTensor([c], seed + 1, { low: 0.5, high: 1.5, dtype }),
    b: randTensor([c], seed + 2, { dtype }),
    dy: randTensor(shape, seed + 3, { dtype }),
  };
}

function compare(shape: number[], seed: number) {
  const { x, w, b, dy } = inputs(shape, seed);
  const got = layerNormForward(x, w, b);
  const want = ref.layerNormForward(x, w, b);
  const what = `layerNorm (${shape})`;
  assertClose(got.y, want.y, { rtol: 1e-4, atol: 1e-5, what: `${what} y` });
  assertClose(got.mean, want.mean, { rtol: 1e-5, atol: 1e-6, what: `${what} mean` });
  assertClose(got.rstd, want.rstd, { rtol: 1e-4, atol: 1e-6, what: `${what} rstd` });
  const g = layerNormBackward(dy, x, w, got.mean, got.rstd);
  const r = ref.layerNormBackward(dy, x, w, got.mean, got.rstd);
  const rows = x.size / shape[shape.length - 1];
  assertClose(g.dx, r.dx, { rtol: 1e-3, atol: 1e-4, what: `${what} dx` });
  // dw/db are sums over rows: the tolerance grows with √rows.
  const atol = 1e-5 * Math.sqrt(rows) * 4;
  assertClose(g.dw, r.dw, { rtol: 1e-4, atol, what: `${what} dw` });
  assertClose(g.db, r.db, { rtol: 1e-4, atol, what: `${what} db` });
}

describe("layerNorm", () => {
  test("Zig matches the float64 reference at every size (forward and backward)", () => {
    for (const c of kernelSizes)
      for (const shape of [
        [1, c],
        [5, c],
        [2, 3, c],
      ])
        compare(shape, c);
  });

  test("model shape (8192, 64), and dw/db bit-identical for 1 and all threads", () => {
    compare([8192, 64], 42);
    const { x, w, b, dy } = inputs([8192, 64], 43);
    const { mean, rstd } = layerNormForward(x, w, b);
    const before = getThreads();
    const all = layerNormBackward(dy, x, w, mean, rstd);
    setThreads(1);
    let one: ReturnType<typeof layerNormBackward>;
    try {
      one = layerNormBackward(dy, x, w, mean, rstd);
    } finally {
      setThreads(before);
    }
    expect(Array.from(one.dw.data)).toEqual(Array.from(all.dw.data));
    expect(Array.from(one.db.data)).toEqual(Array.from(all.db.data));
    expect(Array.from(one.dx.data)).toEqual(Array.from(all.dx.data));
  });

  test("backward matches central finite differences (float64, reference) for x, w and b", () => {
    for (const shape of [
      [1, 1],
      [3, 7],
      [2, 2, 5],
    ]) {
      const { x, w, b } = inputs(shape, 9, "float64");
      checkGradients(
        `layerNorm${JSON.stringify(shape)}`,
        ([x, w, b]) => [layerNorm(x, w, b)],
        ([dy]) => {
          const { mean, rstd } = layerNormForward(x, w, b);
          const g = layerNormBackward(dy, x, w, mean, rstd);
          return [g.dx, g.dw, g.db];
        },
        [x, w, b],
        3,
        1e-5,
      );
    }
  });

  test("a tiny hand-computed case", () => {
    const { y, mean, rstd } = layerNormForward(Tensor.from([[1, 3]]), Tensor.from([2, 1]), Tensor.from([0, 1]), 0);
    expect(Array.from(mean.data)).toEqual([2]);
    expect(Array.from(rstd.data)).toEqual([1]);
    expect(Array.from(y.data)).toEqual([-2, 2]);
  });

  test("layerNorm (the value) is layerNormForward's y, float32 and float64; eps defaults to 1e-5", () => {
    for (const dtype of ["float32", "float64"] as const) {
      for (const shape of [
        [5, 7],
        [2, 3, 4],
      ]) {
        const { x, w, b } = inputs(shape, 21, dtype);
        const y = layerNorm(x, w, b);
        expect(y.dtype).toBe(dtype);
        expect(y.shape).toEqual(shape);
        expect(Array.from(y.data)).toEqual(Array.from(layerNormForward(x, w, b, 1e-5).y.data));
        expect(Array.from(layerNorm(x, w, b, 0.5).data)).toEqual(Array.from(layerNormForward(x, w, b, 0.5).y.data));
        assertClose(y, ref.layerNormForward(x, w, b).y, { rtol: 1e-4, atol: 1e-5, what: `layerNorm ${dtype} (${shape})` });
      }
    }
  });

  test("bad input is a clear TensorError", () => {
    const x = Tensor.zeros([4, 3]);
    expect(() => layerNorm(x, Tensor.zeros([4]), Tensor.zeros([3]))).toThrow(TensorError);
    expect(() => layerNormForward(x, Tensor.zeros([4]), Tensor.zeros([3]))).toThrow("layerNormForward: w (4,) must be (3,) for x (4, 3)");
    expect(() => layerNorm(x, Tensor.zeros([4]), Tensor.zeros([3]))).toThrow("layerNorm: w (4,) must be (3,) for x (4, 3)");
    expect(() => layerNorm(x, Tensor.zeros([3]), Tensor.zeros([3, 1]))).toThrow("layerNorm: b (3, 1) must be (3,) for x (4, 3)");
    expect(() => layerNorm(x, Tensor.zeros([3], "float64"), Tensor.zeros([3]))).toThrow("layerNorm: x is float32 but w is float64");
    expect(() => layerNorm(Tensor.from(1), Tensor.zeros([1]), Tensor.zeros([1]))).toThrow("layerNorm: x needs at least one axis");
    expect(() => layerNorm(x, Tensor.zeros([3]), Tensor.zeros([3]), -1)).toThrow("layerNorm: eps must be a finite non-negative number, got -1");
    const { mean, rstd } = layerNormForward(x, Tensor.ones([3]), Tensor.zeros([3]));
    expect(() => layerNormBackward(Tensor.zeros([3, 4]), x, Tensor.ones([3]), mean, rstd)).toThrow(
      "layerNormBackward: dy (3, 4) must have the shape of x (4, 3)",
    );
    expect(() => layerNormBackward(x, x, Tensor.ones([3]), Tensor.zeros([3]), rstd)).toThrow(
      "layerNormBackward: mean (3,) must have one value per row of x (4, 3), i.e. shape (4,)",
    );
  });
});

describe("layerNormBackwardTangent (the forward rule of layerNormBackward, for second derivatives)", () => {
  const inputs = (rows: number, c: number, seed: number, dtype: "float32" | "float64" = "float32") => {
    const t = (shape: number[], k: number, low = -1, high = 1) => randTensor(shape, seed + k, { low, high, dtype });
    return [
      t([rows, c], 0),
      t([rows, c], 1),
      t([c], 2),
      t([rows], 3),
      t([rows], 4, 0.5, 2),
      t([rows, c], 5),
      t([rows, c], 6),
      t([c], 7),
      t([rows], 8),
      t([rows], 9),
    ] as const;
  };
  test("the kernel equals the float64 reference at every width", () => {
    for (const c of [...kernelSizes, 768]) {
      const a = inputs(3, c, c);
      const got = layerNormBackwardTangent(...a);
      const want = ref.layerNormBackwardTangent(...(a.map((t) => t.to("float64")) as unknown as typeof a));
      for (const k of ["dx", "dw", "db"] as const)
        assertClose(got[k], want[k], { rtol: 1e-4, atol: 1e-5, what: `layerNormBackwardTangent ${k} C=${c}` });
    }
  });
  test("the reference is the derivative of layerNormBackward along the tangents (central differences, float64)", () => {
    const a = inputs(4, 6, 11, "float64");
    const [dy, x, w, mean, rstd, ...t] = a;
    const shifted = (e: number) =>
      layerNormBackward(
        ...([dy, x, w, mean, rstd]
          .map((v, i) => v.clone())
          .map((v, i) => {
            v.data.forEach((_, j) => (v.data[j] += e * (t[i].data[j] as number)));
            return v;
          }) as [Tensor, Tensor, Tensor, Tensor, Tensor]),
      );
    const [plus, minus] = [shifted(1e-6), shifted(-1e-6)];
    const got = ref.layerNormBackwardTangent(...a);
    for (const k of ["dx", "dw", "db"] as const)
      got[k].data.forEach((v, j) => expect(Math.abs(v - ((plus[k].data[j] as number) - (minus[k].data[j] as number)) / 2e-6)).toBeLessThan(1e-7));
  });
  test("bad shapes name the op", () => {
    const a = inputs(3, 4, 1);
    expect(() => layerNormBackwardTangent(...(a.map((v, i) => (i === 6 ? Tensor.zeros([3, 5]) : v)) as unknown as typeof a))).toThrow(
      /layerNormBackwardTangent: tdy \(3, 4\) must have the shape of tx \(3, 5\)/,
    );
  });
});
