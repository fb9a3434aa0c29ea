// gradcheck: the pullback of an rrule against central finite differences. The check projects the
// output onto a RANDOM cotangent c (never all ones, which hides transposition and broadcasting
// bugs): L(x) = <f(x), c>, and compares dL/dx by finite differences with pullback(c).
// Inputs are cast to float64 first (ops on float64 tensors run on the reference backend).
import { Rng, Tensor } from "@pullback/tensor";
import { treeFlatten, treeMap, type Leaf, type Tree } from "./tree.ts";
import { pullback, type RRule } from "./grad.ts";

export interface GradcheckOptions {
  /** Non-differentiated arguments passed after x. */
  args?: unknown[];
  /** Finite-difference step (default 1e-6 in float64, 1e-2 in float32). */
  eps?: number;
  /** Per element: |analytic − numeric| ≤ atol + rtol·|numeric| (defaults 1e-6 / 1e-4 in float64). */
  atol?: number;
  rtol?: number;
  /** Seed of the random cotangent. */
  seed?: number;
  /** "float64" (default): cast Tensor inputs to float64. "float32": keep them (looser defaults). */
  dtype?: "float64" | "float32";
  /** Return the report instead of throwing when over tolerance. */
  noThrow?: boolean;
  /**
   * Check at most this many elements per Tensor input (its first and last element, and others
   * drawn at random), for inputs too large to perturb one by one — a model's parameters.
   * Default: every element.
   */
  samples?: number;
}

export interface GradcheckEntry {
  /** Dotted path of the input leaf (`0`, `1.w`, … or `x` for a single input). */
  input: string;
  shape: number[];
  maxAbs: number;
  maxRel: number;
  /** Flat index of the worst element, with its analytic and numeric values. */
  worst: number;
  analytic: number;
  numeric: number;
  ok: boolean;
  problem?: string;
}

export interface GradcheckReport {
  ok: boolean;
  entries: GradcheckEntry[];
  eps: number;
  atol: number;
  rtol: number;
  dtype: "float64" | "float32";
}

export class GradcheckError extends Error {
  constructor(
    message: string,
    readonly report: GradcheckReport,
  ) {
    super(message);
    this.name = "GradcheckError";
  }
}

function randomLike(tree: Tree, rng: Rng, dtype: "float64" | "float32"): Tree {
  return treeMap(tree, (leaf) => {
    if (leaf instanceof Tensor) {
      const t = Tensor.zeros(leaf.shape, dtype);
      for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
      return t;
    }
    if (typeof leaf === "number") return rng.normal();
    return leaf;
  });
}

function dotTrees(y: Tree, c: Tree): number {
  const ys = treeFlatten(y), cs = treeFlatten(c);
  if (ys.leaves.length !== cs.leaves.length) throw new TypeError(`gradcheck: the output changed structure between calls (${cs.leaves.length} leaves, now ${ys.leaves.length})`);
  let s = 0;
  ys.leaves.forEach((leaf, k) => {
    const cl = cs.leaves[k];
    if (typeof leaf === "number") s += leaf * (cl as number);
    else {
      const ct = cl as Tensor;
      if (leaf.size !== ct.size) throw new TypeError(`gradcheck: output ${ys.paths[k]} changed size between calls`);
      for (let i = 0; i < leaf.size; i++) s += leaf.data[i] * ct.data[i];
    }
  });
  return s;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? "0" : x.toExponential(2);
}

function table(report: GradcheckReport): string {
  const head = ["input", "shape", "max abs err", "max rel err", "worst at", "analytic", "numeric", ""];
  const rows = report.entries.map((e) => [
    e.input,
    `(${e.shape.join(", ")})`,
    fmt(e.maxAbs),
    fmt(e.maxRel),
    String(e.worst),
    fmt(e.analytic),
    fmt(e.numeric),
    e.ok ? "ok" : `FAIL${e.problem ? `: ${e.problem}` : ""}`,
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]) => "  " + r.map((c, j) => c.padEnd(widths[j])).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

/** Every index below `size`, or `samples` of them: the first, the last and random others. */
function elementsToCheck(size: number, samples: number | undefined, rng: Rng): number[] {
  if (samples === undefined || samples >= size) return Array.from({ length: size }, (_, i) => i);
  if (!Number.isInteger(samples) || samples < 2) throw new RangeError(`gradcheck: samples must be an integer ≥ 2, got ${samples}`);
  const chosen = new Set<number>([0, size - 1]);
  while (chosen.size < samples) chosen.add(rng.int(size));
  return [...chosen].sort((a, b) => a - b);
}

/**
 * Checks `f(x, ...args) → [y, pullback]`: for every Tensor or number leaf of x, central finite
 * differences of <f(x), c> against pullback(c) for a random cotangent c. Returns the report;
 * throws a GradcheckError with a per-input table when any input is over tolerance.
 */
export function gradcheck(f: RRule, x: Tree, options: GradcheckOptions = {}): GradcheckReport {
  const dtype = options.dtype ?? "float64";
  const eps = options.eps ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const atol = options.atol ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const rtol = options.rtol ?? (dtype === "float64" ? 1e-4 : 5e-2);
  const args = options.args ?? [];
  const rng = new Rng(options.seed ?? 1234);

  // Private copies (perturbed in place below), in the checked dtype.
  const xs = treeMap(x, (leaf) => (leaf instanceof Tensor ? leaf.clone(dtype) : leaf));
  const result = f(xs, ...args);
  if (!Array.isArray(result) || result.length !== 2 || typeof result[1] !== "function") {
    throw new TypeError("gradcheck: f must return [output, pullback]");
  }
  const [y, pullback] = result;
  const c = randomLike(y as Tree, rng, dtype);
  const analytic = pullback(c) as Tree;

  const { paths, leaves } = treeFlatten(xs);
  const analyticByPath = new Map<string, unknown>();
  if (leaves.length === 1 && paths[0] === "") analyticByPath.set("", analytic);
  else {
    treeMap(analytic, (leaf, path) => (analyticByPath.set(path, leaf), leaf));
  }

  // Number leaves cannot be perturbed in place: rebuild the tree around a box.
  const numberBoxes = new Map<string, { value: number }>();
  paths.forEach((p, k) => typeof leaves[k] === "number" && numberBoxes.set(p, { value: leaves[k] as number }));
  const current = (): Tree => (numberBoxes.size === 0 ? xs : treeMap(xs, (leaf, path) => (numberBoxes.has(path) ? numberBoxes.get(path)!.value : leaf)));
  const loss = (): number => dotTrees((f(current(), ...args) as [Tree, unknown])[0], c);

  const entries: GradcheckEntry[] = paths.map((path, k) => {
    const leaf = leaves[k] as Leaf;
    const name = path === "" ? "x" : path;
    const shape = leaf instanceof Tensor ? leaf.shape : [];
    const entry: GradcheckEntry = { input: name, shape, maxAbs: 0, maxRel: 0, worst: 0, analytic: 0, numeric: 0, ok: true };
    let g = analyticByPath.get(path);
    if (g === undefined || g === null) g = leaf instanceof Tensor ? Tensor.zeros(leaf.shape, dtype) : 0;
    const size = leaf instanceof Tensor ? leaf.size : 1;
    if (leaf instanceof Tensor && !(g instanceof Tensor && g.size === size)) {
      entry.ok = false;
      entry.problem = `pullback returned ${g instanceof Tensor ? `shape (${g.shape.join(", ")})` : typeof g} for it`;
      return entry;
    }
    if (typeof leaf === "number" && !(typeof g === "number" || (g instanceof Tensor && g.size === 1))) {
      entry.ok = false;
      entry.problem = `pullback returned ${typeof g} for a number input`;
      return entry;
    }
    const gAt = (i: number) => (g instanceof Tensor ? g.data[i] : (g as number));
    for (const i of elementsToCheck(size, options.samples, rng)) {
      let orig: number;
      let set: (v: number) => void;
      if (leaf instanceof Tensor) {
        orig = leaf.data[i];
        set = (v) => (leaf.data[i] = v);
      } else {
        const box = numberBoxes.get(path)!;
        orig = box.value;
        set = (v) => (box.value = v);
      }
      set(orig + eps);
      const lp = loss();
      set(orig - eps);
      const lm = loss();
      set(orig);
      const numeric = (lp - lm) / (2 * eps);
      const a = gAt(i);
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(Math.abs(a), Math.abs(numeric), 1e-8);
      const bad = !(abs <= atol + rtol * Math.abs(numeric));
      if (abs > entry.maxAbs || Number.isNaN(abs) || (bad && entry.ok)) {
        entry.worst = i;
        entry.analytic = a;
        entry.numeric = numeric;
      }
      if (abs > entry.maxAbs || Number.isNaN(abs)) entry.maxAbs = Number.isNaN(abs) ? NaN : abs;
      if (rel > entry.maxRel) entry.maxRel = rel;
      if (bad) entry.ok = false;
    }
    return entry;
  });

  const report: GradcheckReport = { ok: entries.every((e) => e.ok), entries, eps, atol, rtol, dtype };
  if (!report.ok && !options.noThrow) {
    const name = f.name ? ` of ${f.name}` : "";
    throw new GradcheckError(
      `gradcheck${name} failed (${dtype}, eps ${eps}, tolerance |analytic − numeric| ≤ ${atol} + ${rtol}·|numeric|):\n${table(report)}`,
      report,
    );
  }
  return report;
}

export function formatGradcheck(report: GradcheckReport): string {
  return table(report);
}

function isPlain(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
}

/**
 * The differentiable part of an argument: Tensor and number leaves kept, every other leaf
 * (integer arrays, strings, booleans, functions) replaced by null — gradcheck perturbs the former
 * and skips null leaves. `undefined` when nothing in it is differentiable.
 */
function differentiablePart(x: unknown): Tree | undefined {
  if (x instanceof Tensor || typeof x === "number") return x as Tree;
  if (Array.isArray(x)) {
    const parts = x.map(differentiablePart);
    return parts.some((p) => p !== undefined) ? parts.map((p) => p ?? null) : undefined;
  }
  if (isPlain(x)) {
    const out: Record<string, Tree> = {};
    let any = false;
    for (const k of Object.keys(x)) {
      const p = differentiablePart(x[k]);
      out[k] = p ?? null;
      any ||= p !== undefined;
    }
    return any ? out : undefined;
  }
  return undefined;
}

/** The argument rebuilt from its (perturbed) differentiable part and the original's other leaves. */
function withPart(original: unknown, part: Tree): unknown {
  if (part === null || part === undefined) return original;
  if (Array.isArray(original)) return original.map((o, i) => withPart(o, (part as Tree[])[i]));
  if (isPlain(original)) return Object.fromEntries(Object.keys(original).map((k) => [k, withPart(original[k], (part as Record<string, Tree>)[k])]));
  return part;
}

/** The cotangent restricted to the differentiable part's structure (null where it has none). */
function restrictTo(d: unknown, part: Tree): Tree {
  if (part === null || part === undefined) return null;
  if (Array.isArray(part)) return part.map((p, i) => restrictTo(d === null || d === undefined ? null : (d as unknown[])[i], p));
  if (isPlain(part)) return Object.fromEntries(Object.keys(part).map((k) => [k, restrictTo(d === null || d === undefined ? null : (d as Record<string, unknown>)[k], (part as Record<string, Tree>)[k])]));
  return (d ?? null) as Tree;
}

/**
 * gradcheck for a function with a rule (implicit mode): `f(...args)` through `pullback`, checked
 * with respect to the arguments at `argnums` (default: every argument with a Tensor or number in
 * it). Inside a checked argument, leaves that are not differentiable — indices, flags, strings —
 * are passed through as they are; other arguments are constants.
 */
export function gradcheckFunction(f: (...args: any[]) => any, args: unknown[], options: GradcheckOptions & { argnums?: number[] } = {}): GradcheckReport {
  const argnums = options.argnums ?? args.map((a, i) => (differentiablePart(a) !== undefined ? i : -1)).filter((i) => i >= 0);
  if (argnums.length === 0) throw new TypeError("gradcheckFunction: no differentiable argument to check");
  const parts = argnums.map((a) => {
    const part = differentiablePart(args[a]);
    if (part === undefined) throw new TypeError(`gradcheckFunction: argument ${a} has no Tensor or number to check`);
    return part;
  });
  const g = function checked(xs: Tree[]): [unknown, (dy: unknown) => Tree] {
    const full = args.slice();
    argnums.forEach((a, j) => (full[a] = withPart(args[a], xs[j])));
    const [y, back] = pullback(f, ...full);
    return [y, (dy: unknown) => { const ds = back(dy); return argnums.map((a, j) => restrictTo(ds[a], parts[j])) as Tree; }];
  };
  Object.defineProperty(g, "name", { value: f.name || "f" });
  return gradcheck(g as RRule, parts as Tree, { ...options, args: [] });
}
