import { describe, expect, test } from "bun:test";
import { learningRate } from "../src/schedule.ts";

describe("learning-rate schedule", () => {
  test("constant without warmup is lr at every step", () => {
    const o = { lr: 2e-3, warmup: 0, schedule: "constant" as const, minLr: 0, steps: 100 };
    for (const s of [1, 2, 50, 100, 150]) expect(learningRate(s, o)).toBe(2e-3);
  });

  test("linear warmup reaches the peak at step `warmup`", () => {
    const o = { lr: 1, warmup: 10, schedule: "constant" as const, minLr: 0, steps: 100 };
    expect(learningRate(1, o)).toBeCloseTo(0.1, 12);
    expect(learningRate(5, o)).toBeCloseTo(0.5, 12);
    expect(learningRate(10, o)).toBe(1);
    expect(learningRate(11, o)).toBe(1);
  });

  test("cosine: peak right after warmup, half-way at the midpoint, minLr at the end and after", () => {
    const o = { lr: 1, warmup: 10, schedule: "cosine" as const, minLr: 0.1, steps: 110 };
    expect(learningRate(10, o)).toBe(1);
    expect(learningRate(60, o)).toBeCloseTo(0.55, 12);
    expect(learningRate(35, o)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRate(110, o)).toBeCloseTo(0.1, 12);
    expect(learningRate(500, o)).toBeCloseTo(0.1, 12);
    // Monotone non-increasing after warmup.
    let prev = Infinity;
    for (let s = 10; s <= 110; s++) {
      const lr = learningRate(s, o);
      expect(lr).toBeLessThanOrEqual(prev + 1e-15);
      prev = lr;
    }
  });

  test("steps are 1-based", () => {
    expect(() => learningRate(0, { lr: 1, warmup: 0, schedule: "constant", minLr: 0, steps: 1 })).toThrow(/1-based/);
  });
});
