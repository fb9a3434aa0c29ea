// The README's "Writing differentiable code" examples are these files, word for word, and they run
// and pass gradcheck. (The files are excluded from the formatter: they keep the README's layout.)
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gradcheck, gradcheckFunction, hvp, hvpcheck, jvp, jvpcheck, pullback, randomTangent, valueAndGrad } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { randTensor } from "@pullback/tensor/testing";
import { mlp as mlpExplicit } from "./readme_explicit.ad.ts";
import { loss, mlp, type Layer } from "./readme_mlp.ad.ts";

test("the README's implicit-mode example: valueAndGrad, pullback, gradcheck, jvp, hvp", () => {
  const rng = new Rng(2);
  const rand = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
  const layers: Layer[] = [0, 1].map(() => ({ w1: rand(6, 8), b1: rand(8), w2: rand(8, 6) }));
  const x = rand(5, 6);
  const targets = Int32Array.from([0, 5, 2, 3, 1]);
  const [value, grads] = valueAndGrad(loss)(layers, x, targets);
  expect(typeof value).toBe("number");
  expect(grads.map((g: Layer) => g.w1.shape)).toEqual([
    [6, 8],
    [6, 8],
  ]);
  const [y, back] = pullback(mlp, x, layers[0]);
  const [dx, dp] = back(Tensor.ones(y.shape, "float64"));
  expect(dx.shape).toEqual([5, 6]);
  expect(Object.keys(dp)).toEqual(["w1", "b1", "w2"]);
  expect(gradcheckFunction(loss, [layers, x, targets]).ok).toBe(true);
  const [y2, dy2] = jvp(mlp, [x, layers[0]], [rand(5, 6), null]);
  expect(Array.from(y2.data)).toEqual(Array.from(y.data));
  expect(dy2.shape).toEqual([5, 6]);
  expect(jvpcheck(loss, [layers, x, targets]).ok).toBe(true);
  const dlayers = randomTangent(layers, rng);
  const [hLayers] = hvp(loss, [layers, x, targets], [dlayers]);
  expect(hLayers.map((h: Layer) => h.w2.shape)).toEqual([
    [8, 6],
    [8, 6],
  ]);
  expect(hvpcheck(loss, [layers, x, targets], { tangents: [dlayers, null, null] }).ok).toBe(true);
});

test("the README's explicit-mode example: forward, pullback structure, gradcheck", () => {
  const inputs = [randTensor([3, 4], 1), randTensor([4, 8], 2), randTensor([8], 3), randTensor([8, 4], 4), randTensor([4], 5)];
  const [z, pullbackOf] = mlpExplicit(inputs);
  expect(z.shape).toEqual([3, 4]);
  const grads = pullbackOf(randTensor([3, 4], 6));
  expect(grads.map((g: { shape: number[] }) => g.shape)).toEqual(inputs.map((t) => t.shape));
  expect(gradcheck(mlpExplicit, inputs).ok).toBe(true);
});

test("the README's code blocks are readme_mlp.ad.ts and readme_explicit.ad.ts, below their first comment line", () => {
  const readme = readFileSync(join(import.meta.dir, "..", "..", "..", "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const body = (file: string) =>
    readFileSync(join(import.meta.dir, file), "utf8")
      .split("\n")
      .slice(1)
      .join("\n");
  const code = (block: string) =>
    block
      .split("\n")
      .filter((line) => !/^\/\/ (mlp\.ad\.ts|const \[z, pullback\])/.test(line))
      .join("\n");
  expect(blocks.map(code)).toContain(body("readme_mlp.ad.ts"));
  expect(blocks.map(code)).toContain(body("readme_explicit.ad.ts"));
});
