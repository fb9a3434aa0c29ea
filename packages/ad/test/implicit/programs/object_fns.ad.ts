// Corpus: Object.values, Object.entries and Object.fromEntries of tracked records (their values
// carry cotangents, their keys none), and Object.keys, which is not differentiated.
import { add, mul, tanh, type Tensor } from "@pullback/tensor";

/** The values of a record of tensors, folded (a non-commutative step: the order is checked). */
export function sumValues(p: Record<string, Tensor>): Tensor {
  return Object.values(p).reduce((a, b) => add(mul(a, b), tanh(b)));
}

/** Entries of a record of numbers in a for…of loop; the key is used as a number too. */
export function weightedEntries(p: Record<string, number>): number {
  let s = 0;
  for (const [k, v] of Object.entries(p)) s = s + v * v * k.length;
  return s;
}

/** A record rebuilt from its entries with each value transformed (a structured result). */
export function mapRecord(p: Record<string, Tensor>, w: Tensor): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, mul(tanh(v), w)]));
}

/** Object.keys gives untracked keys; the values are read by key. */
export function byKeys(p: Record<string, Tensor>): Tensor {
  let acc = p[Object.keys(p)[0]];
  for (const k of Object.keys(p)) if (k !== Object.keys(p)[0]) acc = mul(acc, add(p[k], acc));
  return acc;
}

/** Object.values of an array (its elements), and fromEntries with a key given twice (the last wins). */
export function arraysAndDuplicates(xs: Tensor[], y: Tensor): Tensor {
  const [a, b] = Object.values(xs);
  const o = Object.fromEntries([["k", a], ["j", y], ["k", b]]);
  return mul(o.k, add(o.j, a));
}
