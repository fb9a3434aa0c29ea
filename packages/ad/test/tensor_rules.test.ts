// The implicit-mode rules of @pullback/tensor (src/runtime/tensor_rules.ts) and the name lists of
// src/passes/known_ops.ts: every function export is classified; every rule passes gradcheck
// (float64, central differences, random cotangent) over at least two shapes, broadcasting included
// for the binary ops; non-differentiable arguments get null; the rules are registered.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as ops from "@pullback/tensor";
import { Tensor } from "@pullback/tensor";
import { AnomalyError, setAnomalyDetection } from "@pullback/tensor/rrules";
import { gradcheck, GradcheckError } from "../src/runtime/gradcheck.ts";
import { DIFFERENTIABLE_ARGS, DIFFERENTIABLE_OPS, MUTATING_OPS, NO_RULE_OPS, NON_DIFFERENTIABLE_EXPORTS } from "../src/passes/known_ops.ts";
import { findRule, ruleOrigin, type Rule } from "../src/runtime/registry.ts";
import type { Tree } from "../src/runtime/tree.ts";
import { tensorRules } from "../src/runtime/tensor_rules.ts";

const exportsOf = ops as Record<string, unknown>;

describe("known_ops.ts", () => {
  test("DIFFERENTIABLE_OPS are exactly the keys of tensorRules (and of DIFFERENTIABLE_ARGS)", () => {
    expect([...DIFFERENTIABLE_OPS].sort()).toEqual(Object.keys(tensorRules).sort());
    expect([...DIFFERENTIABLE_ARGS.keys()].sort()).toEqual([...DIFFERENTIABLE_OPS].sort());
  });

  test("every function export of @pullback/tensor is in exactly one list, and every listed name is a function export", () => {
    const lists: [string, Iterable<string>][] = [
      ["DIFFERENTIABLE_OPS", DIFFERENTIABLE_OPS],
      ["NON_DIFFERENTIABLE_EXPORTS", NON_DIFFERENTIABLE_EXPORTS],
      ["MUTATING_OPS", MUTATING_OPS.keys()],
      ["NO_RULE_OPS", NO_RULE_OPS.keys()],
    ];
    const where = new Map<string, string[]>();
    for (const [list, names] of lists) for (const name of names) where.set(name, [...(where.get(name) ?? []), list]);
    const functions = Object.keys(ops).filter((k) => typeof exportsOf[k] === "function");
    const unclassified = functions.filter((k) => !where.has(k));
    const twice = [...where].filter(([, l]) => l.length > 1).map(([k, l]) => `${k} (${l.join(", ")})`);
    const stale = [...where.keys()].filter((k) => typeof exportsOf[k] !== "function");
    expect({ unclassified, twice, stale }).toEqual({ unclassified: [], twice: [], stale: [] });
  });

  test("MUTATING_OPS positions are arguments of the op; NO_RULE_OPS give a reason", () => {
    for (const [name, positions] of MUTATING_OPS) {
      const f = exportsOf[name] as Function;
      expect(positions.length).toBeGreaterThan(0);
      for (const p of positions) expect(Number.isInteger(p) && p >= 0 && p < f.length).toBe(true);
    }
    for (const reason of NO_RULE_OPS.values()) expect(reason.length).toBeGreaterThan(10);
  });

  test("known_ops.ts imports nothing (the loader reads it without loading tensors or FFI)", () => {
    const source = readFileSync(new URL("../src/passes/known_ops.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/^\s*(import|export\s+(\*|\{[^}]*\})\s+from)\b|\brequire\(|\bimport\(/m);
  });
});

describe("registration", () => {
  test("importing tensor_rules.ts registers each rule for its op (origin \"op\")", () => {
    expect(findRule(ops.matmul)).toBe(tensorRules.matmul);
    for (const [name, rule] of Object.entries(tensorRules)) {
      expect(findRule(exportsOf[name])).toBe(rule);
      expect(ruleOrigin(exportsOf[name])).toBe("op");
    }
  });

  test("non-differentiable and no-rule exports have no rule", () => {
    for (const name of [...NON_DIFFERENTIABLE_EXPORTS, ...MUTATING_OPS.keys(), ...NO_RULE_OPS.keys()]) expect(findRule(exportsOf[name])).toBeUndefined();
  });
});

// ---- gradcheck of every rule ----

const rand = (shape: number[], seed: number, low = -1, high = 1) => Tensor.uniform(shape, { seed, low, high, dtype: "float64" });
const positive = (shape: number[], seed: number) => rand(shape, seed, 0.5, 2);

interface Case {
  /** The differentiable arguments (the first ones); `rest` are the others. */
  diff: Tree[];
  rest?: unknown[];
}

/** A positional rule seen as an explicit rrule of its differentiable arguments, for gradcheck. */
function explicit(rule: Rule, nDiff: number) {
  return function positional(xs: unknown[], ...rest: unknown[]): [unknown, (dy: unknown) => unknown[]] {
    const [y, pullback] = rule(...xs, ...rest);
    return [y, (dy) => pullback(dy).slice(0, nDiff)];
  };
}

/** A cotangent shaped like y (numbers, tensors, arrays of them). */
function cotangentLike(y: unknown, seed: number): unknown {
  if (typeof y === "number") return 0.7;
  if (y instanceof Tensor) return rand([...y.shape], seed);
  return (y as unknown[]).map((v, i) => cotangentLike(v, seed + i + 1));
}

/** Operands of a binary op; the divisor is kept away from 0. */
const bin = (a: number[], b: number[], seed: number, divisor = false): Case => ({ diff: [rand(a, seed), divisor ? positive(b, seed + 1) : rand(b, seed + 1)] });
const broadcastShapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 3], [4, 1]], [[1], [2, 3]]];

const cases: Record<string, Case[]> = {
  add: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i)),
  sub: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i + 1)),
  mul: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i + 2)),
  div: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i + 3, true)),
  addScalar: [{ diff: [rand([3, 4], 1), 0.3] }, { diff: [rand([5], 2), -2] }],
  mulScalar: [{ diff: [rand([3, 4], 3), 1.7] }, { diff: [rand([2, 1, 3], 4), -0.5] }],
  divScalar: [{ diff: [rand([3, 4], 5), 1.7] }, { diff: [rand([6], 6), -0.8] }],
  exp: [{ diff: [rand([3, 4], 7)] }, { diff: [rand([5], 8)] }],
  log: [{ diff: [positive([3, 4], 9)] }, { diff: [positive([2, 3, 2], 10)] }],
  sqrt: [{ diff: [positive([3, 4], 11)] }, { diff: [positive([7], 12)] }],
  square: [{ diff: [rand([3, 4], 13)] }, { diff: [rand([1, 5], 14)] }],
  tanh: [{ diff: [rand([3, 4], 15)] }, { diff: [rand([2, 2, 2], 16)] }],
  gelu: [{ diff: [rand([3, 4], 17, -3, 3)] }, { diff: [rand([9], 18, -3, 3)] }],
  matmul: [{ diff: [rand([3, 4], 19), rand([4, 5], 20)] }, { diff: [rand([1, 3], 21), rand([3, 1], 22)] }],
  bmm: [
    { diff: [rand([2, 3, 4], 23), rand([2, 4, 5], 24)] },
    { diff: [rand([3, 2, 1], 25), rand([3, 1, 4], 26)], rest: [{}] },
    { diff: [rand([2, 4, 3], 27), rand([2, 5, 4], 28)], rest: [{ transA: true, transB: true }] },
  ],
  linear: [{ diff: [rand([3, 4], 29), rand([4, 5], 30), rand([5], 31)] }, { diff: [rand([1, 2], 32), rand([2, 1], 33), rand([1], 34)] }],
  softmax: [{ diff: [rand([3, 4], 35, -2, 2)] }, { diff: [rand([2, 1, 5], 36, -2, 2)] }],
  logSoftmax: [{ diff: [rand([3, 4], 37, -2, 2)] }, { diff: [rand([6], 38, -2, 2)] }],
  layerNorm: [
    { diff: [rand([3, 4], 39, -2, 2), rand([4], 40, 0.5, 1.5), rand([4], 41)] },
    { diff: [rand([2, 3, 5], 42, -2, 2), rand([5], 43, 0.5, 1.5), rand([5], 44)], rest: [0.1] },
  ],
  crossEntropy: [{ diff: [rand([3, 5], 45, -3, 3)], rest: [[0, 4, 2]] }, { diff: [rand([1, 2], 46, -3, 3)], rest: [Int32Array.from([1])] }],
  linearCrossEntropy: [
    { diff: [rand([3, 4], 80, -2, 2), rand([4, 5], 81, -1, 1)], rest: [[0, 4, 2]] },
    { diff: [rand([7, 2], 82, -2, 2), rand([2, 3], 83, -1, 1)], rest: [Int32Array.from([2, 0, 0, 1, 2, 2, 1]), { chunkRows: 2 }] },
  ],
  attention: [
    { diff: [rand([1, 2, 5, 3], 47), rand([1, 2, 5, 3], 48), rand([1, 2, 5, 3], 49)] },
    { diff: [rand([2, 1, 4, 2], 50), rand([2, 1, 4, 2], 51), rand([2, 1, 4, 2], 52)], rest: [{ dropout: 0.3, seed: 7, offset: 2 }] },
  ],
  attentionRows: [
    { diff: [rand([6, 18], 78)], rest: [2, 2] }, // B = 2, T = 3, H = 2, D = 3
    { diff: [rand([10, 12], 79)], rest: [2, 2, { dropout: 0.3, seed: 7, offset: 2 }] }, // B = 2, T = 5, H = 2, D = 2
  ],
  dropout: [{ diff: [rand([3, 4], 53)], rest: [0.25, 9, 1] }, { diff: [rand([17], 54)], rest: [0, 3, 0] }],
  addDropout: [{ diff: [rand([3, 4], 55), rand([3, 4], 56)], rest: [0.25, 9, 1] }, { diff: [rand([17], 57), rand([17], 58)], rest: [0, 3, 0] }],
  take: [{ diff: [rand([5, 3], 55)], rest: [[4, 0, 4, 2]] }, { diff: [rand([3, 2], 56)], rest: [[1, 2, 1, 0, 0, 2], [2, 3]] }],
  pick: [{ diff: [rand([3, 4], 57)], rest: [[0, 2, 2], [3, 1, 3]] }, { diff: [rand([1, 2], 58)], rest: [[0], [1]] }],
  sum: [{ diff: [rand([3, 4], 59)] }, { diff: [rand([2, 1, 3], 60)] }],
  sumAlong: [{ diff: [rand([3, 4], 61)], rest: [1] }, { diff: [rand([2, 3, 4], 62)], rest: [-2, true] }],
  maxAlong: [{ diff: [rand([3, 4], 63)], rest: [1] }, { diff: [rand([2, 3, 4], 64)], rest: [0, true] }],
  reshape: [{ diff: [rand([3, 4], 65)], rest: [[2, 6]] }, { diff: [rand([2, 3, 4], 66)], rest: [[4, 6]] }],
  permute: [{ diff: [rand([3, 4], 67)], rest: [[1, 0]] }, { diff: [rand([2, 3, 4, 1], 68)], rest: [[2, 0, 3, 1]] }],
  swapAxes: [{ diff: [rand([3, 4], 69)], rest: [0, 1] }, { diff: [rand([2, 3, 4], 70)], rest: [-1, 0] }],
  splitAt: [{ diff: [rand([5, 4], 71)], rest: [0, 2] }, { diff: [rand([2, 3, 6], 72)], rest: [-1, 5] }],
  concat: [{ diff: [[rand([2, 3], 73), rand([1, 3], 74), rand([4, 3], 75)]], rest: [0] }, { diff: [[rand([2, 1, 2], 76), rand([2, 3, 2], 77)]], rest: [-2] }],
};

describe("every rule passes gradcheck (float64)", () => {
  test("every rule has at least two cases", () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(tensorRules).sort());
    for (const list of Object.values(cases)) expect(list.length).toBeGreaterThanOrEqual(2);
  });

  for (const [name, list] of Object.entries(cases)) {
    test(name, () => {
      const rule = tensorRules[name];
      list.forEach(({ diff, rest = [] }, i) => {
        expect(DIFFERENTIABLE_ARGS.get(name)).toBe(diff.length);
        gradcheck(explicit(rule, diff.length), diff, { args: rest, seed: i });
        // One cotangent per argument: the non-differentiable ones are null.
        const [y, pullback] = rule(...diff, ...rest);
        expect(pullback.name).toBe(`${name}_pullback`);
        const cotangents = pullback(cotangentLike(y, 100 + i));
        expect(cotangents).toHaveLength(diff.length + rest.length);
        expect(cotangents.slice(diff.length)).toEqual(rest.map(() => null));
        // The value equals the op's.
        const direct = (exportsOf[name] as (...a: unknown[]) => unknown)(...diff, ...rest);
        expect(JSON.stringify(valueOf(y))).toBe(JSON.stringify(valueOf(direct)));
      });
    });
  }
});

function valueOf(y: unknown): unknown {
  if (y instanceof Tensor) return [y.shape, Array.from(y.data)];
  if (Array.isArray(y)) return y.map(valueOf);
  return y;
}

test("the gradcheck wrapper catches a wrong tensor or number cotangent", () => {
  const x = rand([3, 2], 90);
  const wrong = (k: 0 | 1): Rule => (...args) => {
    const [y, pullback] = tensorRules.mulScalar(...args);
    return [y, (dy) => pullback(dy).map((c, i) => (i !== k ? c : typeof c === "number" ? -c : ops.mulScalar(c, 2)))];
  };
  for (const k of [0, 1] as const) {
    expect(() => gradcheck(explicit(wrong(k), 2), [x, 1.5])).toThrow(GradcheckError);
  }
});

describe("special cases", () => {
  test("splitAt accepts a null cotangent for either half (a zero) and for both", () => {
    const x = rand([5, 3], 80);
    const [[l, r], pullback] = tensorRules.splitAt(x, 0, 2);
    const dl = rand([...l.shape], 81), dr = rand([...r.shape], 82);
    const [onlyLeft, axisCt, indexCt] = pullback([dl, null]);
    expect(axisCt).toBeNull();
    expect(indexCt).toBeNull();
    expect(onlyLeft.shape).toEqual([5, 3]);
    expect(Array.from(onlyLeft.data)).toEqual([...dl.data, ...new Array(9).fill(0)]);
    const [onlyRight] = pullback([null, dr]);
    expect(Array.from(onlyRight.data)).toEqual([...new Array(6).fill(0), ...dr.data]);
    expect(pullback([null, null])).toEqual([null, null, null]);
  });

  test("crossEntropy returns the mean loss (a number) and takes a number cotangent", () => {
    const logits = rand([4, 6], 83);
    const [loss, pullback] = tensorRules.crossEntropy(logits, [1, 5, 0, 2]);
    expect(loss).toBe(ops.crossEntropy(logits, [1, 5, 0, 2]));
    const [dlogits, dtargets] = pullback(2);
    expect(dlogits.shape).toEqual([4, 6]);
    expect(dtargets).toBeNull();
  });

  test("the scalar cotangent of addScalar / mulScalar / divScalar is a number", () => {
    const x = rand([3, 2], 84), dy = rand([3, 2], 85);
    expect(typeof tensorRules.addScalar(x, 2)[1](dy)[1]).toBe("number");
    expect(tensorRules.mulScalar(x, 2)[1](dy)[1]).toBeCloseTo(ops.sum(ops.mul(x, dy)), 12);
  });

  test("float32 inputs run on the kernels and agree with float64", () => {
    const a = rand([4, 3], 86).to("float32"), b = rand([3, 5], 87).to("float32"), c = rand([5], 88).to("float32");
    const dy = rand([4, 5], 89).to("float32");
    const [y32, pb32] = tensorRules.linear(a, b, c);
    const [y64, pb64] = tensorRules.linear(a.to("float64"), b.to("float64"), c.to("float64"));
    expect(y32.dtype).toBe("float32");
    for (let i = 0; i < y32.size; i++) expect(Math.abs(y32.data[i] - y64.data[i])).toBeLessThan(1e-5);
    pb32(dy).forEach((g: Tensor, k: number) => {
      const e = pb64(dy.to("float64"))[k] as Tensor;
      for (let i = 0; i < g.size; i++) expect(Math.abs(g.data[i] - e.data[i])).toBeLessThan(1e-5);
    });
  });

  test("anomaly detection still names the op (the rules go through the watched rrules)", () => {
    const previous = setAnomalyDetection(true);
    try {
      expect(() => tensorRules.log(Tensor.from([-1, 2]))).toThrow(AnomalyError);
      const [, pullback] = tensorRules.sqrt(Tensor.from([0, 4]));
      expect(() => pullback(Tensor.from([1, 1]))).toThrow(/^sqrt pullback \(cotangent\) is not finite/);
    } finally {
      setAnomalyDetection(previous);
    }
  });
});
