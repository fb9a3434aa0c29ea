import { describe, expect, test } from "bun:test";
import { Tensor } from "@pullback/tensor";
import { adamUpdate as adamUpdateTs } from "@pullback/tensor";
import { adamStep, initAdam } from "../src/optimizer.ts";

describe("Adam", () => {
  // The update op on float64 buffers (its TypeScript reference), checked against the formula by hand.
  test("first bias-corrected step moves each parameter by lr·sign(g) (up to eps)", () => {
    const p = new Float64Array([1, 2, 3]),
      g = new Float64Array([0.5, -2, 0]),
      m = new Float64Array(3),
      v = new Float64Array(3);
    adamUpdateTs(p, g, m, v, { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, step: 1 });
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(2.1, 6);
    expect(p[2]).toBe(3);
    expect(m[1]).toBeCloseTo(-0.2, 12);
    expect(v[1]).toBeCloseTo(0.2, 12);
  });

  test("second step matches the formula by hand; weight decay is decoupled", () => {
    const p = new Float64Array([1]),
      m = new Float64Array(1),
      v = new Float64Array(1);
    const o = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
    adamUpdateTs(p, new Float64Array([1]), m, v, { ...o, step: 1 });
    const p1 = 1 - 0.01 * (1 / (1 + 1e-8) + 0.1 * 1);
    expect(p[0]).toBeCloseTo(p1, 12);
    adamUpdateTs(p, new Float64Array([3]), m, v, { ...o, step: 2 });
    const m2 = 0.9 * 0.1 + 0.1 * 3,
      v2 = 0.95 * 0.05 + 0.05 * 9;
    const expected = p1 - 0.01 * (m2 / (1 - 0.81) / (Math.sqrt(v2 / (1 - 0.9025)) + 1e-8) + 0.1 * p1);
    expect(p[0]).toBeCloseTo(expected, 12);
  });

  test("adamStep walks a nested structure, counts steps, decays only matrices", () => {
    const params = { w: Tensor.full([2, 2], 1), b: Tensor.full([2], 1) };
    const grads = { w: Tensor.zeros([2, 2]), b: Tensor.zeros([2]) };
    const state = initAdam(params);
    adamStep(params, grads, state, { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.5 });
    expect(state.step).toBe(1);
    expect(params.w.data[0]).toBeCloseTo(1 - 0.1 * 0.5, 6);
    expect(params.b.data[0]).toBe(1);
    expect(() => adamStep(params, { w: grads.w } as typeof grads, state, { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 })).toThrow(
      /1 gradients for 2 parameters/,
    );
  });
});
