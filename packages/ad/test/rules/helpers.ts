// Shared checks for the rrule tests (one test file per domain of @pullback/tensor's rules/). For one rule and one input:
//  1. gradcheck (@pullback/ad): float64 central differences against pullback(random cotangent) —
//     the inputs are cast to float64, so this runs on the reference backend;
//  2. the rule's forward output equals the plain op's output (float32, native);
//  3. the float32 pullback (native Zig backward kernels) agrees with the float64 pullback for the
//     same cotangent, and every cotangent has the input's dtype and shape.
// Inputs are drawn in float32 and cast up, so both precisions compute the same function.
import { afterAll, expect } from "bun:test";
import { formatGradcheck, gradcheck, treeFlatten, treeMap, type GradcheckOptions, type Tree } from "@pullback/ad";
import { fmtShape, Rng, Tensor } from "@pullback/tensor";

export type Rule = (x: any, ...rest: any[]) => [any, (dy: any) => any];

export interface CheckOptions {
  /** Non-differentiated arguments after x. */
  args?: unknown[];
  /** The plain op: its output must equal the rule's forward output. */
  plain?: (x: any, ...rest: any[]) => unknown;
  /** Skip the float64 gradcheck (large shapes that only exercise the float32 path). */
  skipGradcheck?: boolean;
  gradcheck?: Omit<GradcheckOptions, "args">;
  /** float32 pullback vs float64: |a − e| ≤ rtol·|e| + atol·max|e| per leaf (defaults 1e-4, 2e-5). */
  rtol?: number;
  atol?: number;
  /** Cotangent seed. */
  seed?: number;
}

export interface CaseResult {
  /** gradcheck's max relative error over the inputs (NaN when skipped). */
  gradRel: number;
  gradAbs: number;
  /** Max normwise relative difference, float32 pullback vs float64 pullback. */
  f32Rel: number;
}

interface RuleStats {
  cases: number;
  gradRel: number;
  gradAbs: number;
  f32Rel: number;
}

/** Collects per-rule maxima over a test file's cases and prints them after the file. */
export class RuleLog {
  private stats = new Map<string, RuleStats>();

  constructor(readonly domain: string) {
    afterAll(() => this.print());
  }

  record(rule: string, r: CaseResult): void {
    const s = this.stats.get(rule) ?? { cases: 0, gradRel: 0, gradAbs: 0, f32Rel: 0 };
    s.cases++;
    if (!Number.isNaN(r.gradRel)) s.gradRel = Math.max(s.gradRel, r.gradRel);
    if (!Number.isNaN(r.gradAbs)) s.gradAbs = Math.max(s.gradAbs, r.gradAbs);
    s.f32Rel = Math.max(s.f32Rel, r.f32Rel);
    this.stats.set(rule, s);
  }

  print(): void {
    const rows = [...this.stats].map(([rule, s]) => [
      rule,
      String(s.cases),
      s.gradAbs.toExponential(2),
      s.gradRel.toExponential(2),
      s.f32Rel.toExponential(2),
    ]);
    const head = ["rule", "cases", "gradcheck max abs", "gradcheck max rel", "f32 vs f64 pullback"];
    const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
    const line = (r: string[]) => "  " + r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
    console.log(`rrules (${this.domain}):\n${[line(head), ...rows.map(line)].join("\n")}`);
  }
}

/** A float32 tensor with uniform entries in [low, high). */
export function rand(shape: readonly number[], seed: number, low = -1, high = 1): Tensor {
  return Tensor.uniform(shape, { seed, low, high, dtype: "float32" });
}

const cast = (tree: Tree, dtype: "float32" | "float64"): Tree => treeMap(tree, (leaf) => (leaf instanceof Tensor ? leaf.clone(dtype) : leaf));

/** A random cotangent shaped like y (float32-representable values), in both precisions. */
function cotangent(y: Tree, seed: number): [Tree, Tree] {
  const rng = new Rng(seed);
  const c32 = treeMap(y, (leaf) => {
    if (leaf instanceof Tensor) {
      const t = Tensor.zeros(leaf.shape, "float32");
      for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
      return t;
    }
    if (typeof leaf === "number") return Math.fround(rng.normal());
    return leaf;
  });
  return [c32, cast(c32, "float64")];
}

function describeTree(t: Tree): string {
  const { paths, leaves } = treeFlatten(t);
  return leaves.map((l, k) => `${paths[k] || "x"}: ${l instanceof Tensor ? `${fmtShape(l.shape)} ${l.dtype}` : typeof l}`).join(", ");
}

/** Asserts the outputs are the same tree with the same shapes and (nearly) the same values. */
export function expectSameTree(actual: Tree, expected: Tree, what: string, rtol = 1e-6, atol = 1e-7): number {
  const a = treeFlatten(actual),
    e = treeFlatten(expected);
  expect(a.paths, `${what}: structure`).toEqual(e.paths);
  let worst = 0;
  a.leaves.forEach((al, k) => {
    const el = e.leaves[k];
    const where = `${what} ${a.paths[k] || ""}`.trim();
    if (typeof el === "number") {
      const v = al instanceof Tensor && al.size === 1 ? al.data[0] : (al as number);
      expect(typeof v, where).toBe("number");
      const err = Math.abs(v - el);
      if (!(err <= atol + rtol * Math.abs(el))) throw new Error(`${where}: ${v} vs ${el}`);
      worst = Math.max(worst, err / Math.max(Math.abs(el), 1e-30));
      return;
    }
    expect(al instanceof Tensor, `${where}: a Tensor`).toBe(true);
    const at = al as Tensor,
      et = el as Tensor;
    expect(at.shape, `${where}: shape`).toEqual(et.shape);
    let scale = 0;
    for (let i = 0; i < et.size; i++) scale = Math.max(scale, Math.abs(et.data[i]));
    for (let i = 0; i < et.size; i++) {
      const err = Math.abs(at.data[i] - et.data[i]);
      if (!(err <= rtol * Math.abs(et.data[i]) + atol * scale) && !(Number.isNaN(at.data[i]) && Number.isNaN(et.data[i]))) {
        throw new Error(
          `${where} ${fmtShape(et.shape)}: element ${i} is ${at.data[i]}, expected ${et.data[i]} (rtol ${rtol}, atol ${atol}·max ${scale.toExponential(2)})`,
        );
      }
      worst = Math.max(worst, err / Math.max(scale, 1e-30));
    }
  });
  return worst;
}

/** The cotangent tree must mirror the input tree: Tensor leaves of the input's shape and `dtype`. */
export function expectCotangentsLike(dx: Tree, x: Tree, dtype: "float32" | "float64", what: string): void {
  const xs = treeFlatten(x),
    ds = treeFlatten(dx);
  if (xs.paths.join() !== ds.paths.join())
    throw new Error(`${what}: cotangent structure {${describeTree(dx)}} does not mirror the input {${describeTree(x)}}`);
  xs.leaves.forEach((xl, k) => {
    const dl = ds.leaves[k];
    const where = `${what}: cotangent ${xs.paths[k] || "x"}`;
    if (xl instanceof Tensor) {
      if (!(dl instanceof Tensor)) throw new Error(`${where} is ${typeof dl}, expected a Tensor`);
      expect(dl.shape, `${where} shape`).toEqual(xl.shape);
      expect(dl.dtype, `${where} dtype`).toBe(dtype);
    }
  });
}

/**
 * Runs the three checks for `rule(x, ...args)` (x: float32 tensors, or a tree of them) and records
 * the errors under `name` in `log`.
 */
export function checkRule(log: RuleLog, name: string, rule: Rule, x: Tree, options: CheckOptions = {}): CaseResult {
  const args = options.args ?? [];
  const seed = options.seed ?? 99;
  const label = `${name}(${describeTree(x)}${args.length ? `; ${args.map((a) => JSON.stringify(a)).join(", ")}` : ""})`;
  const x32 = cast(x, "float32"),
    x64 = cast(x, "float64");

  // 1. gradcheck in float64.
  let gradRel = NaN,
    gradAbs = NaN;
  if (!options.skipGradcheck) {
    const report = gradcheck(rule, x64, { ...options.gradcheck, args, seed });
    gradRel = Math.max(...report.entries.map((e) => e.maxRel));
    gradAbs = Math.max(...report.entries.map((e) => e.maxAbs));
    if (process.env.PULLBACK_VERBOSE) console.log(`${label}\n${formatGradcheck(report)}`);
  }

  // 2. forward: rule output = plain op output (float32, native), and ≈ the float64 output.
  const [y32, pb32] = rule(x32, ...args);
  const [y64, pb64] = rule(x64, ...args);
  if (options.plain) expectSameTree(y32 as Tree, options.plain(x32, ...args) as Tree, `${label} forward vs plain op`, 0, 0);
  expectSameTree(y32 as Tree, y64 as Tree, `${label} forward float32 vs float64`, 1e-4, 1e-5);

  // 3. pullbacks: float32 (native kernels) vs float64 (reference), same cotangent.
  const [c32, c64] = cotangent(y64 as Tree, seed);
  const d64 = pb64(c64) as Tree;
  const d32 = pb32(c32) as Tree;
  expectCotangentsLike(d64, x64, "float64", label);
  expectCotangentsLike(d32, x32, "float32", label);
  const f32Rel = expectSameTree(d32, d64, `${label} pullback float32 vs float64`, options.rtol ?? 1e-4, options.atol ?? 2e-5);

  const result = { gradRel, gradAbs, f32Rel };
  log.record(name, result);
  return result;
}

/** Entries with |v| in [0.5, 2) and alternating sign: a safe divisor. */
export function awayFromZero(shape: readonly number[], seed: number): Tensor {
  const t = rand(shape, seed, 0.5, 2);
  for (let i = 1; i < t.size; i += 2) t.data[i] = -t.data[i];
  return t;
}
