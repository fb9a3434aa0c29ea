// The structural rrules of the convention: fork (use a value twice), detach (consume with zero
// gradient), attach (bring a constant into the tracked set). Each returns [output, pullback].
import { treeAdd, treeZerosLike, type Tree } from "./tree.ts";

/**
 * Copies of `x` (`n`, default 2) for linear use; the pullback sums their cotangents.
 * `const [[x1, x2], __] = fork(x)`
 */
export function fork<T>(x: T, n = 2): [T[], (dxs: Tree[]) => Tree] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`fork: the number of copies must be a positive integer, got ${n}`);
  const copies = Array.from({ length: n }, () => x);
  return [
    copies,
    function fork_pullback(dxs: Tree[]): Tree {
      if (!Array.isArray(dxs)) throw new TypeError("fork_pullback: expected an array with one cotangent per copy");
      let sum: Tree = undefined;
      for (const d of dxs) sum = sum === undefined || sum === null ? d : d === undefined || d === null ? sum : treeAdd(sum, d);
      return sum;
    },
  ];
}

/** Consumes `x` with a zero gradient: the output is an untracked value; the pullback returns zeros like x. */
export function detach<T>(x: T): [T, (dy?: unknown) => Tree] {
  return [
    x,
    function detach_pullback(): Tree {
      return treeZerosLike(x as Tree);
    },
  ];
}

/** Brings a constant into the tracked set; its cotangent is dropped. */
export function attach<T>(value: T): [T, (dy: unknown) => undefined] {
  return [
    value,
    function attach_pullback(): undefined {
      return undefined;
    },
  ];
}

/**
 * Takes the first element off a tracked array: `const [[head, rest], __] = splitFirst(list)`.
 * Walks a list of per-layer parameters inside a loop; the pullback rebuilds the array of cotangents.
 */
export function splitFirst<T>(list: readonly T[]): [[T, T[]], (d: [Tree, Tree[]]) => Tree[]] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new RangeError(`splitFirst: expected a non-empty array, got ${Array.isArray(list) ? "an empty array" : typeof list}`);
  }
  return [
    [list[0], list.slice(1)],
    function splitFirst_pullback([dhead, drest]: [Tree, Tree[]]): Tree[] {
      return [dhead, ...(drest ?? [])];
    },
  ];
}

