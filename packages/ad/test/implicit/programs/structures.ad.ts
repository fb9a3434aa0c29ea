// Corpus: structures — nested objects and arrays in parameters and results, destructuring,
// spread in array literals, rest parameters and rest patterns.
import { add, concat, exp, matmul, mul, mulScalar, sub, sum, tanh, type Tensor } from "@pullback/tensor";

export interface Block {
  attn: { wq: Tensor; wk: Tensor };
  mlp: { layers: Tensor[] };
  unused: Tensor;
}

/** A nested parameter tree; `unused` is never read (its gradient is an explicit zero). */
export function nestedParams(x: Tensor, p: Block): Tensor {
  const q = matmul(x, p.attn.wq);
  const k = matmul(x, p.attn.wk);
  let h = mul(q, k);
  h = matmul(h, p.mlp.layers[0]);
  return tanh(matmul(h, p.mlp.layers[1]));
}

/** A nested result: an object with an array and a nested object. */
export function nestedResult(x: Tensor, y: Tensor): { sum: Tensor; parts: Tensor[]; more: { prod: Tensor; copy: Tensor } } {
  const s = add(x, y);
  return { sum: s, parts: [x, tanh(y), s], more: { prod: mul(x, y), copy: y } };
}

/** Destructuring parameters (object and array patterns) and locals. */
export function destructured({ w, b }: { w: Tensor; b: Tensor }, [x, y]: Tensor[]): Tensor {
  const { first, second } = { first: matmul(x, w), second: y };
  const [u, v] = [tanh(first), add(second, b)];
  return mul(u, v);
}

/** Spread in array literals (an array of tensors built from pieces), concatenated. */
export function spreads(xs: Tensor[], y: Tensor): Tensor {
  const all = [...xs, y, ...xs];
  const more = [tanh(y), ...all];
  return concat(more, 0);
}

/** A rest parameter. */
export function restParams(x: Tensor, ...ys: Tensor[]): Tensor {
  let acc = x;
  for (const y of ys) acc = add(acc, mul(y, x));
  return acc;
}

/** A rest pattern in array destructuring. */
export function restPattern(xs: Tensor[]): Tensor {
  const [head, ...tail] = xs;
  let acc = exp(head);
  for (const t of tail) acc = sub(acc, tanh(t));
  return acc;
}

/** Returns a tuple [tensor, tensor] from an array parameter. */
export function swapPair(pair: [Tensor, Tensor]): [Tensor, Tensor] {
  const [a, b] = pair;
  return [mul(b, b), a];
}

/** Calls a function that returns a structure and destructures its result. */
export function usesStructure(x: Tensor, y: Tensor): Tensor {
  const { sum, parts, more } = nestedResult(x, y);
  const [p0, , p2] = parts;
  return add(mul(sum, p0), sub(p2, more.prod));
}

/** Destructuring assignment swapping tracked values in a loop. */
export function swapAssign(a: Tensor, b: Tensor): Tensor {
  let u = a;
  let v = b;
  for (let i = 0; i < 3; i++) {
    [u, v] = [v, mul(u, v)];
  }
  return add(u, v);
}

/** An array grown with spread in a loop, concatenated at the end. */
export function buildList(x: Tensor, n: number): Tensor {
  let xs: Tensor[] = [];
  let h = x;
  for (let i = 0; i < n; i++) {
    h = tanh(h);
    xs = [...xs, h];
  }
  return concat(xs, 0);
}

/** A tuple result mixing a tensor and a number. */
export function tupleWithNumber(x: Tensor): [Tensor, number] {
  const y = tanh(x);
  return [y, sum(y)];
}

/** An object result built from loop state. */
export function objectResultOfLoop(xs: Tensor[]): { total: Tensor; last: Tensor } {
  let total = mulScalar(xs[0], 0);
  let last = xs[0];
  for (const x of xs) {
    total = add(total, x);
    last = x;
  }
  return { total, last: exp(last) };
}

/** A rest parameter read by index from both ends. */
export function restByIndex(x: Tensor, ...ys: Tensor[]): Tensor {
  let r = x;
  for (let i = 0; i < ys.length; i++) r = sub(r, mul(ys[i], ys[ys.length - 1 - i]));
  return r;
}

/** A parameter that is never read: its gradient is an explicit zero. */
export function unusedParam(x: Tensor, unused: Tensor): Tensor {
  void unused;
  return tanh(x);
}

/** A parameter object reassigned to a new object built from its fields. */
export function reassignParamObject(p: { w: Tensor; b: Tensor }, x: Tensor): Tensor {
  p = { w: mulScalar(p.w, 2), b: p.b };
  return add(mul(x, p.w), p.b);
}

/** A nested destructuring pattern in a parameter. */
export function nestedParamPattern({ a: { b }, c: [d, e] }: { a: { b: Tensor }; c: Tensor[] }): Tensor {
  return add(mul(b, d), e);
}

/** A property of a parameter returned as is (the sibling gets a zero). */
export function returnsProperty(p: { w: Tensor; v: Tensor }): Tensor {
  return p.w;
}

/** An object with computed keys. */
export function computedKeys(x: Tensor, name: string): Record<string, Tensor> {
  return { [name]: tanh(x), ["fixed"]: x };
}

/** Recursion over an index, with an object result (a number field counts). */
export function recursiveStructure(xs: Tensor[], i: number): { value: Tensor; count: number } {
  if (i === xs.length - 1) return { value: xs[i], count: 1 };
  const rest = recursiveStructure(xs, i + 1);
  return { value: add(mul(xs[i], rest.value), xs[i]), count: rest.count + 1 };
}

/** Reads from both ends of an array built with spread. */
export function spreadIndex(xs: Tensor[], y: Tensor): Tensor {
  const all = [...xs, y];
  return mul(all[0], all[all.length - 1]);
}

/** An arrow whose expression body is an object literal. */
export const objBody = (x: Tensor) => ({ a: tanh(x), b: [x] });
