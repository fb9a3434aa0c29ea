// The example runs as written: valueAndGrad(loss) with and without the embedding branch
// (grads has the structure of params), pullback(mlp) → [dx, dp], and gradcheck of both.
import { expect, test } from "bun:test";
import { gradcheckFunction, pullback, valueAndGrad } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { loss, lossOfFeatures, mlp, type Batch, type Params } from "../fixtures/implicit_issue_example.ad.ts";

const rng = new Rng(5);
const rand = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const layers = () => [0, 1].map(() => ({ w1: rand(6, 4), b1: rand(4), w2: rand(4, 6) }));
const batch: Batch = { tokens: Int32Array.from([1, 4, 0, 3, 2]), features: rand(5, 6), targets: Int32Array.from([0, 5, 2, 3, 1]) };

test("valueAndGrad(loss): the embedding branch — grads has the structure of params", () => {
  const params: Params = { embed: rand(7, 6), layers: layers() };
  const [value, grads] = valueAndGrad(loss)(params, batch);
  expect(Number.isFinite(value)).toBe(true);
  expect(grads.embed!.shape).toEqual([7, 6]);
  expect(grads.layers.map((l: { w2: Tensor }) => l.w2.shape)).toEqual([
    [4, 6],
    [4, 6],
  ]);
  expect(gradcheckFunction(loss, [params, batch], { argnums: [0] }).ok).toBe(true);
});

test("valueAndGrad(loss): the features branch — batch.features gets the gradient", () => {
  const params: Params = { layers: layers() };
  const [, [, dbatch]] = valueAndGrad(loss, { argnums: [0, 1] })(params, batch);
  expect(dbatch.features.shape).toEqual([5, 6]);
  expect(dbatch.tokens).toBeNull(); // an Int32Array: no tangent
  // batch mixes a Tensor with integer arrays: the check perturbs its Tensor leaves only
  const report = gradcheckFunction(loss, [params, batch]);
  expect(report.entries.map((e) => e.input)).toContain("1.features");
  expect(report.ok).toBe(true);
  expect(gradcheckFunction(lossOfFeatures, [params, batch.features, batch], { argnums: [0, 1] }).ok).toBe(true);
});

test("pullback(mlp, x, p) → [y, back]; back(dy) → [dx, dp]", () => {
  const p = layers()[0];
  const x = rand(5, 6);
  const [y, back] = pullback(mlp, x, p);
  const [dx, dp] = back(Tensor.ones(y.shape, "float64"));
  expect(dx.shape).toEqual(x.shape);
  expect(Object.keys(dp)).toEqual(["w1", "b1", "w2"]);
});
