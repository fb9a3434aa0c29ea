// Second derivatives through everything implicit mode accepts (float64): every function is
// checked with hvpcheck — H·v (jvp of grad, forward over reverse) against central differences of
// the gradient, and hvp against jvp(grad(f)) — and the cases finite differences cannot judge
// exactly (stopGradient's zero contribution), the errors (a backward without forward rules,
// third order) and grad of a function calling grad.
import { describe, expect, test } from "bun:test";
import { grad, gradcheckFunction, hessian, hvp, hvpcheck, jvp } from "@pullback/ad";
import { matmul, mulScalar, Rng, Tensor } from "@pullback/tensor";
import * as F from "./functions.ad.ts";

const rng = new Rng(5);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const small = (...shape: number[]) => mulScalar(r(...shape), 0.5);
const values = (t: Tensor) => Array.from(t.data as Float64Array);

function check(f: (...args: any[]) => any, args: unknown[], argnums?: number[]): void {
  const report = hvpcheck(f, args, argnums ? { argnums } : {});
  expect(report.ok).toBe(true);
  expect(report.entries.length).toBeGreaterThan(0);
}

describe("hvp against central differences of the gradient, and against jvp(grad(f))", () => {
  test("a tanh/matmul/exp network, every argument", () => check(F.network, [r(3, 4), small(4, 5), small(5, 2)]));
  test("a for loop", () => check(F.forLoop, [r(2, 3), small(3, 3), 3], [0, 1]));
  test("a while loop whose condition reads a tracked number", () => check(F.whileLoop, [r(2, 3)]));
  test("switch on a mode; if, ternary and === on a tracked number", () => {
    for (const mode of ["exp", "tanh", "square"]) check(F.branches, [r(2, 3), mode], [0]);
    check(F.branches, [mulScalar(Tensor.ones([2, 3], "float64"), -3), "tanh"], [0]); // the else branch
  });
  test("a closure capturing a tracked tensor, called in a loop", () => check(F.closure, [r(2, 3), small(3, 3)]));
  test("a customVjp whose backward is written in ops", () => check(F.customNetwork, [r(3, 4), small(4, 2)]));
  test("a checkpoint region (its pullback recomputes)", () => check(F.checkpointed, [r(2, 3), small(3, 3)]));
  test("Rosenbrock on numbers", () => check(F.rosenbrockNumbers, [0.3, -0.7]));
});

test("stopGradient contributes zero: the Hessian of ‖x‖² + Σ eˣ⊙stopGradient(x) is diag(2 + x·eˣ)", () => {
  const x = r(4);
  const H = values(hessian(F.stopped)(x));
  const xs = values(x);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(H[i * 4 + j]).toBeCloseTo(i === j ? 2 + xs[i] * Math.exp(xs[i]) : 0, 12);
});

describe("grad of a function that calls grad", () => {
  test("grad of ⟨∇ₓf, v⟩ in x is H·v", () => {
    const args: [Tensor, Tensor, Tensor] = [r(3, 4), small(4, 5), small(5, 2)];
    const v = r(3, 4);
    const viaNested = values(grad(F.directional)(...args, v));
    const [viaHvp] = hvp(F.network, args, [v]);
    values(viaHvp).forEach((h, i) => expect(Math.abs(h - viaNested[i])).toBeLessThan(1e-12 * Math.max(1, Math.abs(h))));
  });
  test("valueAndGrad inside: grad of value + ⟨∇f, v⟩ is ∇f + H·v", () => {
    const [x, v] = [r(2, 3), r(2, 3)];
    const got = values(grad(F.valueAndSlope)(x, v));
    const [hv] = hvp(F.sumExpTanh, [x], [v]);
    const g = values(grad(F.sumExpTanh)(x));
    values(hv).forEach((h, i) => expect(Math.abs(got[i] - (g[i] + h))).toBeLessThan(1e-12));
    expect(gradcheckFunction(F.valueAndSlope, [x, v], { argnums: [0, 1] }).ok).toBe(true);
  });
  test("valueAndGrad inside, of a function returning a one-element Tensor", () => {
    const [x, v] = [r(3), r(3)];
    // ∇ₓ(Σx² + ⟨2x, v⟩) = 2x + 2v
    const got = values(grad(F.tensorValueAndSlope)(x, v));
    got.forEach((g, i) => expect(g).toBeCloseTo(2 * values(x)[i] + 2 * values(v)[i], 12));
  });
  test("grad with hasAux inside is an error saying so", () => {
    expect(() => grad(F.gradWithAux)(r(3))).toThrow(/grad\(f, \{ hasAux: true \}\) cannot be differentiated/);
  });
  test("its gradient in x and the weights passes gradcheck (central differences of grad of grad)", () => {
    expect(gradcheckFunction(F.directional, [r(2, 3), small(3, 4), small(4, 2), r(2, 3)], { argnums: [0, 1, 2] }).ok).toBe(true);
  });
});

describe("clear errors, never a wrong number", () => {
  test("a customVjp whose backward reads the elements", () => {
    const x = r(2, 3);
    expect(grad(F.byElements)(x).shape).toEqual([2, 3]); // first order is fine
    expect(() => hvp(F.byElements, [x], [r(2, 3)])).toThrow(
      /a tensor carrying a tangent .* without a forward rule, in the pullback of the rule of softplusByElements \(defined at .*functions\.ad\.ts:\d+:\d+\)/,
    );
  });
  test("a customVjp whose backward does JavaScript arithmetic on a number", () => {
    expect(() => hvp(F.usesNumberSin, [r(3)], [r(3)])).toThrow(
      /a number carrying a tangent .*, in the rule of numberSin \(defined at .*functions\.ad\.ts:\d+:\d+\)/,
    );
  });
  test("grad of a closure capturing a tracked value, inside the function that made it", () => {
    const [x, w] = [r(3), r(3)];
    expect(F.gradOfClosure(x, w)).toBeNumber(); // running it is fine
    expect(() => grad(F.gradOfClosure, { argnums: [0, 1] })(x, w)).toThrow(
      /capturing tracked values of gradOfClosure was differentiated outside gradOfClosure \(.*given to grad\/valueAndGrad inside gradOfClosure\)/,
    );
  });
  test("jvp of a function calling grad: grad(f)'s forward rule is forward over reverse", () => {
    const [x, v] = [r(3), r(3)];
    const [, t] = jvp(F.sumGradTanh, [x], [v]);
    const [hv] = hvp(F.sumTanh, [x], [v]);
    expect(Math.abs(t - values(hv).reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
  });
  test("third order: the Hessian of a function calling grad", () => {
    expect(() => hvp(F.sumGradTanh, [r(3)], [r(3)])).toThrow(/third and higher derivatives are not supported/);
    expect(() => hvpcheck(F.directional, [r(2, 3), small(3, 4), small(4, 2), r(2, 3)])).toThrow(/third and higher derivatives are not supported/);
  });
  test("a tangent of the wrong shape names the argument", () => {
    expect(() => hvp(F.network, [r(3, 4), small(4, 5), small(5, 2)], [r(4, 3)])).toThrow(/hvp: the tangent of argument 0 has shape \(4, 3\)/);
  });
  test("hessian of a structure asks for hvp", () => {
    expect(() => hessian(F.network as any)([r(2)] as any)).toThrow(/hessian: x must be a Tensor or a number/);
  });
});

test("hvp in float32 agrees with float64 (the Zig kernels' forward rules)", () => {
  const args: [Tensor, Tensor, Tensor] = [r(3, 4), small(4, 5), small(5, 2)];
  const v = [r(3, 4), null, r(5, 2)];
  const h64 = hvp(F.network, args, v);
  const h32 = hvp(
    F.network,
    args.map((a) => a.to("float32")) as [Tensor, Tensor, Tensor],
    v.map((t) => t?.to("float32") ?? null),
  );
  h64.forEach((h, k) => {
    const a = values(h);
    const b = Array.from(h32[k].data);
    const scale = Math.max(...a.map(Math.abs));
    a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-4 * scale));
  });
  void matmul;
});
