// The acceptance cases of second order (float64): Rosenbrock's Hessian, the Hessian-vector
// product of a quadratic form, jvp against the gradient, and grad of grad as tfjs#3252 writes it.
import { describe, expect, test } from "bun:test";
import { grad, hessian, hvp, jvp, randomTangent, valueAndGrad } from "@pullback/ad";
import { matmul, mulScalar, Rng, Tensor } from "@pullback/tensor";
import * as F from "./functions.ad.ts";

const rng = new Rng(11);
const f64 = (v: number[] | number[][]) => Tensor.from(v, undefined, "float64");
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const values = (t: Tensor) => Array.from(t.data as Float64Array);

describe("hessian", () => {
  test("of Rosenbrock at (1, 1) is [[802, -400], [-400, 200]] and symmetric", () => {
    const H = hessian(F.rosenbrock)(f64([1, 1]));
    expect(H.shape).toEqual([2, 2]);
    const [h00, h01, h10, h11] = values(H);
    for (const [got, want] of [
      [h00, 802],
      [h01, -400],
      [h10, -400],
      [h11, 200],
    ])
      expect(Math.abs(got - want)).toBeLessThan(1e-9);
    expect(h01).toBe(h10);
  });

  test("of Rosenbrock written on numbers: hvp along each axis gives its rows", () => {
    expect(hvp(F.rosenbrockNumbers, [1, 1], [1, 0])).toEqual([802, -400]);
    expect(hvp(F.rosenbrockNumbers, [1, 1], [0, 1])).toEqual([-400, 200]);
  });

  test("of a number function is a number", () => {
    expect(Math.abs(hessian(F.rosenbrockAlongA)(1) - 802)).toBeLessThan(1e-9);
  });

  test("of a tensor function is shaped x.shape ++ x.shape", () => {
    const H = hessian(F.rowsSquared)(r(2, 3));
    expect(H.shape).toEqual([2, 3, 2, 3]);
    // Σᵢ (Σⱼ xᵢⱼ)²: ∂²/∂xᵢⱼ∂xₖₗ = 2·[i = k]
    const h = values(H);
    for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) expect(h[a * 6 + b]).toBe(Math.floor(a / 3) === Math.floor(b / 3) ? 2 : 0);
  });
});

test("hvp of ½·xᵀAx is A·v (< 1e-12)", () => {
  const n = 6;
  const m = r(n, n);
  const A = mulScalar(matmul(m, Tensor.from(transpose(values(m), n), [n, n], "float64")), 0.5); // symmetric
  const x = r(n, 1);
  const v = r(n, 1);
  const [hv] = hvp(F.quadratic, [x, A], [v]);
  const av = values(matmul(A, v));
  values(hv).forEach((got, i) => expect(Math.abs(got - av[i])).toBeLessThan(1e-12));
});

test("jvp of a tanh/matmul/exp network is ⟨∇f, v⟩ (relative < 1e-10)", () => {
  const args: [Tensor, Tensor, Tensor] = [r(4, 3), mulScalar(r(3, 5), 0.5), mulScalar(r(5, 2), 0.5)];
  const v = args.map((a) => randomTangent(a, rng));
  const [, dy] = jvp(F.network, args, v);
  const [, grads] = valueAndGrad(F.network, { argnums: [0, 1, 2] })(...args);
  const reverse = grads.reduce((s: number, g: Tensor, i: number) => s + values(g).reduce((t, gi, k) => t + gi * values(v[i])[k], 0), 0);
  expect(Math.abs(dy - reverse) / Math.abs(reverse)).toBeLessThan(1e-10);
});

describe("grad of grad, as tfjs#3252 writes it: grad(x => sum(grad(f)(x))) at [2, 3]", () => {
  const cases: [string, (x: Tensor) => number, number[]][] = [
    ["sum∘tanh", F.sumGradTanh, [-0.1362187, -0.0196345]],
    ["sum∘sigmoid", F.sumGradSigmoid, [-0.0799625, -0.0408916]],
    ["sum∘exp", F.sumGradExp, [7.389056, 20.085537]],
  ];
  for (const [name, g, want] of cases) {
    test(name, () => {
      const got = values(grad(g)(f64([2, 3])));
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-6));
    });
  }
});

function transpose(a: number[], n: number): number[] {
  return a.map((_, k) => a[(k % n) * n + Math.floor(k / n)]);
}
