// Functions of edge_cases.test.ts: second order where values are read without being
// differentiated, through explicit mode, structures, checkpoint and customVjp with numbers, and a
// transformer block.
import {
  add,
  attention,
  attentionRows,
  crossEntropy,
  dropout,
  exp,
  gelu,
  layerNorm,
  linearCrossEntropy,
  matmul,
  mul,
  mulScalar,
  permute,
  reshape,
  softmax,
  splitAt,
  square,
  sum,
  take,
  tanh,
  Tensor,
} from "@pullback/tensor";
import { checkpoint, customVjp, grad, nonDifferentiable, primal, stopGradient } from "@pullback/ad";

/** `s || a` on tracked numbers: s is 0 when b is 0. */
export function orFallback(a: number, b: number): number {
  const s = a * b;
  const t = s || a;
  return t * t;
}

/** `s && a` on tracked numbers. */
export function andPick(a: number, b: number): number {
  const s = a * b;
  const t = s && a;
  return t * t + a * a * a;
}

/** A for loop whose test reads a tracked number. */
export function forUntilTracked(x: Tensor): number {
  const s = sum(square(x));
  let acc = s;
  for (let i = 0; i < s; i++) acc = acc * 0.5 + s;
  return acc * acc;
}

/** Index with a tracked number. */
export function indexByTracked(xs: number[], a: number): number {
  const k = Math.floor(a);
  const y = xs[k] * a;
  return y * y;
}

/** A Map keyed by a tracked number. */
export function mapKey(a: number): number {
  const m = new Map<number, number>([[2, 3]]);
  const c = m.get(Math.round(a)) ?? 1;
  return c * a * a * a;
}

/** Template string of a tracked number. */
export function templateKey(a: number): number {
  const table: Record<string, number> = { "2": 3 };
  const c = table[`${Math.round(a)}`] ?? 1;
  return c * a * a * a;
}

/** Optional chaining and ?? on tracked values. */
export function optionalChain(p: { w?: Tensor; b?: number }, x: Tensor): number {
  const w = p?.w ?? x;
  const b = p.b ?? 1;
  return sum(exp(mul(w, x))) * b * b;
}

/** Shorthand property in a test. */
export function shorthandInTest(a: number): number {
  const s = a * a;
  const o = { s };
  if (JSON.stringify({ s }).length > 0 && o.s > 0) return s * a;
  return a;
}

/** Assignment inside a while test. */
export function assignInTest(a: number): number {
  let s = a;
  let n = 0;
  while ((n = n + 1) < 3) s = s * a;
  return s;
}

/** Recursion with a tracked value. */
export function powRec(x: number, n: number): number {
  return n === 0 ? 1 : x * powRec(x, n - 1);
}
export const cube = (x: number): number => powRec(x, 3) + Math.sin(x);

/** typeof / in / instanceof in tests. */
export function typeTests(x: Tensor, o: { a: number }): number {
  let y = sum(tanh(x));
  if (typeof o.a === "number" && "a" in o && x instanceof Tensor) y = y * o.a;
  return y * y;
}

/** Number(), Math.floor on a tracked number inside an expression. */
export function numberCall(a: number): number {
  const k = Number(a) > 1 ? 2 : 1;
  return k * a * a * a;
}

/** nonDifferentiable helper called with tracked args. */
const countPositive = nonDifferentiable((x: Tensor) => {
  let n = 0;
  for (const v of x.data) if (v > 0) n++;
  return n;
});
export function withNonDiff(x: Tensor): number {
  const n = countPositive(x);
  return sum(exp(x)) * (n + 1);
}

// ---- explicit mode, structures, other modules -------------------------------------------

import { detachedExp, tanhSquared } from "./edge_cases_explicit.ad.ts";
import { network, sumTanh } from "./functions.ad.ts";

const tanhSquaredP = primal(tanhSquared);
const detachedExpP = primal(detachedExp);

/** An explicit-mode function through primal. */
export function viaPrimal(x: Tensor, w: Tensor): number {
  const s = tanhSquaredP([x, w]);
  return s * s;
}

/** Σ x ⊙ stopGradient(exp(x)) in implicit mode (H = 0), and the same with explicit detach. */
export function stoppedExp(x: Tensor): number {
  return sum(mul(x, stopGradient(exp(x))));
}
export function detachedViaPrimal(x: Tensor): number {
  return detachedExpP(x);
}

/** Structure helpers on parameters: spread, reduce, Object.entries / values / fromEntries, at(). */
export function structures(p: { a: Tensor; b: Tensor }, x: Tensor): number {
  const q = { ...p, c: x };
  const scaled = Object.fromEntries(Object.entries(q).map(([k, v]) => [k, tanh(v)]));
  const total = Object.values(scaled).reduce((s, v) => s + sum(mul(v, v)), 0);
  const layers = [p.a, p.b];
  const h = layers.reduce((acc, w) => tanh(mul(acc, w)), x);
  return total + sum(exp(h)) + sum(layers[layers.length - 1]);
}

/** Functions of another .ad.ts module. */
export function otherModules(x: Tensor, w1: Tensor, w2: Tensor): number {
  return network(x, w1, w2) * sumTanh(x);
}

/** checkpoint of a function with a number argument. */
const scaledBlock = checkpoint((h: Tensor, s: number) => tanh(mulScalar(h, s * s)));
export function checkpointNumber(x: Tensor, s: number): number {
  return sum(square(scaledBlock(x, s)));
}

/** A customVjp whose rule returns a number cotangent for a number argument, computed with ops. */
export function scaleBy(x: Tensor, s: number): Tensor {
  return mulScalar(x, s);
}
customVjp(scaleBy, (x: Tensor, s: number) => [scaleBy(x, s), (dy: Tensor) => [mulScalar(dy, s), sum(mul(dy, x))]]);
export function customNumber(x: Tensor, s: number): number {
  const y = scaleBy(tanh(x), s);
  return sum(mul(y, y));
}

/** Cross-entropy with Int32Array targets, layerNorm and softmax. */
export function classifier(x: Tensor, w: Tensor, g: Tensor, b: Tensor, targets: Int32Array): number {
  const h = layerNorm(matmul(x, w), g, b);
  return crossEntropy(h, targets) + sum(mul(softmax(h), h));
}

/** grad inside, with argnums [0, 1]. */
export function gradBoth(x: Tensor, w: Tensor): number {
  const [gx, gw] = grad(pairLoss, { argnums: [0, 1] })(x, w);
  return sum(mul(gx, gx)) + sum(mul(gw, w));
}
export function pairLoss(x: Tensor, w: Tensor): number {
  return sum(tanh(mul(x, w))) * sum(exp(mulScalar(w, 0.3)));
}

/** grad inside of a function of a number. */
export function gradOfNumber(a: number, b: number): number {
  const g = grad(cubic)(a, b);
  return g * g * b;
}
export function cubic(a: number, b: number): number {
  return a * a * a * b + Math.sin(a * b);
}

// ---- a small transformer block, and numbers that are not differentiated ------------------

/** Embedding, layerNorm, causal attention with dropout, gelu MLP, linearCrossEntropy. */
export function block(
  p: {
    emb: Tensor;
    g: Tensor;
    b: Tensor;
    wqkv: Tensor;
    w1: Tensor;
    w2: Tensor;
    head: Tensor;
  },
  tokens: Int32Array,
  targets: Int32Array,
  heads: number,
  seed: number,
): number {
  const T = tokens.length;
  const C = p.emb.shape[1];
  const x = take(p.emb, tokens);
  const h = layerNorm(x, p.g, p.b);
  const qkv = reshape(matmul(h, p.wqkv), [T, 3, heads, C / heads]);
  const [q, k, v] = [0, 1, 2].map((i) => permute(reshape(splitAt(splitAt(qkv, 1, i)[1], 1, 1)[0], [1, T, heads, C / heads]), [0, 2, 1, 3]));
  const a = reshape(permute(attention(q, k, v, { dropout: 0.1, seed, offset: 0 }), [0, 2, 1, 3]), [T, C]);
  const y = add(x, a);
  const m = matmul(gelu(matmul(dropout(y, 0.2, seed, 7), p.w1)), p.w2);
  return linearCrossEntropy(add(y, m), p.head, targets);
}

/** A number used both as a scale (differentiated) and as a loop count and an index (read). */
export function scaleAndCount(x: Tensor, n: number): number {
  let h = x;
  for (let i = 0; i < n; i++) h = tanh(mulScalar(h, n * 0.3));
  const rows = [h, x];
  return sum(square(rows[Math.floor(n) % 2])) * n;
}

/** A tracked number as an index, and as a computed key of an object literal and a pattern. */
export function trackedKeys(xs: Tensor[], n: number): number {
  const picked = xs[n];
  const o = { [n]: mulScalar(picked, n) };
  const { [n]: back } = o;
  return sum(square(back)) * n;
}

/** Statements that read tracked values without differentiating them: assignments, a logging call, a throw. */
const seen: string[] = [];
function note(v: number): void {
  seen.push(`${Math.round(v * 1000)}`);
}
export function readsInStatements(x: Tensor): number {
  const s = sum(square(x));
  let k = 0;
  k = Math.floor(s);
  k += s > 1 ? 1 : 0;
  let j: number;
  [j] = [Math.round(s) % 3];
  const stats: { n: number } = { n: 0 };
  stats.n = Math.ceil(s);
  note(s);
  if (s < 0) throw new Error("negative " + s);
  return s * s * (1 + k + j + stats.n);
}
export const seenValues = (): string[] => seen;

/** A constant table read at a tracked index; an untracked part of an object spread reading a tracked value. */
const TABLE = [1.5, 2.5, 3.5];
export function constantTable(p: { w: Tensor }, n: number): number {
  const c = TABLE[n];
  const s = sum(square(p.w));
  const q = { ...p, k: Math.floor(s) };
  return c * n * n * s + q.k;
}

/** Fused attention over projection rows with dropout: its forward form keeps a mask for its backward. */
export function rowsAttention(qkv: Tensor, w: Tensor): number {
  const out = attentionRows(qkv, 2, 1, { dropout: 0.2, seed: 3, offset: 0 });
  return sum(square(matmul(out, w)));
}

/** An identity test on two structures: first order takes the cubic branch when they are the same array. */
export function sameArrays(xs: Tensor[], ys: Tensor[]): number {
  const same = xs === ys;
  if (same) return sum(mul(mul(xs[0], xs[0]), ys[0]));
  return sum(mul(xs[0], ys[0]));
}

/** A test holding a function literal beside a tracked read: the read is of the value. */
export function testWithLiteral(s: number, xs: number[]): number {
  if (s === 2 && xs.some((v) => v > 0)) return s * s * s;
  return s;
}
