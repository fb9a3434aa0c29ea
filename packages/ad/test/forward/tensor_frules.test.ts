// The forward rules of @pullback/tensor (runtime/tensor_frules.ts) and of number arithmetic and
// Math (runtime/number_frules.ts): each checked with jvpcheck (central differences, float64) on
// inputs from SAMPLES, which must name every rule — a new rule cannot be added unchecked — and
// coverage tests: every differentiable op, every backward kernel, every function of the tensor
// package the rrules call, and every number/Math reverse rule has a forward rule.
import { describe, expect, test } from "bun:test";
import { defineFrule, jvp, jvpcheck, NoForwardRuleError } from "@pullback/ad";
import { fmath, fnum } from "../../src/runtime/number_frules.ts";
import { math, num } from "../../src/runtime/implicit.ts";
import { fopOf, linearFrules, tensorFruleTarget, tensorFrules } from "../../src/runtime/tensor_frules.ts";
import { BACKWARD_KERNELS, DIFFERENTIABLE_OPS } from "../../src/passes/known_ops.ts";
import { Rng, softmax, Tensor } from "@pullback/tensor";
import { opTable } from "@pullback/tensor/rules";

const rng = new Rng(11);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
/** Values in [1, 2): away from the poles of log, sqrt, division. */
const pos = (...shape: number[]) => Tensor.uniform(shape, { rng, low: 1, high: 2, dtype: "float64" });
const idx = (...v: number[]) => Int32Array.from(v);

/** Inputs of each rule and which arguments get a (random) tangent. */
interface Sample {
  args: unknown[];
  diff: number[];
}
const s = (args: unknown[], diff: number[]): Sample => ({ args, diff });
const drop = { dropout: 0.3, seed: 5, offset: 7 };

const SAMPLES: Record<string, () => Sample[]> = {
  add: () => [s([r(3, 4), r(4)], [0, 1]), s([r(3, 1), r(3, 4)], [1])],
  sub: () => [s([r(3, 1), r(3, 4)], [0, 1]), s([r(3, 4), r(4)], [1])],
  mul: () => [s([r(3, 4), r(1, 4)], [0, 1])],
  div: () => [s([r(3, 4), pos(3, 4)], [0, 1]), s([r(3, 4), pos(4)], [1])],
  addScalar: () => [s([r(3, 4), 0.3], [0, 1])],
  mulScalar: () => [s([r(3, 4), 0.3], [0, 1])],
  divScalar: () => [s([r(3, 4), 1.7], [0, 1])],
  exp: () => [s([r(3, 4)], [0])],
  log: () => [s([pos(3, 4)], [0])],
  sqrt: () => [s([pos(3, 4)], [0])],
  square: () => [s([r(3, 4)], [0])],
  tanh: () => [s([r(3, 4)], [0])],
  gelu: () => [s([r(3, 4)], [0])],
  matmul: () => [s([r(3, 4), r(4, 2)], [0, 1])],
  bmm: () => [s([r(2, 3, 4), r(2, 4, 5)], [0, 1]), s([r(2, 4, 3), r(2, 5, 4), { transA: true, transB: true }], [0, 1])],
  linear: () => [s([r(3, 4), r(4, 5), r(5)], [0, 1, 2])],
  gemm: () => [s([r(3, 4), r(5, 4), { transB: true, alpha: 0.5 }], [0, 1]), s([r(4, 3), r(4, 5), { transA: true }], [0, 1])],
  softmax: () => [s([r(3, 5)], [0])],
  logSoftmax: () => [s([r(3, 5)], [0])],
  layerNorm: () => [s([r(3, 5), r(5), r(5), 1e-5], [0, 1, 2]), s([r(2, 2, 5), r(5), r(5), 1e-5], [0])],
  crossEntropy: () => [s([r(4, 6), idx(0, 5, 2, 3)], [0])],
  linearCrossEntropy: () => [s([r(4, 3), r(3, 6), idx(0, 5, 2, 3)], [0, 1])],
  attention: () => [s([r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3)], [0, 1, 2]), s([r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), drop], [0, 1, 2])],
  attentionRows: () => [s([r(8, 18), 2, 2], [0]), s([r(8, 18), 2, 2, drop], [0])],
  dropout: () => [s([r(3, 4), 0.3, 1, 0], [0])],
  addDropout: () => [s([r(3, 4), r(3, 4), 0.3, 1, 0], [0, 1])],
  take: () => [s([r(5, 3), idx(0, 2, 4, 2)], [0])],
  pick: () => [s([r(3, 4), idx(0, 1, 2), idx(3, 0, 1)], [0])],
  sum: () => [s([r(3, 4)], [0])],
  sumAlong: () => [s([r(3, 4), 1], [0]), s([r(3, 4), 0, true], [0])],
  maxAlong: () => [s([r(3, 4), 1], [0]), s([r(3, 4), 0, true], [0])],
  reshape: () => [s([r(3, 4), [2, 6]], [0])],
  permute: () => [s([r(2, 3, 4), [2, 0, 1]], [0])],
  swapAxes: () => [s([r(2, 3, 4), 0, 2], [0])],
  splitAt: () => [s([r(3, 5), 1, 2], [0])],
  concat: () => [s([[r(2, 3), r(1, 3)], 0], [0])],
  // backward kernels
  expBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  logBackward: () => [s([pos(3, 4), r(3, 4)], [0, 1])],
  sqrtBackward: () => [s([pos(3, 4), r(3, 4)], [0, 1])],
  squareBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  tanhBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  geluBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  softmaxBackward: () => [s([softmax(r(3, 5)), r(3, 5)], [0, 1])],
  logSoftmaxBackward: () => [s([r(3, 5), r(3, 5)], [0, 1])],
  layerNormBackward: () => [s([r(3, 5), r(3, 5), r(5), r(3), pos(3)], [0, 1, 2, 3, 4])],
  crossEntropyBackward: () => [s([r(4, 6), idx(0, 5, 2, 3), r(4), 0.7], [0, 2, 3])],
  attentionBackward: () => [
    s([r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4)], [0, 1, 2, 3, 4, 5]),
    s([r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5), drop], [0, 1, 2, 3, 4, 5]),
  ],
  attentionRowsBackward: () => [s([r(8, 6), r(8, 18), r(8, 6), r(2, 2, 4), 2, 2], [0, 1, 2, 3]), s([r(8, 6), r(8, 18), r(8, 6), r(2, 2, 4), 2, 2, drop], [0, 1, 2, 3])],
  dropoutBackward: () => [s([r(3, 4), 0.3, 1, 0], [0])],
  takeBackward: () => [s([r(4, 3), idx(0, 2, 4, 2), 5], [0])],
  pickBackward: () => [s([r(3), idx(0, 1, 2), idx(3, 0, 1), [3, 4]], [0])],
  maxAlongBackward: () => [s([r(3), idx(1, 0, 3), [3, 4], 1], [0])],
  // the forms that also return the backward kernels' statistics
  maxAlongForward: () => [s([r(3, 4), 1], [0]), s([r(3, 4), 0, true], [0])],
  layerNormForward: () => [s([r(3, 5), r(5), r(5), 1e-5], [0, 1, 2]), s([r(2, 2, 5), r(5), r(5), 1e-5], [0])],
  crossEntropyForward: () => [s([r(4, 6), idx(0, 5, 2, 3)], [0])],
  linearCrossEntropyForward: () => [s([r(4, 3), r(3, 6), idx(0, 5, 2, 3)], [0, 1]), s([r(4, 3), r(3, 6), idx(1, 1, 2, 0)], [1])],
  attentionForward: () => [s([r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3)], [0, 1, 2]), s([r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), drop], [0, 1, 2])],
  attentionRowsForward: () => [s([r(8, 18), 2, 2], [0]), s([r(8, 18), 2, 2, drop], [0])],
  // helpers the pullbacks call
  sumToShape: () => [s([r(3, 4), [1, 4]], [0]), s([r(2, 3, 4), [3, 1]], [0])],
  "Tensor.zeros": () => [s([[2, 3], "float64"], [])],
  "Tensor.ones": () => [s([[2, 3], "float64"], [])],
  "Tensor.full": () => [s([[2, 3], 0.5, "float64"], [1])],
};

/** The tangents of a sample: random for `diff`, null elsewhere. */
function tangentsOf({ args, diff }: Sample): unknown[] {
  const random = (x: unknown): unknown =>
    x instanceof Tensor ? Tensor.randn(x.shape, { rng, dtype: "float64" }) : typeof x === "number" ? rng.normal() : Array.isArray(x) ? x.map(random) : null;
  return args.map((a, i) => (diff.includes(i) ? random(a) : null));
}

describe("forward rules of @pullback/tensor (jvpcheck, float64)", () => {
  for (const name of Object.keys(tensorFrules)) {
    test(name, () => {
      const samples = SAMPLES[name];
      expect(samples, `no jvpcheck sample for the forward rule of ${name}`).toBeDefined();
      const f = tensorFruleTarget(name) as (...a: any[]) => any;
      for (const sample of samples()) {
        const report = jvpcheck(f, sample.args, { tangents: tangentsOf(sample) });
        expect(report.ok).toBe(true);
        expect(report.entries.length).toBeGreaterThan(0);
      }
    });
  }
  test("every sample names a rule", () => {
    expect(Object.keys(SAMPLES).filter((n) => !(n in tensorFrules))).toEqual([]);
  });
  test("jvpcheck catches a wrong forward rule", () => {
    // the identity given tanh's forward rule: the check must fail
    const wrong = (a: Tensor) => a;
    defineFrule(wrong, (args: any[], t: any[]) => [args[0], tensorFrules.tanh(args, t)[1]]);
    expect(() => jvpcheck(wrong, [r(3, 4)])).toThrow(/jvpcheck failed/);
  });
});

describe("forward rules of numbers and Math (jvpcheck, float64)", () => {
  const points: Record<string, number[]> = { log: [1.3], log1p: [0.4], sqrt: [1.7], cbrt: [1.9], pow: [1.3, 2.2], div: [0.7, 1.9], mod: [5.3, 1.7], max: [0.2, 1.5, -0.4], min: [0.2, 1.5, -0.4] };
  for (const [table, rules] of [["num", fnum], ["Math", fmath]] as const) {
    for (const name of Object.keys(rules)) {
      test(`${table}.${name}`, () => {
        const arity = name === "neg" || (table === "Math" && !["pow", "max", "min"].includes(name)) ? 1 : 2;
        const at = points[name] ?? (arity === 1 ? [0.6] : [0.6, -1.3]);
        const f = (...xs: number[]) => rules[name](xs, xs.map(() => null))[0];
        defineFrule(f, rules[name]);
        expect(jvpcheck(f, at).ok).toBe(true);
      });
    }
  }
});

describe("coverage", () => {
  test("every differentiable op has a forward rule", () => {
    expect([...DIFFERENTIABLE_OPS].filter((op) => !(op in tensorFrules))).toEqual([]);
  });
  test("every backward kernel has a forward rule", () => {
    expect(BACKWARD_KERNELS.length).toBeGreaterThan(0);
    expect(BACKWARD_KERNELS.filter((k) => !(k in tensorFrules))).toEqual([]);
  });
  test("every backward kernel and forward form the op table's rules call has a forward rule", () => {
    const called = Object.values(opTable).flatMap((entry) => [...entry.kernels, ...(entry.forward ? [entry.forward] : [])].map((k) => k.name));
    expect(called.length).toBeGreaterThan(10);
    expect([...new Set(called)].filter((name) => !(name in tensorFrules)).sort()).toEqual([]);
  });
  test("every number and Math rule has a forward rule", () => {
    expect(Object.keys(fnum).sort()).toEqual(Object.keys(num).sort());
    expect(Object.keys(fmath).sort()).toEqual(Object.keys(math).sort());
  });
  test("the rules from linearity apply the op to the tangents", () => {
    expect(linearFrules.has("reshape") && linearFrules.has("dropoutBackward") && !linearFrules.has("tanh")).toBe(true);
  });
  test("a missing op rule names the op and the call site", () => {
    expect(() => fopOf("frobnicate", "model.ad.ts:3:7")).toThrow(NoForwardRuleError);
    expect(() => fopOf("frobnicate", "model.ad.ts:3:7")).toThrow("no forward rule for `frobnicate` of @pullback/tensor (called at model.ad.ts:3:7)");
  });
  test("jvp of a function without a forward rule is an error naming it", () => {
    const plain = function plainHelper(x: Tensor) { return x; };
    expect(() => jvp(plain, [r(2)], [r(2)])).toThrow(/no forward rule for plainHelper/);
  });
});
