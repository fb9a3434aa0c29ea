import { describe, expect, test } from "bun:test";
import { grad, gradcheckFunction, hessian, hvp, hvpcheck } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import * as F from "./redteam.ad.ts";
import * as G from "./functions.ad.ts";

const rng = new Rng(7);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const check = (f: any, args: unknown[], argnums?: number[]) => expect(hvpcheck(f, args, argnums ? { argnums } : {}).ok).toBe(true);

test("|| on a tracked zero: path as first order", () => {
  const a = 1.5;
  // first order: s = 0 is falsy, t = a, f = a²: grad [2a, 0], H [[2,0],[0,0]]
  const g = grad(F.orFallback, { argnums: [0, 1] })(a, 0);
  expect(g).toEqual([3, 0]);
  const [ha, hb] = hvp(F.orFallback, [a, 0], [1, 0]);
  expect([ha, hb]).toEqual([2, 0]);
});
test("&& on a tracked zero", () => {
  const a = 1.5;
  const [ha, hb] = hvp(F.andPick, [a, 0], [1, 0]);
  // t = s = 0 (falsy): f = 0 + a³: H·e0 = [6a, 0]
  expect([ha, hb]).toEqual([6 * a, 0]);
});
test("for test reads tracked", () => check(F.forUntilTracked, [r(3)]));
test("index by tracked", () => check(F.indexByTracked, [[1.5, 2.5, 3.5], 1.3], [1]));
test("map key", () => check(F.mapKey, [2.2]));
test("template key", () => check(F.templateKey, [2.2]));
test("optional chain", () => check(F.optionalChain, [{ w: r(3), b: 0.7 }, r(3)]));
test("shorthand in test", () => check(F.shorthandInTest, [0.8]));
test("assign in test", () => check(F.assignInTest, [0.8]));
test("recursion", () => check(F.cube, [0.8]));
test("typeof/in/instanceof", () => check(F.typeTests, [r(3), { a: 0.6 }]));
test("Number()", () => check(F.numberCall, [1.3]));
test("nonDifferentiable", () => check(F.withNonDiff, [r(3)]));
test("a loop count given a tangent: it changes nothing (first order does not differentiate it either)", () => {
  const [x, w, vx, vw] = [r(2, 3), r(3, 3), r(2, 3), r(3, 3)];
  const [hx, hw, hn] = hvp(G.forLoop, [x, w, 3], [vx, vw, 1]);
  const [ex, ew] = hvp(G.forLoop, [x, w, 3], [vx, vw]);
  expect(Array.from(hx.data)).toEqual(Array.from(ex.data));
  expect(Array.from(hw.data)).toEqual(Array.from(ew.data));
  expect(hn).toBe(0);
});

describe("batch 2", () => {
  test("explicit mode through primal", () => check(F.viaPrimal, [r(2, 3), r(2, 3)]));
  test("explicit detach drops the tangent like stopGradient", () => {
    const [x, v] = [r(4), r(4)];
    const [hs] = hvp(F.stoppedExp, [x], [v]);
    const [hd] = hvp(F.detachedViaPrimal, [x], [v]);
    expect(Array.from(hd.data)).toEqual(Array.from(hs.data));
  });
  test("structure helpers", () => check(F.structures, [{ a: r(3), b: r(3) }, r(3)]));
  test("other modules", () => check(F.otherModules, [r(3, 3), r(3, 3), r(3, 3)]));
  test("checkpoint with a number argument", () => check(F.checkpointNumber, [r(2, 3), 0.8]));
  test("customVjp with a number argument", () => check(F.customNumber, [r(2, 3), 0.8]));
  test("classifier", () => check(F.classifier, [r(4, 3), r(3, 5), r(5), r(5), new Int32Array([0, 4, 2, 1])], [0, 1, 2, 3]));
  test("classifier, default argnums", () => check(F.classifier, [r(4, 3), r(3, 5), r(5), r(5), new Int32Array([0, 4, 2, 1])]));
  test("grad inside with argnums [0, 1]", () => expect(gradcheckFunction(F.gradBoth, [r(2, 3), r(2, 3)], { argnums: [0, 1] }).ok).toBe(true));
  test("grad inside of a number function", () => {
    const [a, b] = [0.7, -0.4];
    const g = grad(F.gradOfNumber, { argnums: [0, 1] })(a, b);
    const h = 1e-6;
    const num = (i: number) => (F.gradOfNumber(...([a, b].map((x, j) => (j === i ? x + h : x)) as [number, number])) - F.gradOfNumber(...([a, b].map((x, j) => (j === i ? x - h : x)) as [number, number]))) / (2 * h);
    expect(g[0]).toBeCloseTo(num(0), 6);
    expect(g[1]).toBeCloseTo(num(1), 6);
  });
  test("hessian of numbers", () => {
    expect(() => hessian((a: number) => F.cubic(a, 0.5))(0.3)).toThrow(/hessian: an anonymous function has no rule .* Define it in an .ad.ts file/);
  });
});
