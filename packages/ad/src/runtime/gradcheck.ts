// gradcheck: the pullback of an rrule against central finite differences — `checkBackward` of
// @pullback/tensor/testing (the one finite-difference checker: a random cotangent c, never all
// ones; L(x) = <f(x), c>; dL/dx by central differences against pullback(c); inputs cast to
// float64) over nested inputs and outputs: the trees are flattened to their Tensor and number
// leaves, and the report names each input leaf by its dotted path.
import {
  backwardCheckFailure,
  checkBackward,
  formatBackwardCheck,
  type BackwardCheckEntry,
  type BackwardCheckOptions,
  type BackwardCheckReport,
  type Differentiable,
} from "@pullback/tensor/testing";
import { Tensor } from "@pullback/tensor";
import { isPlainObject, treeFlatten, treeMap, type Tree } from "./tree.ts";
import { pullback, type RRule } from "./grad.ts";

export interface GradcheckOptions extends Omit<BackwardCheckOptions, "what"> {
  /** Non-differentiated arguments passed after x. */
  args?: unknown[];
}

export type GradcheckEntry = BackwardCheckEntry;
export type GradcheckReport = BackwardCheckReport;

export class GradcheckError extends Error {
  constructor(
    message: string,
    readonly report: GradcheckReport,
  ) {
    super(message);
    this.name = "GradcheckError";
  }
}

/**
 * Checks `f(x, ...args) → [y, pullback]`: for every Tensor or number leaf of x, central finite
 * differences of <f(x), c> against pullback(c) for a random cotangent c. Returns the report;
 * throws a GradcheckError with a per-input table when any input is over tolerance.
 */
export function gradcheck(f: RRule, x: Tree, options: GradcheckOptions = {}): GradcheckReport {
  const { args = [], noThrow, ...check } = options;
  const what = `gradcheck${f.name ? ` of ${f.name}` : ""}`;
  const { paths } = treeFlatten(x);
  const position = new Map(paths.map((p, k) => [p, k]));
  const rebuild = (leaves: Differentiable[]): Tree => treeMap(x, (leaf, path) => (position.has(path) ? leaves[position.get(path)!] : leaf));
  // The rule over the flat leaves: outputs flattened, the cotangent rebuilt in the output's structure, the gradient flattened by input path.
  const flat = (leaves: Differentiable[]): [Differentiable[], (dy: Differentiable[]) => (Differentiable | null)[]] => {
    const result = f(rebuild(leaves), ...args);
    if (!Array.isArray(result) || result.length !== 2 || typeof result[1] !== "function")
      throw new TypeError(`${what}: f must return [output, pullback]`);
    const [y, back] = result as [Tree, (dy: Tree) => unknown];
    return [
      treeFlatten(y).leaves,
      (dy) => {
        let k = 0;
        const g = back(treeMap(y, (leaf) => (leaf === null || leaf === undefined ? leaf : dy[k++])));
        if (paths.length === 1 && paths[0] === "") return [g as Differentiable];
        const byPath = new Map<string, unknown>();
        if (g !== null && g !== undefined) treeMap(g as Tree, (leaf, path) => (byPath.set(path, leaf), leaf));
        return paths.map((p) => (byPath.get(p) ?? null) as Differentiable | null);
      },
    ];
  };
  const report = checkBackward(flat, treeFlatten(x).leaves, { ...check, what, noThrow: true });
  report.entries.forEach((e, k) => (e.input = paths[k] === "" ? "x" : paths[k]));
  if (!report.ok && !noThrow) throw new GradcheckError(backwardCheckFailure(what, report), report);
  return report;
}

export function formatGradcheck(report: GradcheckReport): string {
  return formatBackwardCheck(report);
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
  if (isPlainObject(x)) {
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
  if (isPlainObject(original))
    return Object.fromEntries(Object.keys(original).map((k) => [k, withPart(original[k], (part as Record<string, Tree>)[k])]));
  return part;
}

/** The cotangent restricted to the differentiable part's structure (null where it has none). */
function restrictTo(d: unknown, part: Tree): Tree {
  if (part === null || part === undefined) return null;
  if (Array.isArray(part)) return part.map((p, i) => restrictTo(d === null || d === undefined ? null : (d as unknown[])[i], p));
  if (isPlainObject(part))
    return Object.fromEntries(
      Object.keys(part).map((k) => [
        k,
        restrictTo(d === null || d === undefined ? null : (d as Record<string, unknown>)[k], (part as Record<string, Tree>)[k]),
      ]),
    );
  return (d ?? null) as Tree;
}

/**
 * gradcheck for a function with a rule (implicit mode): `f(...args)` through `pullback`, checked
 * with respect to the arguments at `argnums` (default: every argument with a Tensor or number in
 * it). Inside a checked argument, leaves that are not differentiable — indices, flags, strings —
 * are passed through as they are; other arguments are constants.
 */
export function gradcheckFunction(
  f: (...args: any[]) => any,
  args: unknown[],
  options: GradcheckOptions & { argnums?: number[] } = {},
): GradcheckReport {
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
    return [
      y,
      (dy: unknown) => {
        const ds = back(dy);
        return argnums.map((a, j) => restrictTo(ds[a], parts[j])) as Tree;
      },
    ];
  };
  Object.defineProperty(g, "name", { value: f.name || "f" });
  return gradcheck(g as RRule, parts as Tree, { ...options, args: [] });
}
