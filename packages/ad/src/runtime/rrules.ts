// The structural rrules of explicit mode: fork (use a value twice), detach (consume with zero
// gradient), attach (bring a constant into the tracked set), splitFirst (head and rest of a
// tracked array). Each returns [output, pullback]; a zero cotangent is null, as everywhere.
import { withoutTangents } from "@pullback/tensor/dual";
import { acc, type Tree } from "./tree.ts";

/**
 * Copies of `x` (`n`, default 2) for linear use; the pullback sums their cotangents (null when
 * all are null).
 * `const [[x1, x2], __] = fork(x)`
 */
export function fork<T>(x: T, n = 2): [T[], (dxs: Tree[] | null) => Tree] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`fork: the number of copies must be a positive integer, got ${n}`);
  const copies = Array.from({ length: n }, () => x);
  return [
    copies,
    function fork_pullback(dxs: Tree[] | null): Tree {
      if (dxs === null) return null;
      if (!Array.isArray(dxs)) throw new TypeError("fork_pullback: expected an array with one cotangent per copy");
      let sum: Tree = null;
      for (const d of dxs) sum = acc(sum, d);
      return sum;
    },
  ];
}

/**
 * Consumes `x` with a zero gradient: the output is an untracked value; the pullback returns null.
 * Its tangent is zero too (as stopGradient's): while a second derivative is taken, the value comes
 * without its tangent.
 */
export function detach<T>(x: T): [T, (dy?: unknown) => null] {
  return [
    withoutTangents(x),
    function detach_pullback(): null {
      return null;
    },
  ];
}

/** Brings a constant into the tracked set; its cotangent is dropped (the pullback returns null). */
export function attach<T>(value: T): [T, (dy: unknown) => null] {
  return [
    value,
    function attach_pullback(): null {
      return null;
    },
  ];
}

/**
 * Takes the first element off a tracked array: `const [[head, rest], __] = splitFirst(list)`.
 * Walks a list of per-layer parameters inside a loop; the pullback rebuilds the array of
 * cotangents (null entries where a part's cotangent is null).
 */
export function splitFirst<T>(list: readonly T[]): [[T, T[]], (d: [Tree, Tree[] | null] | null) => Tree[] | null] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new RangeError(`splitFirst: expected a non-empty array, got ${Array.isArray(list) ? "an empty array" : typeof list}`);
  }
  return [
    [list[0], list.slice(1)],
    function splitFirst_pullback(d: [Tree, Tree[] | null] | null): Tree[] | null {
      if (d === null || (d[0] == null && d[1] == null)) return null;
      const [dhead, drest] = d;
      return [dhead ?? null, ...(drest ?? new Array<null>(list.length - 1).fill(null))];
    },
  ];
}
