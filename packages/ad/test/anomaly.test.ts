// Anomaly detection: with it on, the first op rule (explicit mode here; implicit mode in packages/gpt2/test/anomaly.test.ts) whose output (forward) or cotangent (pullback) is
// not finite throws an AnomalyError naming the op and the .ad.ts line that called it.
import { expect, test } from "bun:test";
import { Tensor } from "@pullback/tensor";
import { AnomalyError, setAnomalyDetection } from "@pullback/ad";
import { rootSum } from "./fixtures/anomaly.ad.ts";

test("off: non-finite values pass through silently (the default)", () => {
  const [s, pullback] = rootSum(Tensor.from([0, 4]));
  expect(s).toBe(2);
  expect(pullback(1).data[0]).toBe(Infinity);
});

test("on: a forward anomaly names the op and its .ad.ts location", () => {
  const previous = setAnomalyDetection(true);
  try {
    expect(() => rootSum(Tensor.from([-1, 4]))).toThrow(
      /^sqrt output is not finite: tensor \(2\) has NaN at flat index 0 — called at .*anomaly\.ad\.ts:6:\d+$/,
    );
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
