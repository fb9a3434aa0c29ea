// jvpcheck: a forward rule against central differences. For a tangent v (random unless given),
// jvp(f, x, v)[1] is compared, output leaf by output leaf, with (f(x + ε·v) − f(x − ε·v)) / 2ε.
// Tensor inputs are cast to float64 first (ops on float64 tensors run on the reference backend).
import { Rng, Tensor } from "@pullback/tensor";
import { compareElement, newComparison, type Comparison } from "@pullback/tensor/testing";
import { defineFrule, fruleOf, jvp } from "./forward.ts";
import { grad } from "./grad.ts";
import { hvp } from "./second_order.ts";
import { isPlainObject } from "./tree.ts";

export interface JvpcheckOptions {
  /** One tangent per argument (null: none), in the argument's structure. Default: random for `argnums`. */
  tangents?: unknown[];
  /** The arguments given a random tangent when `tangents` is absent (default: every argument with a Tensor or number in it). */
  argnums?: number[];
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Per element: |jvp − numeric| ≤ atol + rtol·|numeric| (defaults 1e-6 / 1e-4). */
  atol?: number;
  rtol?: number;
  /** Seed of the random tangent. */
  seed?: number;
  /** Return the report instead of throwing when over tolerance. */
  noThrow?: boolean;
}

export interface JvpcheckEntry extends Comparison {
  /** Dotted path of the output leaf (`""` for a single output). */
  output: string;
}

export interface JvpcheckReport {
  ok: boolean;
  entries: JvpcheckEntry[];
  eps: number;
  atol: number;
  rtol: number;
  /** The arguments (in float64) and the tangents checked. */
  args: unknown[];
  tangents: unknown[];
}

export class JvpcheckError extends Error {
  constructor(
    message: string,
    readonly report: JvpcheckReport,
  ) {
    super(message);
    this.name = "JvpcheckError";
  }
}

const isFloat = (t: unknown): t is Tensor => t instanceof Tensor && (t.dtype === "float32" || t.dtype === "float64");

/** Maps the leaves of nested arrays and plain objects (anything else is a leaf: Tensors, numbers, index arrays, flags…). */
function mapLeaves(x: unknown, fn: (leaf: unknown) => unknown): any {
  if (Array.isArray(x)) return x.map((xi) => mapLeaves(xi, fn));
  if (isPlainObject(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapLeaves(v, fn)]));
  return fn(x);
}

/** The Tensor and number leaves with their dotted paths. */
function numericLeaves(x: unknown, path = "", out: { paths: string[]; leaves: (Tensor | number)[] } = { paths: [], leaves: [] }) {
  if (Array.isArray(x)) x.forEach((xi, i) => numericLeaves(xi, path ? `${path}.${i}` : String(i), out));
  else if (isPlainObject(x)) for (const [k, v] of Object.entries(x)) numericLeaves(v, path ? `${path}.${k}` : k, out);
  else if (x instanceof Tensor || typeof x === "number") {
    out.paths.push(path);
    out.leaves.push(x);
  }
  return out;
}

const toFloat64 = (x: unknown): any => mapLeaves(x, (leaf) => (isFloat(leaf) ? leaf.clone("float64") : leaf));

function hasLeaf(x: unknown): boolean {
  return numericLeaves(x).leaves.some((l) => typeof l === "number" || isFloat(l));
}

/** A random (standard normal) tangent for the Tensor and number leaves of x, in their dtypes (null for the other leaves). */
export function randomTangent(x: unknown, rng: Rng): any {
  return mapLeaves(x, (leaf) =>
    isFloat(leaf) ? Tensor.randn(leaf.shape, { rng, dtype: leaf.dtype as "float32" | "float64" }) : typeof leaf === "number" ? rng.normal() : null,
  );
}

/** x + s·t over a structure (null tangents and non-numeric leaves leave x as it is). */
function shifted(x: unknown, t: unknown, s: number): unknown {
  if (t === null || t === undefined) return x;
  if (x instanceof Tensor) {
    if (!(t instanceof Tensor) || t.size !== x.size)
      throw new TypeError(
        `jvpcheck: a tangent of shape ${t instanceof Tensor ? `(${t.shape.join(", ")})` : typeof t} for a Tensor of shape (${x.shape.join(", ")})`,
      );
    const out = x.clone("float64");
    for (let i = 0; i < out.size; i++) out.data[i] += s * t.data[i];
    return out;
  }
  if (typeof x === "number") return x + s * (t as number);
  if (Array.isArray(x)) return x.map((xi, i) => shifted(xi, (t as any)[i], s));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) out[k] = shifted((x as any)[k], (t as any)[k], s);
    return out;
  }
  return x;
}

function leafValues(leaf: unknown): Float64Array | number[] {
  if (leaf instanceof Tensor) return Array.from(leaf.data as ArrayLike<number>);
  return [leaf as number];
}

/**
 * Checks f's forward rule: jvp(f, args, v) against central differences of f along v, for every
 * Tensor or number leaf of the output. Returns the report; throws a JvpcheckError with a table
 * when an output is over tolerance.
 */
export function jvpcheck(f: (...args: any[]) => any, args: unknown[], options: JvpcheckOptions = {}): JvpcheckReport {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-4;
  const rng = new Rng(options.seed ?? 4321);
  const xs = args.map(toFloat64);
  let tangents: unknown[];
  if (options.tangents) tangents = options.tangents.map(toFloat64);
  else {
    const argnums = options.argnums ?? xs.map((x, i) => (hasLeaf(x) ? i : -1)).filter((i) => i >= 0);
    tangents = xs.map((x, i) => (argnums.includes(i) ? randomTangent(x, rng) : null));
  }
  const [y, ty] = jvp(f, xs, tangents);
  const plus = f(...xs.map((x, i) => shifted(x, tangents[i], eps)));
  const minus = f(...xs.map((x, i) => shifted(x, tangents[i], -eps)));
  const ys = numericLeaves(y),
    ts = numericLeaves(ty),
    ps = numericLeaves(plus),
    ms = numericLeaves(minus);
  const entries: JvpcheckEntry[] = ys.paths.map((path, k) => {
    const leaf = ys.leaves[k];
    const entry: JvpcheckEntry = { output: path, ...newComparison(leaf instanceof Tensor ? leaf.shape : []) };
    const t = ts.leaves[ts.paths.indexOf(path)];
    const a = t === undefined ? [] : leafValues(t);
    const p = leafValues(ps.leaves[k]),
      m = leafValues(ms.leaves[k]);
    if (a.length !== p.length) {
      entry.ok = false;
      entry.problem = `the tangent has ${a.length} values for an output of ${p.length}`;
      return entry;
    }
    for (let i = 0; i < a.length; i++) compareElement(entry, i, a[i], (p[i] - m[i]) / (2 * eps), atol, rtol);
    return entry;
  });
  const report: JvpcheckReport = { ok: entries.every((e) => e.ok), entries, eps, atol, rtol, args: xs, tangents };
  if (!report.ok && !options.noThrow) {
    const rows = entries.map(
      (e) =>
        `  ${e.output || "y"} (${e.shape.join(", ")}): max abs err ${e.maxAbs.toExponential(2)}, rel ${e.maxRel.toExponential(2)} at ${e.worst} (jvp ${e.analytic}, numeric ${e.numeric}) ${e.ok ? "ok" : `FAIL${e.problem ? `: ${e.problem}` : ""}`}`,
    );
    throw new JvpcheckError(`jvpcheck failed for ${f.name || "f"} (eps ${eps}, atol ${atol}, rtol ${rtol}):\n${rows.join("\n")}`, report);
  }
  return report;
}

/**
 * Checks second derivatives: H·v — jvp of grad(f) over every argument, forward over reverse —
 * against central differences of ∇f along v (jvpcheck of grad(f), float64), and hvp(f, args, v)
 * against that jvp (the same numbers by either entry point). Options as jvpcheck's; f is scalar.
 */
export function hvpcheck(f: (...args: any[]) => any, args: unknown[], options: JvpcheckOptions = {}): JvpcheckReport {
  const fName = f.name || "f";
  const gradOf: (...xs: any[]) => any = grad(f, { argnums: args.map((_, i) => i) });
  // grad(f) under the name jvpcheck's messages show (`grad(loss)`), with grad(f)'s forward rule
  const name = `grad(${fName})`;
  const gradF = { [name]: (...xs: any[]) => gradOf(...xs) }[name];
  defineFrule(gradF, (xs, ts) => fruleOf(gradOf)(xs, ts));
  const report = jvpcheck(gradF, args, options);
  const [, viaJvp] = jvp(gradOf, report.args as any[], report.tangents);
  const viaHvp = hvp(f, report.args as any[], report.tangents);
  const a = numericLeaves(viaJvp).leaves.flatMap((l) => Array.from(leafValues(l)));
  const b = numericLeaves(viaHvp).leaves.flatMap((l) => Array.from(leafValues(l)));
  // The same computation by two entry points (the same arguments, tangents and operations in
  // the same order), so they must agree to rounding, not to a finite-difference tolerance.
  const scale = Math.max(1, ...a.map(Math.abs));
  const differ = a.length !== b.length || a.some((x, i) => !(Math.abs(x - b[i]) <= 1e-12 * scale));
  if (differ) throw new JvpcheckError(`hvpcheck: hvp(${fName}, …) and jvp(grad(${fName}), …) disagree`, report);
  return report;
}
