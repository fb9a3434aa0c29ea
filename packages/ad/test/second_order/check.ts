// The second-order check of the op table (op_table.test.ts) and the implicit corpus
// (test/implicit/corpus.test.ts): a function of any output is made scalar,
// L(x) = ⟨y, c⟩ + ½⟨y, y⟩ with y = f(x) and c random, its rule composed from f's — so that the
// cotangent reaching f's pullback, c + y, carries a tangent too — and hvpcheck compares its H·v
// with central differences of its gradient (float64).
import { expect } from "bun:test";
import { customVjp, findRule, hvpcheck, randomTangent, type Rule } from "@pullback/ad";
import { add, mul, mulScalar, Rng, sum, Tensor } from "@pullback/tensor";
import { dualNumbers } from "../../src/runtime/number_frules.ts";
import { isPlainObject } from "../../src/runtime/tree.ts";

const N = dualNumbers;

/** ⟨y, c⟩ over the Tensor and number leaves of c (null leaves: none), with ops that carry tangents. */
function dot(y: any, c: any): any {
  if (c === null || c === undefined) return 0;
  if (c instanceof Tensor) return sum(mul(y, c));
  if (typeof c === "number") return N.mul(y, c);
  const keys = Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
  return keys.reduce((s: any, k: any) => N.add(s, dot(y[k], c[k])), 0);
}

/** The leaves of y where c has one (null elsewhere). */
function where(y: any, c: any): any {
  if (c === null || c === undefined) return null;
  if (c instanceof Tensor || typeof c === "number") return y;
  if (Array.isArray(c)) return c.map((ci, i) => where(y[i], ci));
  return Object.fromEntries(Object.keys(c).map((k) => [k, where(y[k], c[k])]));
}

/** ⟨y, c⟩ + ½⟨y, y⟩ over the leaves where c is not null. */
const loss = (y: any, c: any): any => N.add(dot(y, c), N.mul(0.5, dot(y, where(y, c))));

/** L's cotangent for y: (c + y)·ds in c's structure (ds: a number). */
function cotangent(y: any, c: any, ds: number): any {
  if (c === null || c === undefined) return null;
  if (c instanceof Tensor) return mulScalar(add(c, y), ds);
  if (typeof c === "number") return N.mul(N.add(c, y), ds);
  if (Array.isArray(c)) return c.map((ci, i) => cotangent(y[i], ci, ds));
  if (isPlainObject(c)) return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, cotangent(y[k], v, ds)]));
  return null;
}

/** x ↦ L(f(x, ...rest)) = ⟨y, c⟩ + ½⟨y, y⟩ (c random, seeded), its rule composed from `rule`, f's. */
export function scalarized(
  name: string,
  f: (...a: any[]) => any,
  rule: Rule,
  args: unknown[],
  rest: unknown[] = [],
  seed = 21,
): (...d: any[]) => any {
  const c = randomTangent(f(...args, ...rest), new Rng(seed));
  const L = { [`L(${name})`]: (...d: any[]) => loss(f(...d, ...rest), c) }[`L(${name})`];
  return customVjp(L, (...d: any[]) => {
    const [y, back] = rule(...d, ...rest);
    return [loss(y, c), (ds: number) => back(cotangent(y, c, ds)).slice(0, d.length)];
  });
}

/** hvpcheck of f made scalar (its rule from the registry) along a random tangent of `argnums`. */
export function checkSecondOrder(f: (...args: any[]) => any, args: unknown[], argnums?: number[], seed = 99): void {
  const rule = findRule(f);
  if (!rule) throw new Error(`checkSecondOrder: ${f.name} has no rule`);
  const report = hvpcheck(scalarized(f.name, f, rule, args), args, { argnums, seed, atol: 1e-5, rtol: 1e-4 });
  expect(report.ok).toBe(true);
}
