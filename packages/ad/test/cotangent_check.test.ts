// A hand-written rule (customVjp / defineRrule) whose pullback returns a cotangent that does not
// fit its argument is an error naming the rule, where it was defined and where it was called —
// never a wrong gradient.
import { expect, test } from "bun:test";
import { CotangentError, defineRrule, pullback, valueAndGrad } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { lossOfNumber, lossOfRight, lossOfTransposed } from "./fixtures/cotangents/wrong_rules.ad.ts";

const x = Tensor.from([
  [1, 2],
  [3, 4],
  [5, 6],
]); // (3, 2)

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CotangentError);
    return (e as Error).message;
  }
  throw new Error("expected a CotangentError");
}

test("a (2, 3) cotangent for a (3, 2) argument names the rule, where it was defined and called", () => {
  const m = messageOf(() => valueAndGrad(lossOfTransposed)(x));
  expect(m).toContain("the pullback of the rule of ");
  expect(m).toContain("the cotangent of argument 0 is a float32 Tensor of shape (2, 3), its argument a float32 Tensor of shape (3, 2)");
  expect(m).toMatch(/defined at [^,]*wrong_rules\.ad\.ts:\d+:\d+/);
  expect(m).toMatch(/called at [^)]*wrong_rules\.ad\.ts:21:\d+/);
});

test("a number for a Tensor argument is an error", () => {
  expect(messageOf(() => valueAndGrad(lossOfNumber)(x))).toContain(
    "the cotangent of argument 0 is a number, its argument a float32 Tensor of shape (3, 2)",
  );
});

test("a right rule passes unchanged, cotangents of numbers included", () => {
  const [value, [dx, ds]] = valueAndGrad(lossOfRight, { argnums: [0, 1] })(x, 3);
  expect(value).toBe(63);
  expect(dx.toArray()).toEqual([
    [3, 3],
    [3, 3],
    [3, 3],
  ]);
  expect(ds).toBe(21);
});

test("defineRrule on a plain function: wrong structure, dtype and extra cotangents are errors", () => {
  const f = (p: { w: Tensor; n: number }, flags: Int32Array) => p.w;
  const w = Tensor.from([1, 2]);
  const flags = Int32Array.from([1]);
  const cases: [unknown[], string][] = [
    [
      [{ w: Tensor.from([1, 2], undefined, "float64") }, null],
      "the cotangent of argument 0.w is a float64 Tensor of shape (2,), its argument a float32 Tensor of shape (2,)",
    ],
    [[{ v: w }, null], "the cotangent of argument 0.v has no argument field v"],
    [[{ w }, Int32Array.from([1])], "the cotangent of argument 1 is a Int32Array, but its argument (a Int32Array) carries no gradient: return null"],
    [[{ w }, null, null], "3 cotangents for 2 arguments"],
  ];
  for (const [ds, message] of cases) {
    const g = defineRrule(
      (p: { w: Tensor; n: number }, fl: Int32Array) => f(p, fl),
      (p, fl) => [f(p, fl), () => ds],
    );
    const [, back] = pullback(g, { w, n: 1 }, flags);
    expect(() => back(Tensor.ones([2]))).toThrow(message);
  }
});
