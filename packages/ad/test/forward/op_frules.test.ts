// The forward rules of the op table of @pullback/tensor (packages/tensor/src/rules/) and of number
// arithmetic and Math (runtime/number_frules.ts). Table-driven: every entry's forward rule is
// checked with jvpcheck (central differences, float64) on the entry's gradcheck cases, and every
// kernel's (backward kernels, forward forms, Tensor's constructors: kernelTable) on its samples —
// both in ../op_cases.ts, so a new op or kernel without a forward rule (a type error and a load
// error) or without samples fails here. Then what @pullback/ad derives from the table: the rules
// registered by identity, `fopOf` by name, NoForwardRuleError for a missing one.
import { describe, expect, test } from "bun:test";
import { defineFrule, findFrule, fruleOrigin, jvp, jvpcheck, NoForwardRuleError } from "@pullback/ad";
import { fmath, fnum } from "../../src/runtime/number_frules.ts";
import { math, num } from "../../src/runtime/implicit.ts";
import { fopOf } from "../../src/runtime/op_frules.ts";
import { BACKWARD_KERNELS } from "../../src/passes/known_ops.ts";
import { Rng, Tensor } from "@pullback/tensor";
import { kernelTable, NO_RULE_OPS, opTable } from "@pullback/tensor/rules";
import { kernelSamples, opCases, type KernelSample } from "../op_cases.ts";

const rng = new Rng(12);

/** The tangents of a sample: random for `diff`, null elsewhere. */
function tangentsOf({ args, diff }: KernelSample): unknown[] {
  const random = (x: unknown): unknown =>
    x instanceof Tensor
      ? Tensor.randn(x.shape, { rng, dtype: "float64" })
      : typeof x === "number"
        ? rng.normal()
        : Array.isArray(x)
          ? x.map(random)
          : null;
  return args.map((a, i) => (diff.includes(i) ? random(a) : null));
}

function check(f: (...a: any[]) => any, sample: KernelSample): void {
  const report = jvpcheck(f, sample.args, { tangents: tangentsOf(sample) });
  expect(report.ok).toBe(true);
  expect(report.entries.length).toBeGreaterThan(0);
}

describe("every op's forward rule passes jvpcheck on its gradcheck cases (float64)", () => {
  for (const [name, entry] of Object.entries(opTable)) {
    test(name, () => {
      const cases = opCases[name] ?? [];
      expect(cases.length, `${name}: no cases in op_cases.ts`).toBeGreaterThanOrEqual(2);
      for (const { diff, rest = [] } of cases) {
        const args = [...diff, ...rest];
        const all = diff.map((_, i) => i);
        check(entry.op, { args, diff: all });
        // a null tangent for the other differentiable arguments (the zero-tangent paths)
        if (diff.length > 1) check(entry.op, { args, diff: [diff.length - 1] });
      }
    });
  }
});

describe("every kernel's forward rule passes jvpcheck on its samples (float64)", () => {
  for (const [name, kernel] of Object.entries(kernelTable)) {
    test(name, () => {
      const samples = kernelSamples[name];
      expect(samples, `no jvpcheck sample for the forward rule of the kernel ${name} (op_cases.ts kernelSamples)`).toBeDefined();
      for (const sample of samples()) check(kernel.op, sample);
    });
  }
  test("every sample names a kernel of the table", () => {
    expect(Object.keys(kernelSamples).filter((n) => !(n in kernelTable))).toEqual([]);
  });
  test("jvpcheck catches a wrong forward rule", () => {
    // the identity given tanh's forward rule: the check must fail
    const wrong = (a: Tensor) => a;
    defineFrule(wrong, (args: any[], t: any[]) => [args[0], opTable.tanh.frule(args, t)[1]]);
    expect(() => jvpcheck(wrong, [Tensor.randn([3, 4], { rng, dtype: "float64" })])).toThrow(/jvpcheck failed/);
  });
});

describe("forward rules of numbers and Math (jvpcheck, float64)", () => {
  const points: Record<string, number[]> = {
    log: [1.3],
    log1p: [0.4],
    sqrt: [1.7],
    cbrt: [1.9],
    pow: [1.3, 2.2],
    div: [0.7, 1.9],
    mod: [5.3, 1.7],
    max: [0.2, 1.5, -0.4],
    min: [0.2, 1.5, -0.4],
  };
  for (const [table, rules] of [
    ["num", fnum],
    ["Math", fmath],
  ] as const) {
    for (const name of Object.keys(rules)) {
      test(`${table}.${name}`, () => {
        const arity = name === "neg" || (table === "Math" && !["pow", "max", "min"].includes(name)) ? 1 : 2;
        const at = points[name] ?? (arity === 1 ? [0.6] : [0.6, -1.3]);
        const f = (...xs: number[]) =>
          rules[name](
            xs,
            xs.map(() => null),
          )[0];
        defineFrule(f, rules[name]);
        expect(jvpcheck(f, at).ok).toBe(true);
      });
    }
  }
  test("every number and Math rule has a forward rule", () => {
    expect(Object.keys(fnum).sort()).toEqual(Object.keys(num).sort());
    expect(Object.keys(fmath).sort()).toEqual(Object.keys(math).sort());
  });
});

describe("what @pullback/ad derives from the table", () => {
  test("every entry's and kernel's forward rule is registered for its function (origin \"op\") and found by name", () => {
    for (const [name, { op, frule }] of [...Object.entries(opTable), ...Object.entries(kernelTable)]) {
      expect(typeof frule).toBe("function");
      expect(frule.name).toBe(`${name}_frule`);
      expect(findFrule(op)).toBe(frule);
      expect(fruleOrigin(op)).toBe("op");
      expect(fopOf(name, "x.ad.ts:1:1")).toBe(frule);
    }
  });
  test("the kernels are the entries' backward kernels and forward forms, and Tensor's constructors", () => {
    expect(BACKWARD_KERNELS.length).toBeGreaterThan(10);
    expect(Object.keys(kernelTable).sort()).toEqual([...BACKWARD_KERNELS, "Tensor.full", "Tensor.ones", "Tensor.zeros"].sort());
    for (const name of BACKWARD_KERNELS) expect(NO_RULE_OPS.has(name)).toBe(true);
  });
  test("a rule declared `linear` applies the function to the tangents", () => {
    const linear = (table: Record<string, { linear: boolean }>) => Object.keys(table).filter((n) => table[n].linear);
    expect(linear(opTable)).toContain("reshape");
    expect(linear(opTable)).not.toContain("tanh");
    expect(linear(kernelTable)).toContain("dropoutBackward");
    const x = Tensor.randn([2, 3], { rng, dtype: "float64" }),
      t = Tensor.randn([2, 3], { rng, dtype: "float64" });
    const [y, ty] = opTable.reshape.frule([x, [3, 2]], [t]);
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(ty.data)).toEqual(Array.from(t.data));
    expect(opTable.reshape.frule([x, [3, 2]], [null])[1]).toBeNull();
  });
  test("a missing op rule names the op and the call site", () => {
    expect(() => fopOf("frobnicate", "model.ad.ts:3:7")).toThrow(NoForwardRuleError);
    expect(() => fopOf("frobnicate", "model.ad.ts:3:7")).toThrow("no forward rule for `frobnicate` of @pullback/tensor (called at model.ad.ts:3:7)");
  });
  test("jvp of a function without a forward rule is an error naming it", () => {
    const plain = function plainHelper(x: Tensor) {
      return x;
    };
    const x = Tensor.randn([2], { rng, dtype: "float64" });
    expect(() => jvp(plain, [x], [x])).toThrow(/no forward rule for plainHelper/);
  });
});
