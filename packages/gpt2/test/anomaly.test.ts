// Anomaly detection in GPT-2 (implicit mode): lossAndGrads with detectAnomaly names the first op
// rule whose output or cotangent is not finite, at its line of model.ad.ts.
import { expect, test } from "bun:test";
import { Rng } from "@pullback/tensor";
import { AnomalyError } from "@pullback/ad";
import { createModel, presets } from "../src/index.ts";

test("GPT-2 lossAndGrads with detectAnomaly names the first op that produced a NaN, in model.ad.ts", () => {
  const config = { ...presets.tiny, vocab: 17, context: 4, layers: 2, heads: 2, width: 8, mlp: 16 };
  const model = createModel(config);
  const params = model.initParams(new Rng(1));
  params.blocks[1].mlp.w1.data[5] = Number.NaN;
  const batch = { tokens: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), targets: Int32Array.from([2, 3, 4, 5, 6, 7, 8, 9]), batch: 2, context: 4 };
  const [loss] = model.lossAndGrads(params, batch, { dropoutSeed: 0, train: false });
  expect(Number.isNaN(loss)).toBe(true);
  let error: unknown;
  try {
    model.lossAndGrads(params, batch, { dropoutSeed: 0, train: false, detectAnomaly: true });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AnomalyError);
  expect((error as AnomalyError).op).toBe("linear");
  expect((error as AnomalyError).location).toMatch(/model\.ad\.ts:\d+:\d+$/);
  console.log(`detect-anomaly: ${(error as Error).message}`);
  // Detection is switched off again after the call.
  expect(model.lossAndGrads(params, batch, { dropoutSeed: 0, train: false })[0]).toBeNaN();
});
