import { expect, test } from "bun:test";
import { gradcheckFunction } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { f } from "../fixtures/implicit_map.ad.ts";
test("xs.map(f) over tracked tensors, f a closure capturing the tracked w", () => {
  const rng = new Rng(3);
  const r = () => Tensor.randn([2, 3], { rng, dtype: "float64" });
  expect(gradcheckFunction(f, [[r(), r(), r()], r()]).ok).toBe(true);
});
