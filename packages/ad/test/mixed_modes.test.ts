// Both front-ends on one core: an explicit-mode function is registered with the rule registry
// like an implicit-mode one, so grad/valueAndGrad/pullback take one path, implicit code calls
// explicit functions through primal(…) and explicit code calls implicit ones through rrule(…).
import { describe, expect, test } from "bun:test";
import { gradcheck, gradcheckFunction, pullback, ruleOrigin, valueAndGrad } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { randTensor } from "@pullback/tensor/testing";
import { callsImplicit, gate } from "./fixtures/mixed/explicit_part.ad.ts";
import { affine } from "./fixtures/mixed/affine.ad.ts";
import { callsExplicit, callsExplicitDirectly } from "./fixtures/mixed/implicit_part.ad.ts";

const x = randTensor([2, 3], 1),
  w = randTensor([2, 3], 2),
  b = randTensor([2, 3], 3);

describe("implicit code calls an explicit-mode function (primal)", () => {
  test("the value is the plain call's; the gradient passes gradcheck", () => {
    const g = gate([x, w])[0];
    let expected = 0;
    for (let i = 0; i < g.size; i++) expected += g.data[i] * x.data[i];
    expect(callsExplicit(x, w)).toBeCloseTo(expected, 5); // plain (forward-only) call
    const [value] = valueAndGrad(callsExplicit, { argnums: [0, 1] })(x, w);
    expect(value).toBeCloseTo(expected, 5);
    gradcheckFunction(callsExplicit, [x, w]);
  });

  test("calling the explicit function itself from implicit code is an error naming primal", () => {
    expect(() => valueAndGrad(callsExplicitDirectly)(x, w)).toThrow(
      /gate is an explicit-mode function .*call it from implicit-mode code as primal\(gate\)/,
    );
  });
});

describe("explicit code calls an implicit-mode function (rrule)", () => {
  test("value and gradient (gradcheck of the explicit function)", () => {
    const [s] = callsImplicit([x, { w, b }]);
    const h = affine(x, { w, b });
    let expected = 0;
    for (let i = 0; i < h.size; i++) expected += Math.tanh(h.data[i]) ** 2;
    expect(s).toBeCloseTo(expected, 5);
    expect(gradcheck(callsImplicit as any, [x, { w, b }]).ok).toBe(true);
  });
});

describe("one path: an explicit function has a registered rule", () => {
  test("valueAndGrad and pullback of an ad(…) function go through its rule; untouched leaves are zeros", () => {
    expect(ruleOrigin(callsImplicit)).toBe("explicit");
    const [value, [dx, dp]] = valueAndGrad(callsImplicit)([x, { w, b }]);
    expect(value).toBe(callsImplicit([x, { w, b }])[0]);
    expect(dx.shape).toEqual([2, 3]);
    expect(Object.keys(dp)).toEqual(["w", "b"]);
    // pullback(f, …) of an explicit function: y is its output, one cotangent per argument.
    const [y, back] = pullback(gate as unknown as (xs: Tensor[]) => Tensor, [x, w]);
    expect(y.shape).toEqual([2, 3]);
    const ds = back(Tensor.ones([2, 3]));
    expect(ds).toHaveLength(1);
    expect(ds[0].map((d) => d.shape)).toEqual([
      [2, 3],
      [2, 3],
    ]);
  });

  test("the pullback of an ad(…) function called directly is a user-facing boundary: a null cotangent gives zeros in x's structure", () => {
    const [, back] = gate([x, w]);
    const zeros = back(null) as Tensor[];
    expect(zeros.map((z) => [z.shape, Array.from(z.data).every((v) => v === 0)])).toEqual([
      [[2, 3], true],
      [[2, 3], true],
    ]);
  });
});
