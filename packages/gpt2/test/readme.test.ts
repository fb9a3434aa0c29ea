// The README's "Writing differentiable code" example runs and passes gradcheck.
import { expect, test } from "bun:test";
import { gradcheck } from "@pullback/ad";
import { randTensor } from "@pullback/tensor/testing";
import { mlp } from "./readme_mlp.ad.ts";

test("the README's mlp example: forward, pullback structure, gradcheck", () => {
  const inputs = [randTensor([3, 4], 1), randTensor([4, 8], 2), randTensor([8], 3), randTensor([8, 4], 4), randTensor([4], 5)];
  const [z, pullback] = mlp(inputs);
  expect(z.shape).toEqual([3, 4]);
  const grads = pullback(randTensor([3, 4], 6));
  expect(grads.map((g: { shape: number[] }) => g.shape)).toEqual(inputs.map((t) => t.shape));
  expect(gradcheck(mlp, inputs).ok).toBe(true);
});
