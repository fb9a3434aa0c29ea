// Implicit mode end to end on a small file: a straight-line function (static reverse), a loop
// with a branch (tape replay), an arrow function on numbers; the README example's shape.
import { expect, test } from "bun:test";
import { gradcheckFunction, pullback, valueAndGrad } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { mlp, residual, square } from "../fixtures/implicit_mlp.ad.ts";

const rng = new Rng(1);
const rand = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const layer = (n: number) => ({ w1: rand(n, 4), b1: rand(4), w2: rand(4, n) });

test("a straight-line function: gradients of x and of every parameter", () => {
  expect(gradcheckFunction(mlp, [rand(5, 3), { w1: rand(3, 4), b1: rand(4), w2: rand(4, 2) }]).ok).toBe(true);
});

test("a loop over layers with fan-out of x and a branch", () => {
  for (const scale of [0.5, 2]) expect(gradcheckFunction(residual, [rand(5, 3), [layer(3), layer(3)], scale], { argnums: [0, 1] }).ok).toBe(true);
});

test("numbers: valueAndGrad of an arrow function", () => {
  const [value, grad] = valueAndGrad(square)(3);
  expect(value).toBe(9);
  expect(grad).toBe(6);
});

test("pullback returns one cotangent per argument in its structure, zeros for untouched leaves", () => {
  const p = { w1: rand(3, 4), b1: rand(4), w2: rand(4, 2) };
  const [y, back] = pullback(residual, rand(5, 3), [layer(3)], 0.5);
  const [dx, dlayers, dscale] = back(Tensor.ones(y.shape, "float64"));
  expect(dx.shape).toEqual([5, 3]);
  expect(dlayers[0].w1.shape).toEqual([3, 4]);
  expect(dscale).toBe(0);
  void p;
});
