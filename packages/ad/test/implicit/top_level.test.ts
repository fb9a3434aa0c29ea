// Module-level code of an .ad.ts file runs before the lines below it: a grad and a jvp evaluated
// at load time, of a function declared further down (calling another one declared after it), see
// every rule registered (fixtures/top_level_grad.ad.ts). Checked against the closed form and
// against the same derivatives taken after loading.
import { expect, test } from "bun:test";
import { grad, jvp } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { at, energy, gradAtLoad, jvpAtLoad } from "../fixtures/top_level_grad.ad.ts";

// d/dx Σ tanh(x)·x = tanh(x) + x·(1 − tanh²(x))
const expected = Array.from(at.x.data, (x) => Math.tanh(x) + x * (1 - Math.tanh(x) ** 2));

test("grad at load time, of a function declared further down: the closed form, and the same as after loading", () => {
  const g = gradAtLoad as Tensor;
  expect(g.shape).toEqual([3]);
  g.data.forEach((d, i) => expect(d).toBeCloseTo(expected[i], 12));
  expect(Array.from(g.data)).toEqual(Array.from((grad(energy)(at.x) as Tensor).data));
});

test("jvp at load time: the value and ⟨∇f, v⟩", () => {
  const [y, dy] = jvpAtLoad;
  expect(y).toBeCloseTo(
    Array.from(at.x.data, (x) => Math.tanh(x) * x).reduce((a, b) => a + b),
    12,
  );
  expect(dy).toBeCloseTo(
    expected.reduce((s, d, i) => s + d * at.v.data[i], 0),
    12,
  );
  expect(jvp(energy, [at.x], [at.v])).toEqual(jvpAtLoad);
});
