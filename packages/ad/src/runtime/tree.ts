// Trees: nested arrays and plain objects whose leaves are Tensors or numbers (parameters,
// gradients, optimizer state). Dotted paths name leaves: `blocks.0.attn.wqkv`.
import * as tensorLib from "@pullback/tensor";
import { Tensor } from "@pullback/tensor";
import { DualNumber } from "@pullback/tensor/dual";
import { dualNumbers } from "./number_frules.ts";

export type Leaf = Tensor | number;
export type Tree = Leaf | null | undefined | Tree[] | { [key: string]: Tree };

/** An object literal (or Object.create(null)): the containers a cotangent tree is made of. */
export function isPlainObject(x: unknown): x is Record<string, Tree> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function isLeaf(x: unknown): x is Leaf {
  return x instanceof Tensor || typeof x === "number";
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x instanceof Tensor) return `a Tensor (${x.shape.join(", ")})`;
  if (typeof x === "object") return `${(x as object).constructor?.name ?? "an object"}`;
  return typeof x;
}

function join(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

/** Maps every leaf (null/undefined leaves are passed to `fn` too). */
export function treeMap(tree: Tree, fn: (leaf: any, path: string) => Tree, path = ""): Tree {
  if (Array.isArray(tree)) return tree.map((t, i) => treeMap(t, fn, join(path, i)));
  if (isPlainObject(tree)) {
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(tree)) out[k] = treeMap(tree[k], fn, join(path, k));
    return out;
  }
  if (tree === null || tree === undefined || isLeaf(tree)) return fn(tree, path);
  throw new TypeError(`treeMap: unsupported node at ${path || "the root"}: ${describe(tree)} (leaves are Tensors or numbers)`);
}

/**
 * Maps several trees of the same structure together: `fn(leaves, path)` with one leaf from each.
 * Throws naming the path where the structures differ.
 */
export function treeZip(trees: Tree[], fn: (leaves: any[], path: string) => Tree, path = ""): Tree {
  const [first] = trees;
  if (Array.isArray(first)) {
    for (const t of trees) {
      if (!Array.isArray(t) || t.length !== first.length)
        throw new TypeError(`treeZip: structures differ at ${path || "the root"}: ${describe(first)} vs ${describe(t)}`);
    }
    return first.map((_, i) =>
      treeZip(
        trees.map((t) => (t as Tree[])[i]),
        fn,
        join(path, i),
      ),
    );
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    for (const t of trees) {
      if (!isPlainObject(t) || Object.keys(t).length !== keys.length || keys.some((k) => !(k in t))) {
        throw new TypeError(
          `treeZip: structures differ at ${path || "the root"}: keys {${keys.join(", ")}} vs ${isPlainObject(t) ? `{${Object.keys(t).join(", ")}}` : describe(t)}`,
        );
      }
    }
    const out: Record<string, Tree> = {};
    for (const k of keys)
      out[k] = treeZip(
        trees.map((t) => (t as Record<string, Tree>)[k]),
        fn,
        join(path, k),
      );
    return out;
  }
  return fn(trees, path);
}

// `add` of @pullback/tensor when it exists (looked up by a computed key, so bundlers do not warn
// while it does not); until then cotangents are accumulated with a plain loop below.
const ADD_EXPORT = ["a", "d", "d"].join("");
const nativeAdd = (tensorLib as Record<string, unknown>)[ADD_EXPORT] as ((a: Tensor, b: Tensor) => Tensor) | undefined;

/** Element `key` of a cotangent or tangent (null when the tree or the element is absent). */
export function at(t: any, key: string | number): any {
  if (t === null || t === undefined) return null;
  const v = t[key];
  return v === undefined ? null : v;
}

/** A number, or a number carrying a tangent (second order). */
export const isNumber = (x: unknown): x is number | DualNumber => typeof x === "number" || x instanceof DualNumber;

/**
 * a + b for cotangents: null/undefined count as zero; numbers add; Tensors of the same shape add
 * elementwise (through `add` of @pullback/tensor when it exists, else a plain loop over `.data`).
 */
export function addLeaves(a: any, b: any, path = ""): any {
  if (a === null || a === undefined) return b;
  if (b === null || b === undefined) return a;
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (isNumber(a) && isNumber(b)) return dualNumbers.add(a, b); // a DualNumber: its tangent is summed too
  if (a instanceof Tensor && b instanceof Tensor) {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new TypeError(`treeAdd: shapes differ at ${path || "the root"}: (${a.shape.join(", ")}) vs (${b.shape.join(", ")})`);
    }
    if (nativeAdd && a.dtype === b.dtype) return nativeAdd(a, b);
    const out = Tensor.zeros(a.shape, a.dtype === "float64" || b.dtype === "float64" ? "float64" : "float32");
    const o = out.data,
      x = a.data,
      y = b.data;
    for (let i = 0; i < o.length; i++) o[i] = x[i] + y[i];
    return out;
  }
  if (a instanceof Tensor && isNumber(b) && a.size === 1) return addLeaves(a, Tensor.full(a.shape, b as number, a.dtype), path);
  if (b instanceof Tensor && isNumber(a) && b.size === 1) return addLeaves(Tensor.full(b.shape, a as number, b.dtype), b, path);
  throw new TypeError(`treeAdd: cannot add ${describe(a)} and ${describe(b)} at ${path || "the root"}`);
}

/** Leafwise a + b (null/undefined leaves or subtrees count as zero). */
export function treeAdd(a: Tree, b: Tree): Tree {
  const rec = (x: Tree, y: Tree, path: string): Tree => {
    if (x === null || x === undefined) return y;
    if (y === null || y === undefined) return x;
    if (Array.isArray(x) || isPlainObject(x)) return treeZip([x, y], ([p, q], sub) => addLeaves(p, q, sub), path);
    return addLeaves(x, y, path);
  };
  return rec(a, b, "");
}

/** Zeros of the same structure, shapes and dtypes (numbers → 0). */
export function treeZerosLike(tree: Tree): Tree {
  return treeMap(tree, (leaf) => (leaf instanceof Tensor ? Tensor.zeros(leaf.shape, leaf.dtype) : typeof leaf === "number" ? 0 : leaf));
}

/** The leaves in depth-first order with their dotted paths (null/undefined leaves are skipped). */
export function treeFlatten(tree: Tree): { paths: string[]; leaves: Leaf[] } {
  const paths: string[] = [];
  const leaves: Leaf[] = [];
  treeMap(tree, (leaf, path) => {
    if (leaf !== null && leaf !== undefined) {
      paths.push(path);
      leaves.push(leaf);
    }
    return leaf;
  });
  return { paths, leaves };
}

/** `{ "blocks.0.attn.wqkv": Tensor, … }` (the safetensors naming). */
export function flattenTree(tree: Tree): Record<string, Leaf> {
  const { paths, leaves } = treeFlatten(tree);
  const out: Record<string, Leaf> = {};
  paths.forEach((p, i) => (out[p] = leaves[i]));
  return out;
}

/**
 * Inverse of `flattenTree`: dotted paths back to nested objects; a level whose keys are exactly
 * 0..n-1 becomes an array.
 */
export function unflattenTree(flat: Record<string, Leaf>): Tree {
  const root: Record<string, any> = {};
  for (const [path, leaf] of Object.entries(flat)) {
    const parts = path.split(".");
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        if (part in node) throw new TypeError(`unflattenTree: ${path} is given twice or is also a prefix of another path`);
        node[part] = leaf;
      } else {
        if (!(part in node)) node[part] = {};
        else if (isLeaf(node[part])) throw new TypeError(`unflattenTree: ${parts.slice(0, i + 1).join(".")} is both a leaf and a prefix of ${path}`);
        node = node[part];
      }
    });
  }
  const arrays = (node: any): Tree => {
    if (!isPlainObject(node)) return node as Tree;
    const keys = Object.keys(node);
    const isArray = keys.length > 0 && keys.every((k, i) => k === String(i));
    if (isArray) return keys.map((k) => arrays(node[k]));
    const out: Record<string, Tree> = {};
    for (const k of keys) out[k] = arrays(node[k]);
    return out;
  };
  return arrays(root);
}

/** Rebuilds a tree shaped like `like` from leaves in `treeFlatten` order. */
export function treeUnflatten(like: Tree, leaves: Leaf[]): Tree {
  let i = 0;
  const out = treeMap(like, (leaf) => (leaf === null || leaf === undefined ? leaf : leaves[i++]));
  if (i !== leaves.length) throw new TypeError(`treeUnflatten: the tree has ${i} leaves, got ${leaves.length}`);
  return out;
}

/**
 * The cotangent `d` completed to the structure of the primal `x`: untouched Tensor leaves become
 * zeros of their shape, numbers 0; leaves that are not differentiable (integer arrays, strings,
 * booleans, functions) get null. Never undefined.
 */
export function completeCotangent(d: any, x: any): any {
  if (x instanceof Tensor) {
    if (d === null || d === undefined) return Tensor.zeros(x.shape, x.dtype);
    return d;
  }
  if (isNumber(x)) return d === null || d === undefined ? 0 : d;
  if (Array.isArray(x)) return x.map((xi, i) => completeCotangent(d === null || d === undefined ? null : d[i], xi));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) out[k] = completeCotangent(d === null || d === undefined ? null : d[k], x[k]);
    return out;
  }
  return null;
}

/**
 * a + b for cotangents: null/undefined are zeros; numbers and Tensors add; arrays (possibly
 * sparse) and plain objects add element by element. Never mutates a or b.
 */
export function acc(a: any, b: any): any {
  if (a === null || a === undefined) return b === undefined ? null : b;
  if (b === null || b === undefined) return a;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = acc(a[i], b[i]);
    return out;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const k of Object.keys(b)) out[k] = acc(a[k], b[k]);
    return out;
  }
  return addLeaves(a, b);
}
