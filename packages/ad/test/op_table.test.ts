// The op table of @pullback/tensor (src/rules/) and what @pullback/ad derives from it: every
// function export is classified in exactly one place; the loader's lists (passes/known_ops.ts) and
// the registered rules come from the table; loading the table (and expanding a file with it) does
// not load the Zig library; every entry's rule passes gradcheck (float64, central differences,
// random cotangent) over at least two cases (op_cases.ts, where the forward rules' jvpcheck finds
// them too) — the gradcheck tests iterate over the table, so an op cannot be added without its cases; non-differentiable arguments get null, and so does every
// argument when the cotangent is null; the explicit rrules are the entries themselves.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ops from "@pullback/tensor";
import { Tensor } from "@pullback/tensor";
import { MUTATING_OPS, NO_RULE_OPS, NON_DIFFERENTIABLE_EXPORTS, opTable, type Rule } from "@pullback/tensor/rules";
import * as rrules from "@pullback/tensor/rrules";
import { AnomalyError, setAnomalyDetection } from "../src/runtime/anomaly.ts";
import { gradcheck, GradcheckError } from "../src/runtime/gradcheck.ts";
import { BACKWARD_KERNELS, DIFFERENTIABLE_ARGS, DIFFERENTIABLE_OPS, deriveKnownOps } from "../src/passes/known_ops.ts";
import { findRule, opRules, ruleOrigin } from "../src/runtime/registry.ts";
import { opCases as cases, rand } from "./op_cases.ts";

const exportsOf = ops as Record<string, unknown>;
const ruleOfOp = (name: string): Rule => opTable[name].rule;

describe("the op table and the classification of every export", () => {
  test("every entry differentiates the export of its name; the loader's lists are the table's", () => {
    for (const [name, entry] of Object.entries(opTable)) {
      expect(exportsOf[name]).toBe(entry.op);
      expect(entry.differentiable).toBeGreaterThanOrEqual(1);
      expect(entry.explicit).toBeGreaterThanOrEqual(1);
      expect(entry.explicit).toBeLessThanOrEqual(entry.differentiable);
      expect(DIFFERENTIABLE_ARGS.get(name)).toBe(entry.differentiable);
    }
    expect([...DIFFERENTIABLE_OPS].sort()).toEqual(Object.keys(opTable).sort());
  });

  test("the loader's lists, kept in the disk cache between processes, are the ones derived from the table", () => {
    // In this process (from the cache when it was warm):
    const derived = deriveKnownOps();
    expect([...DIFFERENTIABLE_ARGS]).toEqual(derived.args);
    expect([...BACKWARD_KERNELS]).toEqual(derived.kernels);
    // In fresh processes over an empty cache: the first derives and stores them, the second reads them.
    const dir = mkdtempSync(join(tmpdir(), "pb-known-ops-"));
    try {
      const script = `const k = await import(${JSON.stringify(join(import.meta.dir, "../src/passes/known_ops.ts"))});
        console.log(JSON.stringify({ args: [...k.DIFFERENTIABLE_ARGS], nonDifferentiable: [...k.NON_DIFFERENTIABLE_EXPORTS],
          mutating: [...k.MUTATING_OPS], noRule: [...k.NO_RULE_OPS], kernels: [...k.BACKWARD_KERNELS] }));`;
      const run = () => {
        const r = Bun.spawnSync(["bun", "-e", script], { cwd: import.meta.dir, env: { ...process.env, PULLBACK_AD_CACHE: dir } });
        if (r.exitCode !== 0) throw new Error(r.stderr.toString());
        return JSON.parse(r.stdout.toString());
      };
      const first = run();
      expect(first).toEqual(derived);
      const stored = readdirSync(dir).filter((f) => f.startsWith("known-ops-"));
      expect(stored).toHaveLength(1);
      // The second process reads the stored lists (a marker added to them comes back), not the table.
      const path = join(dir, stored[0]);
      const marked = JSON.parse(readFileSync(path, "utf8"));
      marked.args.push(["cachedMarker", 1]);
      writeFileSync(path, JSON.stringify(marked));
      expect(run()).toEqual(marked);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every function export of @pullback/tensor is in exactly one list, and every listed name is a function export", () => {
    const lists: [string, Iterable<string>][] = [
      ["opTable", Object.keys(opTable)],
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

  test("the backward kernels and forward forms of the entries are exports without a rule; MUTATING_OPS positions are arguments; NO_RULE_OPS give a reason", () => {
    for (const entry of Object.values(opTable)) {
      for (const kernel of entry.kernels) {
        expect(exportsOf[kernel.name]).toBe(kernel.op);
        expect(NO_RULE_OPS.get(kernel.name)).toBe(kernel.noRule ?? "a backward kernel: there are no second derivatives");
      }
    }
    for (const [name, entry] of Object.entries(opTable)) {
      if (!entry.forward) continue;
      expect(exportsOf[entry.forward.name]).toBe(entry.forward.op);
      expect(NO_RULE_OPS.get(entry.forward.name)).toContain(`differentiate ${name}`);
    }
    expect(NO_RULE_OPS.get("softmaxBackward")).toMatch(/backward kernel/);
    expect(NO_RULE_OPS.get("gemm")).toMatch(/use matmul/);
    for (const [name, positions] of MUTATING_OPS) {
      const f = exportsOf[name] as Function;
      expect(positions.length).toBeGreaterThan(0);
      for (const p of positions) expect(Number.isInteger(p) && p >= 0 && p < f.length).toBe(true);
    }
    for (const reason of NO_RULE_OPS.values()) expect(reason.length).toBeGreaterThan(10);
  });

  test("loading the table and expanding an implicit-mode file with it does not load the Zig library", () => {
    const script = `
      const { transformAd } = await import(${JSON.stringify(join(import.meta.dir, "../src/transform.ts"))});
      const path = ${JSON.stringify(join(import.meta.dir, "implicit/programs/model.ad.ts"))};
      const r = transformAd(await Bun.file(path).text(), path, { noCache: true });
      const maps = await Bun.file("/proc/self/maps").text();
      console.log(JSON.stringify({ functions: r.functions, loaded: maps.includes("libpullback") }));`;
    const p = Bun.spawnSync(["bun", "-e", script], { stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    const out = JSON.parse(p.stdout.toString());
    expect(out.functions).toBeGreaterThan(0);
    expect(out.loaded).toBe(false);
    // The same check sees a loaded library (the test can fail).
    const q = Bun.spawnSync([
      "bun",
      "-e",
      `const t = await import("@pullback/tensor"); t.getThreads(); console.log((await Bun.file("/proc/self/maps").text()).includes("libpullback"));`,
    ]);
    expect(q.stdout.toString().trim()).toBe("true");
  });
});

describe("registration and the explicit form", () => {
  test('each entry\'s rule is registered for its op (origin "op") and is what generated code calls', () => {
    for (const [name, entry] of Object.entries(opTable)) {
      expect(findRule(entry.op)).toBe(entry.rule);
      expect(ruleOrigin(entry.op)).toBe("op");
      expect(opRules[name]).toBe(entry.rule);
    }
  });

  test("non-differentiable and no-rule exports have no rule", () => {
    for (const name of [...NON_DIFFERENTIABLE_EXPORTS, ...MUTATING_OPS.keys()]) expect(findRule(exportsOf[name])).toBeUndefined();
    for (const name of NO_RULE_OPS.keys()) expect(findRule(exportsOf[name])).toBeUndefined();
  });

  test("@pullback/tensor/rrules exports exactly the table's entries (callable as rrules)", () => {
    const fns = Object.keys(rrules).filter((k) => typeof (rrules as Record<string, unknown>)[k] === "function");
    expect(fns.sort()).toEqual(Object.keys(opTable).sort());
    for (const name of fns) expect((rrules as Record<string, unknown>)[name]).toBe(opTable[name]);
  });
});

// ---- gradcheck of every rule ----

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

describe("every rule passes gradcheck (float64)", () => {
  test("no cases for ops that are not in the table", () => {
    expect(Object.keys(cases).filter((name) => !(name in opTable))).toEqual([]);
  });

  for (const name of Object.keys(opTable)) {
    test(name, () => {
      const list = cases[name] ?? [];
      expect(list.length, `${name}: gradcheck cases (add at least two to \`cases\`)`).toBeGreaterThanOrEqual(2);
      const rule = ruleOfOp(name);
      list.forEach(({ diff, rest = [] }, i) => {
        expect(DIFFERENTIABLE_ARGS.get(name)).toBe(diff.length);
        gradcheck(explicit(rule, diff.length), diff, { args: rest, seed: i });
        // One cotangent per argument: the non-differentiable ones are null.
        const [y, pullback] = rule(...diff, ...rest);
        expect(pullback.name).toBe(`${name}_pullback`);
        const cotangents = pullback(cotangentLike(y, 100 + i));
        expect(cotangents).toHaveLength(diff.length + rest.length);
        expect(cotangents.slice(diff.length)).toEqual(rest.map(() => null));
        // A null (zero) cotangent gives nulls, for every argument.
        expect(pullback(null)).toEqual([...diff, ...rest].map(() => null));
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
  const wrong =
    (k: 0 | 1): Rule =>
    (...args) => {
      const [y, pullback] = ruleOfOp("mulScalar")(...args);
      return [y, (dy) => pullback(dy).map((c, i) => (i !== k ? c : typeof c === "number" ? -c : ops.mulScalar(c, 2)))];
    };
  for (const k of [0, 1] as const) {
    expect(() => gradcheck(explicit(wrong(k), 2), [x, 1.5])).toThrow(GradcheckError);
  }
});

describe("special cases", () => {
  test("splitAt accepts a null cotangent for either half (a zero) and for both", () => {
    const x = rand([5, 3], 80);
    const [[l, r], pullback] = ruleOfOp("splitAt")(x, 0, 2);
    const dl = rand([...l.shape], 81),
      dr = rand([...r.shape], 82);
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
    const [loss, pullback] = ruleOfOp("crossEntropy")(logits, [1, 5, 0, 2]);
    expect(loss).toBe(ops.crossEntropy(logits, [1, 5, 0, 2]));
    const [dlogits, dtargets] = pullback(2);
    expect(dlogits.shape).toEqual([4, 6]);
    expect(dtargets).toBeNull();
  });

  test("the scalar cotangent of addScalar / mulScalar / divScalar is a number", () => {
    const x = rand([3, 2], 84),
      dy = rand([3, 2], 85);
    expect(typeof ruleOfOp("addScalar")(x, 2)[1](dy)[1]).toBe("number");
    expect(ruleOfOp("mulScalar")(x, 2)[1](dy)[1]).toBeCloseTo(ops.sum(ops.mul(x, dy)), 12);
  });

  test("float32 inputs run on the kernels and agree with float64", () => {
    const a = rand([4, 3], 86).to("float32"),
      b = rand([3, 5], 87).to("float32"),
      c = rand([5], 88).to("float32");
    const dy = rand([4, 5], 89).to("float32");
    const [y32, pb32] = ruleOfOp("linear")(a, b, c);
    const [y64, pb64] = ruleOfOp("linear")(a.to("float64"), b.to("float64"), c.to("float64"));
    expect(y32.dtype).toBe("float32");
    for (let i = 0; i < y32.size; i++) expect(Math.abs(y32.data[i] - y64.data[i])).toBeLessThan(1e-5);
    pb32(dy).forEach((g: Tensor, k: number) => {
      const e = pb64(dy.to("float64"))[k] as Tensor;
      for (let i = 0; i < g.size; i++) expect(Math.abs(g.data[i] - e.data[i])).toBeLessThan(1e-5);
    });
  });

  test("anomaly detection names the op, for the rule and for its explicit form", () => {
    const previous = setAnomalyDetection(true);
    try {
      expect(() => ruleOfOp("log")(Tensor.from([-1, 2]))).toThrow(AnomalyError);
      const [, pullback] = ruleOfOp("sqrt")(Tensor.from([0, 4]));
      expect(() => pullback(Tensor.from([1, 1]))).toThrow(
        /^sqrt pullback \(cotangent\) is not finite: argument 0 \(2\) has Infinity at flat index 0$/,
      );
      expect(() => rrules.log(Tensor.from([-1, 2]))).toThrow(/^log output is not finite/);
      const [, explicitPullback] = rrules.sqrt(Tensor.from([0, 4]));
      expect(() => explicitPullback(Tensor.from([1, 1]))).toThrow(AnomalyError);
    } finally {
      setAnomalyDetection(previous);
    }
  });
});
