// The runtime: the test ops themselves pass gradcheck; gradcheck catches wrong pullbacks;
// fork/detach/attach; valueAndGrad/grad (hasAux); tree utilities.
import { describe, expect, test } from "bun:test";
import { Tensor } from "@pullback/tensor";
import { randTensor, thrown } from "@pullback/tensor/testing";
import {
  ad,
  attach,
  detach,
  splitFirst,
  flattenTree,
  fork,
  grad,
  gradcheck,
  GradcheckError,
  treeAdd,
  treeFlatten,
  treeMap,
  treeUnflatten,
  treeZerosLike,
  treeZip,
  unflattenTree,
  valueAndGrad,
} from "../src/index.ts";
import { add, bar, baz, bra, foo, matmul, scale, sumAll } from "./fixtures/ops.ts";

describe("test ops pass gradcheck", () => {
  const shapes = [[1], [3], [2, 3], [4, 1, 2]];
  for (const shape of shapes) {
    test(`elementwise ops, shape (${shape})`, () => {
      const x = randTensor(shape, 1),
        y = randTensor(shape, 2);
      for (const [name, f, input, args] of [
        ["foo", foo, x, [1.5]],
        ["bar", bar, [x, y], []],
        ["baz", baz, x, [3]],
        ["bra", bra, x, []],
        ["add", add, [x, y], []],
        ["scale", scale, x, [-2]],
        ["sumAll", sumAll, x, []],
      ] as const) {
        const r = gradcheck(f as any, input as any, { args: args as any });
        expect(r.ok).toBe(true);
        for (const e of r.entries) expect(e.maxRel).toBeLessThan(1e-5);
        void name;
      }
    });
  }
  test("matmul over several shapes", () => {
    for (const [n, k, m] of [
      [1, 1, 1],
      [2, 3, 4],
      [5, 1, 3],
    ]) {
      const r = gradcheck(matmul as any, [randTensor([n, k], n), randTensor([k, m], m)]);
      expect(r.entries.map((e) => e.input)).toEqual(["0", "1"]);
      expect(r.ok).toBe(true);
    }
  });
});

describe("gradcheck", () => {
  test("reports per input and throws a readable table when a pullback is wrong", () => {
    // The pullback forgets the transpose: right only for symmetric cotangents (so never all ones).
    const wrong = ([a, b]: [Tensor, Tensor]) => {
      const [y, pb] = bar([a, b]);
      return [
        y,
        (dy: Tensor) => {
          const [da] = pb(dy);
          return [da, da];
        },
      ] as [Tensor, (dy: Tensor) => unknown];
    };
    const x = randTensor([3, 2], 1),
      y = randTensor([3, 2], 2);
    const err = thrown(() => gradcheck(wrong as any, [x, y]), GradcheckError);
    const msg = err.message;
    expect(msg).toContain("gradcheck");
    expect(msg).toMatch(/input\s+shape\s+max abs err\s+max rel err/);
    expect(msg).toMatch(/\n\s+0\s+\(3, 2\)\s+\S+\s+\S+.*ok/);
    expect(msg).toMatch(/\n\s+1\s+\(3, 2\)\s+.*FAIL/);
    const report = err.report;
    expect(report.entries[0].ok).toBe(true);
    expect(report.entries[1].ok).toBe(false);
    expect(report.entries[1].maxAbs).toBeGreaterThan(1e-3);
  });

  test("uses a random cotangent: a pullback that is only right for all-ones cotangents fails", () => {
    // sum-like pullback that ignores dy (correct only when dy is all ones).
    const bad = (x: Tensor) => [x.clone(), (_dy: Tensor) => Tensor.ones(x.shape, x.dtype)] as [Tensor, (dy: Tensor) => Tensor];
    const r = gradcheck(bad as any, randTensor([4], 3), { noThrow: true });
    expect(r.ok).toBe(false);
  });

  test("casts inputs to float64, and accepts number leaves and nested inputs", () => {
    let seen = "";
    const f = ({ x, k }: { x: Tensor; k: number }) => {
      seen = x.dtype;
      const [y, pb] = scale(x, 1);
      return [
        y.data.map((v) => v * k).length
          ? Tensor.from(
              y.data.map((v) => v * k),
              y.shape,
              y.dtype,
            )
          : y,
        (dy: Tensor) => {
          let dk = 0;
          for (let i = 0; i < dy.size; i++) dk += dy.data[i] * x.data[i];
          const dx = pb(dy);
          return {
            x: Tensor.from(
              dx.data.map((v) => v * k),
              dx.shape,
              dx.dtype,
            ),
            k: dk,
          };
        },
      ] as [Tensor, (dy: Tensor) => unknown];
    };
    const r = gradcheck(f as any, { x: randTensor([3], 1), k: 0.7 });
    expect(seen).toBe("float64");
    expect(r.entries.map((e) => e.input)).toEqual(["x", "k"]);
    expect(r.ok).toBe(true);
  });

  test("a missing cotangent of the wrong shape is reported, not crashed on", () => {
    const f = (x: Tensor) => [x, () => Tensor.zeros([7])] as [Tensor, (dy: unknown) => Tensor];
    expect(() => gradcheck(f as any, randTensor([2], 1))).toThrow(/backward returned shape \(7,\)/);
  });
});

describe("fork, detach, attach", () => {
  test("fork returns copies and sums cotangents (numbers, tensors, nested, missing)", () => {
    const x = Tensor.from([1, 2]);
    const [[a, b], pb] = fork(x);
    expect(a).toBe(x);
    expect(b).toBe(x);
    expect((pb([Tensor.from([1, 2]), Tensor.from([10, 20])]) as Tensor).toArray()).toEqual([11, 22]);
    expect(pb([3 as any, 4 as any])).toBe(7);
    expect(pb([undefined as any, Tensor.from([5, 6])])).toBeInstanceOf(Tensor);
    const [[c1, c2, c3], pb3] = fork(x, 3);
    expect([c1, c2, c3].every((c) => c === x)).toBe(true);
    expect((pb3([Tensor.from([1, 1]), Tensor.from([1, 1]), Tensor.from([1, 1])]) as Tensor).toArray()).toEqual([3, 3]);
    expect(() => fork(x, 0)).toThrow(/positive integer/);
  });
  test("fork passes gradcheck", () => {
    const f = (x: Tensor) => {
      const [[a, b], pbf] = fork(x);
      const [y, pbb] = bar([a, b]);
      return [y, (dy: Tensor) => pbf(pbb(dy) as any)] as [Tensor, (dy: Tensor) => unknown];
    };
    expect(gradcheck(f as any, randTensor([5], 4)).ok).toBe(true);
  });
  test("detach gives the zero cotangent (null); attach drops its cotangent (null)", () => {
    const x = Tensor.from([
      [1, 2],
      [3, 4],
    ]);
    const [v, pbd] = detach(x);
    expect(v).toBe(x);
    expect(pbd()).toBeNull();
    const [c, pba] = attach(x);
    expect(c).toBe(x);
    expect(pba(Tensor.ones([2, 2]))).toBeNull();
  });
  test("fork and splitFirst take null cotangents (zeros)", () => {
    const x = Tensor.from([1, 2]);
    const [, pbf] = fork(x);
    expect(pbf(null)).toBeNull();
    expect(pbf([null, null])).toBeNull();
    expect(pbf([null, x])).toBe(x);
    const [, pbs] = splitFirst([x, x, x]);
    expect(pbs(null)).toBeNull();
    expect(pbs([null, null])).toBeNull();
    expect(pbs([x, null])).toEqual([x, null, null]);
    expect(pbs([null, [x, null]])).toEqual([null, x, null]);
  });
});

describe("valueAndGrad and grad", () => {
  const loss = ([x, w]: [Tensor, Tensor]) => {
    const [y, pb1] = bar([x, w]);
    const [l, pb2] = sumAll(y);
    return [l, (dl: number) => pb1(pb2(dl))] as [number, (dl: number) => unknown];
  };
  test("value and gradients of a scalar function, seeded with 1", () => {
    const x = Tensor.from([1, 2, 3]),
      w = Tensor.from([4, 5, 6]);
    const [value, [dx, dw]] = valueAndGrad(loss)([x, w]);
    expect(value).toBe(32);
    expect((dx as Tensor).toArray()).toEqual([4, 5, 6]);
    expect((dw as Tensor).toArray()).toEqual([1, 2, 3]);
    const g = grad(loss)([x, w]);
    expect((g[0] as Tensor).toArray()).toEqual([4, 5, 6]);
  });
  test("hasAux: f returns [value, aux]; aux gets a zero cotangent", () => {
    const f = (x: Tensor) => {
      const [[a, b], pbf] = fork(x);
      const [l, pbs] = sumAll(a);
      return [[l, b], ([dl, db]: [number, Tensor]) => pbf([pbs(dl), db])] as [[number, Tensor], (d: any) => unknown];
    };
    const x = Tensor.from([1, 2]);
    const [[value, aux], g] = valueAndGrad(f, { hasAux: true })(x);
    expect(value).toBe(3);
    expect(aux).toBe(x);
    expect((g as Tensor).toArray()).toEqual([1, 1]);
    const [g2, aux2] = grad(f, { hasAux: true })(x);
    expect((g2 as Tensor).toArray()).toEqual([1, 1]);
    expect(aux2).toBe(x);
  });
  test("a one-element Tensor output is seeded with a ones tensor; larger outputs are rejected", () => {
    const f = (x: Tensor) => [x, (dy: Tensor) => dy] as [Tensor, (dy: Tensor) => Tensor];
    const [, g] = valueAndGrad(f)(Tensor.from([2.5]));
    expect((g as Tensor).toArray()).toEqual([1]);
    expect(() => valueAndGrad(f)(Tensor.from([1, 2]))).toThrow(/must return a scalar/);
    expect(() => valueAndGrad((() => 3) as any)(1)).toThrow(/\[output, pullback\]/);
  });
});

describe("trees", () => {
  const params = { wte: Tensor.from([[1, 2]]), blocks: [{ ln: { w: Tensor.from([3]) } }, { ln: { w: Tensor.from([4]) } }], scale: 2 };
  test("flatten with dotted paths and back", () => {
    const flat = flattenTree(params);
    expect(Object.keys(flat)).toEqual(["wte", "blocks.0.ln.w", "blocks.1.ln.w", "scale"]);
    const back = unflattenTree(flat) as any;
    expect(Array.isArray(back.blocks)).toBe(true);
    expect(back.blocks[1].ln.w).toBe(params.blocks[1].ln.w);
    const { leaves } = treeFlatten(params);
    expect((treeUnflatten(params, leaves) as any).blocks[0].ln.w).toBe(params.blocks[0].ln.w);
  });
  test("map, zip, add, zerosLike", () => {
    const doubled = treeMap(params, (t) =>
      t instanceof Tensor
        ? Tensor.from(
            t.data.map((v) => 2 * v),
            t.shape,
          )
        : t * 2,
    ) as any;
    expect(doubled.blocks[1].ln.w.toArray()).toEqual([8]);
    expect(doubled.scale).toBe(4);
    const sum = treeAdd(params, doubled) as any;
    expect(sum.wte.toArray()).toEqual([[3, 6]]);
    expect(sum.scale).toBe(6);
    const zeros = treeZerosLike(params) as any;
    expect(zeros.blocks[0].ln.w.toArray()).toEqual([0]);
    const paths: string[] = [];
    treeZip([params, doubled, zeros], (leaves, path) => (paths.push(path), leaves.length));
    expect(paths).toEqual(["wte", "blocks.0.ln.w", "blocks.1.ln.w", "scale"]);
    expect(() => treeZip([params, { ...params, extra: 1 }], (l) => l[0])).toThrow(/structures differ at the root/);
    expect(() => treeAdd({ a: Tensor.zeros([2]) }, { a: Tensor.zeros([3]) })).toThrow(/shapes differ at a/);
  });
});

test("ad called without the loader throws a message that says how to register it", () => {
  expect(() => ad((x: Tensor) => x)).toThrow(/\.ad\.ts loader/);
  expect(() => ad((x: Tensor) => x)).toThrow(/preload = \["@pullback\/ad\/preload"\]/);
  expect(() => ad((x: Tensor) => x)).toThrow(/plugins: \[pullbackPlugin\]/);
});

describe("splitFirst", () => {
  test("takes the head off an array; the pullback rebuilds the cotangent array", () => {
    const a = Tensor.from([1]),
      b = Tensor.from([2]),
      c = Tensor.from([3]);
    const [[head, rest], pb] = splitFirst([a, b, c]);
    expect(head).toBe(a);
    expect(rest).toEqual([b, c]);
    expect(pb([1 as any, [2, 3] as any])).toEqual([1, 2, 3]);
    expect(() => splitFirst([])).toThrow(/splitFirst: expected a non-empty array, got an empty array/);
  });

  test("a layer loop over a tracked array of weights passes gradcheck (0, 1 and 3 layers)", async () => {
    const { stack } = await import("./fixtures/layers.ad.ts");
    for (const n of [0, 1, 3]) {
      const ws = Array.from({ length: n }, (_, i) => randTensor([3, 3], 10 + i));
      const report = gradcheck(stack as any, [randTensor([2, 3], 5), ws]);
      expect(report.ok).toBe(true);
      expect((stack([randTensor([2, 3], 5), ws])[1](1) as any)[1].length).toBe(n);
    }
  });
});
