// Anomaly detection: with it on, the first op rule (explicit mode here, implicit mode in GPT-2) whose output (forward) or cotangent (pullback) is
// not finite throws an AnomalyError naming the op and the .ad.ts line that called it.
import { expect, test } from "bun:test";
import { Rng, Tensor } from "@pullback/tensor";
import { AnomalyError, setAnomalyDetection } from "@pullback/ad";
import { createModel, presets } from "@pullback/gpt2";
import { rootSum } from "./fixtures/anomaly.ad.ts";

test("off: non-finite values pass through silently (the default)", () => {
  const [s, pullback] = rootSum(Tensor.from([0, 4]));
  expect(s).toBe(2);
  expect(pullback(1).data[0]).toBe(Infinity);
});

test("on: a forward anomaly names the op and its .ad.ts location", () => {
  const previous = setAnomalyDetection(true);
  try {
    expect(() => rootSum(Tensor.from([-1, 4]))).toThrow(/^sqrt output is not finite: tensor \(2\) has NaN at flat index 0 — called at .*anomaly\.ad\.ts:6:\d+$/);
  } finally {
    setAnomalyDetection(previous);
  }
});

test("on: a pullback anomaly names the op and its .ad.ts location", () => {
  const previous = setAnomalyDetection(true);
  try {
    const [, pullback] = rootSum(Tensor.from([0, 4]));
    let error: unknown;
    try {
      pullback(1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AnomalyError);
    expect((error as AnomalyError).op).toBe("sqrt");
    expect((error as AnomalyError).phase).toBe("pullback");
    expect((error as AnomalyError).location).toMatch(/anomaly\.ad\.ts:6:\d+$/);
  } finally {
    setAnomalyDetection(previous);
  }
});

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
