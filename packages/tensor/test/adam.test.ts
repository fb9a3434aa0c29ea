import { describe, expect, test } from "bun:test";
import { adamUpdate, Rng } from "@pullback/tensor";
import { kernelSizes } from "@pullback/tensor/testing";

/** The textbook AdamW loop, written out independently of src/reference/adam.ts, in float64. */
function handAdam(p: number[], grads: number[][], o: { lr: number; beta1: number; beta2: number; eps: number; wd: number }): number[] {
  const m = p.map(() => 0),
    v = p.map(() => 0);
  p = [...p];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] ** 2;
      const mhat = m[i] / (1 - o.beta1 ** t);
      const vhat = v[i] / (1 - o.beta2 ** t);
      p[i] -= (o.lr * mhat) / (Math.sqrt(vhat) + o.eps) + o.lr * o.wd * p[i];
    }
  });
  return p;
}

function run(n: number, steps: number, wd: number, Arr: Float32ArrayConstructor | Float64ArrayConstructor, seed: number) {
  const rng = new Rng(seed);
  const p0 = Array.from({ length: n }, () => rng.normal() * 0.1);
  const grads = Array.from({ length: steps }, () => Array.from({ length: n }, () => rng.normal() * 0.01));
  const o = { lr: 2e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, wd };
  const p = Arr.from(p0),
    m = new Arr(n),
    v = new Arr(n);
  grads.forEach((g, s) => adamUpdate(p, Arr.from(g), m, v, { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: wd, step: s + 1 }));
  const want = handAdam(
    Arr === Float32Array ? p0.map(Math.fround) : p0,
    grads.map((g) => (Arr === Float32Array ? g.map(Math.fround) : g)),
    o,
  );
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(p[i] - want[i]));
  return worst;
}

describe("adamUpdate", () => {
  test("Zig (Float32Array) follows a hand-written AdamW loop over several steps at every size", () => {
    for (const n of [...kernelSizes, 100_003]) {
      for (const wd of [0, 0.1]) {
        const err = run(n, 5, wd, Float32Array, n);
        // lr·steps = 1e-2 of movement; float32 rounding of p (~0.1) is ~1e-8 per step.
        expect(err).toBeLessThan(1e-6);
      }
    }
  });

  test("the float64 reference (Float64Array) matches the hand-written loop to float64 rounding", () => {
    for (const n of [1, 17, 129]) expect(run(n, 5, 0.1, Float64Array, n + 1)).toBeLessThan(1e-14);
  });

  test("the first step moves every parameter by lr·sign(g) (bias correction)", () => {
    const p = new Float32Array([1, 1, 1]);
    adamUpdate(p, new Float32Array([0.5, -3, 1e-3]), new Float32Array(3), new Float32Array(3), {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-12,
      step: 1,
    });
    expect(Array.from(p).map((x) => +x.toFixed(5))).toEqual([0.9, 1.1, 0.9]);
  });

  test("bad input is a clear TensorError", () => {
    const a = new Float32Array(4),
      b = new Float32Array(3);
    const o = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1 };
    expect(() => adamUpdate(a, b, a.slice(), a.slice(), o)).toThrow("adamUpdate: grads has 3 elements but params has 4");
    expect(() => adamUpdate(a, a.slice(), a.slice(), a.slice(), { ...o, step: 0 })).toThrow(
      "adamUpdate: step must be a positive integer (1-based), got 0",
    );
    expect(() => adamUpdate(a, a.slice(), a.slice(), a.slice(), { ...o, beta1: 1 })).toThrow("adamUpdate: beta1 must be in [0, 1), got 1");
    expect(() => adamUpdate(a, a.slice(), a.slice(), a.slice(), { ...o, lr: NaN })).toThrow(
      "adamUpdate: lr must be a finite non-negative number, got NaN",
    );
    expect(() => adamUpdate(a, [1, 2, 3, 4] as any, a.slice(), a.slice(), o)).toThrow(
      "adamUpdate: grads must be a Float32Array or Float64Array, got Array",
    );
  });
});
