// The one finite-difference checker of the project: central differences of a scalar function of
// Tensor and number leaves (`centralDifferences`), and a backward checked against them
// (`checkBackward`: a forward with its backward, or any rule `x → [y, pullback]`, over a flat list
// of inputs). gradcheck of @pullback/ad is `checkBackward` over nested inputs and outputs.
// The check projects the output onto a RANDOM cotangent c (never all ones, which hides
// transposition and broadcasting bugs): L(x) = <f(x), c>, and compares dL/dx by central finite
// differences with backward(c). Inputs are cast to float64 first (ops on float64 tensors run on
// the reference backend); the differences are taken in float64 arithmetic.
import { fmtShape } from "./errors.ts";
import { Rng } from "./rng.ts";
import { Tensor } from "./tensor.ts";

/** What finite differences perturb: the elements of a Tensor, or a number. */
export type Differentiable = Tensor | number;

export interface CentralDifferencesOptions {
  /** Step (default 1e-6). */
  eps?: number;
  /**
   * Perturb at most this many elements per Tensor leaf (its first and last element, and others
   * drawn at random from `rng`), for leaves too large to perturb one by one. Default: every element.
   */
  samples?: number;
  /** Draws the sampled elements (default `new Rng(1234)`). */
  rng?: Rng;
  /** The leaves to differentiate with respect to (default: all); the others get no indices. */
  wrt?: (k: number) => boolean;
}

/** d f / d leaf at the flat `indices` of one leaf (a number leaf has index 0). */
export interface Derivatives {
  indices: number[];
  values: Float64Array;
}

/** Every index below `size`, or `samples` of them: the first, the last and random others. */
function elementsToCheck(size: number, samples: number | undefined, rng: Rng): number[] {
  if (samples === undefined || samples >= size) return Array.from({ length: size }, (_, i) => i);
  if (!Number.isInteger(samples) || samples < 2) throw new RangeError(`centralDifferences: samples must be an integer ≥ 2, got ${samples}`);
  const chosen = new Set<number>([0, size - 1]);
  while (chosen.size < samples) chosen.add(rng.int(size));
  return [...chosen].sort((a, b) => a - b);
}

/**
 * Central differences (f(x + eps·e_i) − f(x − eps·e_i)) / 2·eps of the scalar `f(leaves)` for
 * every element i of every leaf (or `samples` of them). Tensor leaves are perturbed in place and
 * restored; a number leaf is perturbed in the array passed to `f` (the same array every call).
 */
export function centralDifferences(
  f: (leaves: Differentiable[]) => number,
  leaves: Differentiable[],
  options: CentralDifferencesOptions = {},
): Derivatives[] {
  const eps = options.eps ?? 1e-6;
  const rng = options.rng ?? new Rng(1234);
  const current = leaves.slice();
  return leaves.map((leaf, k) => {
    if (options.wrt && !options.wrt(k)) return { indices: [], values: new Float64Array(0) };
    const indices = leaf instanceof Tensor ? elementsToCheck(leaf.size, options.samples, rng) : [0];
    const values = new Float64Array(indices.length);
    const set = leaf instanceof Tensor ? (i: number, v: number) => (leaf.data[i] = v) : (_: number, v: number) => (current[k] = v);
    indices.forEach((i, j) => {
      const orig = leaf instanceof Tensor ? leaf.data[i] : leaf;
      set(i, orig + eps);
      const fp = f(current);
      set(i, orig - eps);
      const fm = f(current);
      set(i, orig);
      values[j] = (fp - fm) / (2 * eps);
    });
    return { indices, values };
  });
}

export interface BackwardCheckOptions {
  /** Finite-difference step (default 1e-6 in float64, 1e-2 in float32). */
  eps?: number;
  /** Per element: |analytic − numeric| ≤ atol + rtol·|numeric| (defaults 1e-6 / 1e-4 in float64). */
  atol?: number;
  rtol?: number;
  /** Seed of the random cotangent (and of the sampled elements). */
  seed?: number;
  /** "float64" (default): cast Tensor inputs to float64. "float32": keep them (looser defaults). */
  dtype?: "float64" | "float32";
  /** Check at most this many elements per Tensor input (see `CentralDifferencesOptions.samples`). */
  samples?: number;
  /** Names the check in the error (default: `checkBackward of <the rule's name>`). */
  what?: string;
  /** Return the report instead of throwing when over tolerance. */
  noThrow?: boolean;
}

/** One compared value of a check (an input's gradient, an output's tangent): its worst element and whether all are within tolerance. */
export interface Comparison {
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

/** A comparison of a value of `shape` before any element is folded in. */
export function newComparison(shape: number[]): Comparison {
  return { shape, maxAbs: 0, maxRel: 0, worst: 0, analytic: 0, numeric: 0, ok: true };
}

/**
 * Folds element i into `entry`: analytic `a` against numeric `n`, within tolerance when
 * |a − n| ≤ atol + rtol·|n|. The worst element is the largest error (a NaN, or the first one out
 * of tolerance, wins).
 */
export function compareElement(entry: Comparison, i: number, a: number, n: number, atol: number, rtol: number): void {
  const abs = Math.abs(a - n);
  const rel = abs / Math.max(Math.abs(a), Math.abs(n), 1e-8);
  const bad = !(abs <= atol + rtol * Math.abs(n));
  if (abs > entry.maxAbs || Number.isNaN(abs) || (bad && entry.ok)) Object.assign(entry, { worst: i, analytic: a, numeric: n });
  if (abs > entry.maxAbs || Number.isNaN(abs)) entry.maxAbs = Number.isNaN(abs) ? NaN : abs;
  if (rel > entry.maxRel) entry.maxRel = rel;
  if (bad) entry.ok = false;
}

export interface BackwardCheckEntry extends Comparison {
  /** The input: its index in the input list (`0`, `1`, …), `x` for a single input, or a path given by the caller. */
  input: string;
}

export interface BackwardCheckReport {
  ok: boolean;
  entries: BackwardCheckEntry[];
  eps: number;
  atol: number;
  rtol: number;
  dtype: "float64" | "float32";
}

export class BackwardCheckError extends Error {
  constructor(
    message: string,
    readonly report: BackwardCheckReport,
  ) {
    super(message);
    this.name = "BackwardCheckError";
  }
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? "0" : x.toExponential(2);
}

/** The report as a table: one line per input (errors, worst element, ok or FAIL and why). */
export function formatBackwardCheck(report: BackwardCheckReport): string {
  const head = ["input", "shape", "max abs err", "max rel err", "worst at", "analytic", "numeric", ""];
  const rows = report.entries.map((e) => [
    e.input,
    fmtShape(e.shape),
    fmt(e.maxAbs),
    fmt(e.maxRel),
    String(e.worst),
    fmt(e.analytic),
    fmt(e.numeric),
    e.ok ? "ok" : `FAIL${e.problem ? `: ${e.problem}` : ""}`,
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]) =>
    "  " +
    r
      .map((c, j) => c.padEnd(widths[j]))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

/** `<what> failed (dtype, eps, tolerance):` and the table. */
export function backwardCheckFailure(what: string, report: BackwardCheckReport): string {
  const { dtype, eps, atol, rtol } = report;
  return `${what} failed (${dtype}, eps ${eps}, tolerance |analytic − numeric| ≤ ${atol} + ${rtol}·|numeric|):\n${formatBackwardCheck(report)}`;
}

type Outputs = Differentiable | Differentiable[];
type Gradients = Differentiable | null | undefined | (Differentiable | null | undefined)[];

/**
 * Checks a backward against central finite differences of its forward: `rule(x)` returns
 * `[y, backward]` — y a Tensor, a number or an array of them, `backward(dy)` (dy of y's
 * structure) the gradient of <y, dy> with respect to x in x's structure (null: zero). x is a
 * Tensor or number, or an array of them. The inputs are private copies in the checked dtype,
 * perturbed in place. Returns the report; throws a BackwardCheckError with a per-input table when
 * any input is over tolerance.
 */
export function checkBackward<X extends Differentiable | Differentiable[]>(
  rule: (x: X) => [Outputs, (dy: any) => Gradients],
  x: X,
  options: BackwardCheckOptions = {},
): BackwardCheckReport {
  const dtype = options.dtype ?? "float64";
  const eps = options.eps ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const atol = options.atol ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const rtol = options.rtol ?? (dtype === "float64" ? 1e-4 : 5e-2);
  const rng = new Rng(options.seed ?? 1234);
  const what = options.what ?? `checkBackward${rule.name ? ` of ${rule.name}` : ""}`;
  const single = !Array.isArray(x);
  const leaves = (single ? [x] : x).map((leaf) => (leaf instanceof Tensor ? leaf.clone(dtype) : leaf));
  const call = (xs: Differentiable[]) => rule((single ? xs[0] : xs.slice()) as X);

  const result = call(leaves);
  if (!Array.isArray(result) || result.length !== 2 || typeof result[1] !== "function")
    throw new TypeError(`${what}: the rule must return [output, backward]`);
  const [y, backward] = result;
  const ys = Array.isArray(y) ? y : [y];
  const cotangents = ys.map((o) => (o instanceof Tensor ? Tensor.randn(o.shape, { rng, dtype }) : rng.normal()));
  const dy = Array.isArray(y) ? cotangents : cotangents[0];
  const grads = backward(dy);
  if (!single && !Array.isArray(grads) && grads !== null && grads !== undefined) {
    throw new TypeError(
      `${what}: backward returned ${grads instanceof Tensor ? `a Tensor ${fmtShape(grads.shape)}` : typeof grads}, expected an array of ${leaves.length} gradients (one per input)`,
    );
  }
  const gradients = single ? [grads] : ((grads ?? []) as (Differentiable | null | undefined)[]);
  const loss = (xs: Differentiable[]): number => {
    const out = call(xs)[0];
    const outs = Array.isArray(out) ? out : [out];
    if (outs.length !== ys.length) throw new TypeError(`${what}: the rule's output changed between calls (${ys.length} outputs, now ${outs.length})`);
    let s = 0;
    outs.forEach((o, k) => {
      const c = cotangents[k];
      if (typeof o === "number" || typeof c === "number") s += (o as number) * (c as number);
      else {
        if (o.size !== c.size)
          throw new TypeError(`${what}: output ${k} changed size between calls (${fmtShape(c.shape)}, now ${fmtShape(o.shape)})`);
        for (let i = 0; i < o.size; i++) s += o.data[i] * c.data[i];
      }
    });
    return s;
  };

  const problems = leaves.map((leaf, k) => {
    const g = gradients[k];
    if (g === null || g === undefined) return undefined;
    if (leaf instanceof Tensor)
      return g instanceof Tensor && g.size === leaf.size
        ? undefined
        : `backward returned ${g instanceof Tensor ? `shape ${fmtShape(g.shape)}` : typeof g} for it`;
    return typeof g === "number" || (g instanceof Tensor && g.size === 1) ? undefined : `backward returned ${typeof g} for a number input`;
  });
  const numeric = centralDifferences(loss, leaves, { eps, samples: options.samples, rng, wrt: (k) => problems[k] === undefined });

  const entries = leaves.map((leaf, k): BackwardCheckEntry => {
    const entry: BackwardCheckEntry = { input: single ? "x" : String(k), ...newComparison(leaf instanceof Tensor ? leaf.shape : []) };
    if (problems[k] !== undefined) return { ...entry, ok: false, problem: problems[k] };
    const g = gradients[k];
    const analyticAt = (i: number) => (g instanceof Tensor ? g.data[i] : typeof g === "number" ? g : 0);
    numeric[k].indices.forEach((i, j) => compareElement(entry, i, analyticAt(i), numeric[k].values[j], atol, rtol));
    return entry;
  });

  const report: BackwardCheckReport = { ok: entries.every((e) => e.ok), entries, eps, atol, rtol, dtype };
  if (!report.ok && !options.noThrow) throw new BackwardCheckError(backwardCheckFailure(what, report), report);
  return report;
}
