// .ad.ts files loaded through the preload (bunfig.toml [test] preload): gradients of expanded
// functions against finite differences, loops of 0/1/many iterations, nested ad, fork/detach/
// attach, object parameters, hasAux, and stack traces that name the .ad.ts file, line and column.
import { describe, expect, test } from "bun:test";
import { Tensor } from "@pullback/tensor";
import { randTensor } from "@pullback/tensor/testing";
import { gradcheck, valueAndGrad } from "../src/index.ts";
import { f } from "./fixtures/example.ad.ts";
import { forLoop, forOfLoop, parenthesizedLoop, twoCarried, whileLoop } from "./fixtures/loops.ad.ts";
import { mlp, stack2 } from "./fixtures/nested.ad.ts";
import { bar, baz, bra, foo } from "./fixtures/ops.ts";
import { detached, loss, lossWithAux, objects, square } from "./fixtures/structural.ad.ts";
import { forwardThrows, pullbackThrows } from "./fixtures/throws.ad.ts";

describe("the issue's example", () => {
  test("forward matches the composition of the ops; both branches", () => {
    for (const seed of [1, 2, 3, 4]) {
      const x = randTensor([4], seed),
        y = randTensor([4], seed + 10, { low: -2, high: 2 });
      const n = 3;
      const [z] = f([x, y], n);
      let [t] = bar([foo(x, 1)[0], y]);
      for (let i = 0; i < n; i++) [t] = baz(t, i);
      let s = 0;
      for (const v of t.data) s += v;
      const [expected] = s > 0 ? baz(t) : bra(t);
      expect([...(z as Tensor).data]).toEqual([...expected.data]);
    }
  });
  test("passes gradcheck for 0, 1 and many loop iterations, both branches", () => {
    for (const n of [0, 1, 10]) {
      for (const seed of [1, 5]) {
        const r = gradcheck(f as any, [randTensor([3, 2], seed), randTensor([3, 2], seed + 1)], { args: [n] });
        expect(r.ok).toBe(true);
        expect(r.entries.map((e) => e.input)).toEqual(["0", "1"]);
      }
    }
  });
  test("the pullback can be called more than once (the loop stack is replayed, not consumed)", () => {
    const [, pb] = f([randTensor([3], 1), randTensor([3], 2)], 4);
    const dz = randTensor([3], 3);
    const [a1, b1] = pb(dz) as Tensor[];
    const [a2, b2] = pb(dz) as Tensor[];
    expect([...a1.data]).toEqual([...a2.data]);
    expect([...b1.data]).toEqual([...b2.data]);
  });
});

describe("loops of 0, 1 and many iterations", () => {
  for (const n of [0, 1, 7]) {
    test(`for, while, for…of, two carried variables: ${n} iteration(s)`, () => {
      const x = randTensor([2, 3], 1),
        w = randTensor([2, 3], 2);
      expect(gradcheck(forLoop as any, x, { args: [n] }).ok).toBe(true);
      expect(gradcheck(whileLoop as any, x, { args: [n] }).ok).toBe(true);
      const scales = Array.from({ length: n }, (_, i) => 0.5 + 0.25 * i);
      expect(gradcheck(forOfLoop as any, [x, w], { args: [scales] }).ok).toBe(true);
      expect(gradcheck(twoCarried as any, [x, w], { args: [n] }).ok).toBe(true);
      expect(gradcheck(parenthesizedLoop as any, x, { args: [n] }).ok).toBe(true);
      expect([...(parenthesizedLoop(x, n)[0] as Tensor).data]).toEqual([...(forLoop(x, n)[0] as Tensor).data]);
    });
  }
  test("zero iterations is the identity on the carried value", () => {
    const x = randTensor([3], 9);
    const [y, pb] = forLoop(x, 0);
    expect([...(y as Tensor).data]).toEqual([...x.data].map((v) => Math.fround(1.5 * v)));
    const dx = pb(Tensor.ones([3])) as Tensor;
    expect([...dx.data]).toEqual([1.5, 1.5, 1.5]);
  });
});

describe("nested ad", () => {
  test("an ad closure created per layer inside a loop (weights attached)", () => {
    const ws = [randTensor([3, 4], 1), randTensor([4, 4], 2), randTensor([4, 2], 3)];
    const r = gradcheck(mlp as any, randTensor([2, 3], 4), { args: [ws] });
    expect(r.ok).toBe(true);
    const [y] = mlp(randTensor([2, 3], 4), ws);
    expect((y as Tensor).shape).toEqual([2, 2]);
    expect(gradcheck(mlp as any, randTensor([2, 3], 4), { args: [[]] }).ok).toBe(true);
  });
  test("a closure called twice as an rrule with tracked weights", () => {
    const r = gradcheck(stack2 as any, [randTensor([2, 3], 1), randTensor([3, 3], 2), randTensor([3, 2], 3)]);
    expect(r.entries.map((e) => e.input)).toEqual(["0", "1", "2"]);
    expect(r.ok).toBe(true);
  });
});

describe("fork, detach, attach, structures", () => {
  test("fork + attach: x² + c", () => {
    const x = Tensor.from([1, -2, 3]);
    const [y, pb] = square(x);
    expect((y as Tensor).toArray()).toEqual([1.5, 4.5, 9.5]);
    expect((pb(Tensor.ones([3])) as Tensor).toArray()).toEqual([2, -4, 6]);
    expect(gradcheck(square as any, randTensor([4], 1)).ok).toBe(true);
  });
  test("object parameters and object/array outputs", () => {
    const r = gradcheck(objects as any, { w: randTensor([2, 2], 1), b: randTensor([2, 2], 2) });
    expect(r.entries.map((e) => e.input)).toEqual(["w", "b"]);
    expect(r.ok).toBe(true);
    const [out, pb] = objects({ w: randTensor([2], 1), b: randTensor([2], 2) });
    expect(Object.keys(out as object)).toEqual(["first", "second"]);
    const g = pb({ first: Tensor.ones([2]), second: [Tensor.ones([2])] }) as Record<string, Tensor>;
    expect(Object.keys(g)).toEqual(["w", "b"]);
  });
  test("detach: the detached copy contributes no gradient", () => {
    // y = foo(x, 1/(1+max|x|)) with the scale treated as a constant.
    const x = randTensor([5], 3);
    const [, pb] = detached(x);
    const dy = randTensor([5], 4);
    const dx = pb(dy) as Tensor;
    const m = Math.max(...[...x.data].map(Math.abs));
    const k = 1 / (1 + m);
    for (let i = 0; i < 5; i++) expect(dx.data[i]).toBeCloseTo(dy.data[i] * k * Math.cos(x.data[i]), 5);
  });
  test("valueAndGrad over an ad function, with and without hasAux", () => {
    const x = Tensor.from([1, 2]),
      w = Tensor.from([3, 4]);
    const [v, [dx, dw]] = valueAndGrad(loss as any)([x, w]);
    expect(v).toBe(11);
    expect((dx as Tensor).toArray()).toEqual([3, 4]);
    expect((dw as Tensor).toArray()).toEqual([1, 2]);
    const [[v2, aux], [dx2]] = valueAndGrad(lossWithAux as any, { hasAux: true })([x, w]);
    expect(v2).toBe(11);
    expect((aux as Tensor).shape).toEqual([2]);
    expect((dx2 as Tensor).toArray()).toEqual([3, 4]);
  });
});

describe("stack traces name the .ad.ts file, line and column", () => {
  const frame = (stack: string, fn: string) => stack.split("\n").find((l) => l.includes(`at ${fn} `)) ?? "";
  test("an error thrown in the forward pass", () => {
    let stack = "";
    try {
      forwardThrows(Tensor.from([1, 2]));
    } catch (e) {
      stack = (e as Error).stack ?? "";
    }
    expect(stack).toContain("boom in the forward pass");
    // line 6: `  const [b, __1] = boom(a, "forward");` — the call `boom(` starts at column 20.
    expect(frame(stack, "forwardThrows")).toMatch(/fixtures\/throws\.ad\.ts:6:20\)$/);
  });
  test("an error thrown inside a pullback points at the rrule call it differentiates", () => {
    const [, pb] = pullbackThrows(Tensor.from([1, 2]));
    let stack = "";
    try {
      pb(Tensor.from([1, 1]));
    } catch (e) {
      stack = (e as Error).stack ?? "";
    }
    expect(stack).toContain("boom in the pullback");
    expect(frame(stack, "boom_pullback")).toContain("fixtures/ops.ts");
    // line 12: `  const [b, __1] = boom(a, "pullback");`
    expect(frame(stack, "pullbackThrows_pullback")).toMatch(/fixtures\/throws\.ad\.ts:12:20\)$/);
  });
});
