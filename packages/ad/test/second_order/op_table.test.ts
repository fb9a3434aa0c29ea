// Second order over the op table (packages/tensor/src/rules/): for every op, on its gradcheck
// cases (../op_cases.ts), the Hessian of L(x) = ⟨y, c⟩ + ½⟨y, y⟩, y = op(x), along a random
// direction — its rule's pullback run with tangents flowing (the cotangent c + y carries one
// too), so every backward kernel it calls runs its forward rule —
// against central differences of the gradient (hvpcheck, float64). And the coverage: every op
// and kernel of the table is defined withTangents, so a tangent reaching it finds its forward rule.
import { describe, expect, test } from "bun:test";
import { hvpcheck } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { isTangentAware } from "@pullback/tensor/dual";
import { kernelTable, opTable } from "@pullback/tensor/rules";
import { opCases } from "../op_cases.ts";
import { scalarized } from "./check.ts";

describe("every op: the Hessian of ⟨op(x), c⟩ + ½‖op(x)‖² along v against central differences of its gradient (float64)", () => {
  for (const [name, entry] of Object.entries(opTable)) {
    test(name, () => {
      const cases = opCases[name] ?? [];
      expect(cases.length, `${name}: no cases in op_cases.ts`).toBeGreaterThanOrEqual(2);
      for (const { diff, rest = [] } of cases) {
        const report = hvpcheck(scalarized(name, entry.op, entry.rule, diff, rest), diff, { atol: 1e-5, rtol: 1e-4 });
        expect(report.ok).toBe(true);
      }
    });
  }
});

test("every op and kernel of the table is defined withTangents (Tensor's constructors take no tangent but Tensor.full's value, which it carries itself)", () => {
  const missing = [
    ...Object.entries(opTable).filter(([, e]) => !isTangentAware(e.op)),
    ...Object.entries(kernelTable).filter(([name, k]) => !name.startsWith("Tensor.") && !isTangentAware(k.op)),
  ].map(([name]) => name);
  expect(missing).toEqual([]);
  expect(Object.keys(kernelTable).filter((name) => name.startsWith("Tensor."))).toEqual(["Tensor.zeros", "Tensor.ones", "Tensor.full"]);
});

describe("forward rules of kernels that write into an argument (fresh copies per evaluation)", () => {
  const rng = new Rng(31);
  const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
  /** max |frule's tangent − central difference| with every argument copied for each evaluation. */
  function check(name: string, args: () => unknown[], tangents: unknown[], shift: (args: unknown[], e: number) => void): number {
    const frule = kernelTable[name].frule;
    const [, t] = frule(args(), tangents);
    const at = (e: number) => {
      const a = args();
      shift(a, e);
      const k = kernelTable[name].op(...a);
      return (k instanceof Tensor ? k : (k as { dx: Tensor }).dx).data;
    };
    const eps = 1e-6;
    const [plus, minus] = [at(eps), at(-eps)];
    return Math.max(...Array.from(t.data as Float64Array, (v, i) => Math.abs(v - (plus[i] - minus[i]) / (2 * eps))));
  }
  test("gemm with out and beta: Ċ carries β·ṫ(out)", () => {
    const [a, b, c] = [r(3, 4), r(4, 5), r(3, 5)];
    const [ta, tc] = [r(3, 4), r(3, 5)];
    const args = () => [a.clone(), b.clone(), { beta: 0.7, alpha: 1.3, out: c.clone() }];
    const err = check("gemm", args, [ta, null, { out: tc }], (x, e) => {
      (x[0] as Tensor).data.forEach((_, i, d) => (d[i] += e * (ta.data[i] as number)));
      const out = (x[2] as { out: Tensor }).out.data;
      out.forEach((_, i) => (out[i] += e * (tc.data[i] as number)));
    });
    expect(err).toBeLessThan(1e-7);
  });
  test("crossEntropyBackward with { out: logits }: the tangent is of the logits before they are overwritten", () => {
    const [logits, tl] = [r(4, 6), r(4, 6)];
    const targets = Int32Array.from([0, 5, 2, 3]);
    const lse = sumLogExp(logits);
    const args = () => {
      const l = logits.clone();
      return [l, targets, lse, 0.7, { out: l }];
    };
    const err = check("crossEntropyBackward", args, [tl, null, null, null], (x, e) => {
      const l = (x[0] as Tensor).data;
      l.forEach((_, i) => (l[i] += e * (tl.data[i] as number)));
    });
    // (the lse is held fixed, as the tangent given for it is zero)
    expect(err).toBeLessThan(1e-7);
  });
});

/** log Σ exp over the last axis (n,). */
function sumLogExp(x: Tensor): Tensor {
  const [n, m] = x.shape;
  return Tensor.from(
    Array.from({ length: n }, (_, i) =>
      Math.log(Array.from({ length: m }, (_, j) => Math.exp(x.data[i * m + j] as number)).reduce((s, v) => s + v, 0)),
    ),
    [n],
    "float64",
  );
}
