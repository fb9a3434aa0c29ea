// Second order over the op table (packages/tensor/src/rules/): for every op, on its gradcheck
// cases (../op_cases.ts), the Hessian of L(x) = ⟨y, c⟩ + ½⟨y, y⟩, y = op(x), along a random
// direction — its rule's pullback run with tangents flowing (the cotangent c + y carries one
// too), so every backward kernel it calls runs its forward rule —
// against central differences of the gradient (hvpcheck, float64). And the coverage: every op
// and kernel of the table is defined withTangents, so a tangent reaching it finds its forward rule.
import { describe, expect, test } from "bun:test";
import { hvpcheck } from "@pullback/ad";
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
