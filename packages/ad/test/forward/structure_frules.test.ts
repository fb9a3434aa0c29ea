// The forward rules of array methods, object spread and Object functions (runtime/forward.ts),
// each checked on its own with jvpcheck (central differences, float64) — the corpus checks them
// inside programs (test/implicit/corpus.test.ts) — and their errors, which name the call site.
import { describe, expect, test } from "bun:test";
import { defineFrule, jvpcheck, NoForwardRuleError, type Frule } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { farrayMap, farrayReduce, fobjectOf, fobjectSpread, objectFrules } from "../../src/runtime/forward.ts";
import { at } from "../../src/runtime/tree.ts";
import { objectRules } from "../../src/runtime/implicit.ts";
import { OBJECT_RULES } from "../../src/passes/implicit/callees.ts";

const rng = new Rng(5);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const SITE = "model.ad.ts:3:7";

/** `f` given the forward rule `frule`, called by the generated code as `frule(args, tangents)`. */
function withForward<F extends (...args: any[]) => any>(frule: Frule): F {
  const f = ((...args: any[]) =>
    frule(
      args,
      args.map(() => null),
    )[0]) as F;
  return defineFrule(f, frule);
}

/** A callback reading the index and the array: acc·x + xs[0]·i (numbers), with its forward rule. */
const step = withForward<(acc: number, x: number, i: number, xs: number[]) => number>(([acc, x, i, xs], [tacc, tx, , txs]) => [
  acc * x + xs[0] * i,
  (tacc ?? 0) * x + acc * (tx ?? 0) + (at(txs, 0) ?? 0) * i,
]);
/** x² · (i + 1), the callback of map. */
const square = withForward<(x: number, i: number) => number>(([x, i], [tx]) => [x * x * (i + 1), 2 * x * (tx ?? 0) * (i + 1)]);

describe("jvpcheck of each rule", () => {
  test("reduce with an initial value (the callback reads the index and the array)", () => {
    const f = withForward(([xs, init], [txs, tinit]) => farrayReduce(SITE)([xs, step, init], [txs, null, tinit]));
    expect(jvpcheck(f, [[0.3, -1.2, 0.8], 0.5]).ok).toBe(true);
    expect(jvpcheck(f, [[], 0.5]).ok).toBe(true);
  });
  test("reduce without an initial value: xs[0] starts the fold", () => {
    const f = withForward(([xs], [txs]) => farrayReduce(SITE)([xs, step], [txs, null]));
    expect(jvpcheck(f, [[0.3, -1.2, 0.8]]).ok).toBe(true);
    expect(jvpcheck(f, [[0.7]]).ok).toBe(true);
  });
  test("map (with the index)", () => {
    const f = withForward(([xs], [txs]) => farrayMap(SITE)([xs, square], [txs, null]));
    expect(jvpcheck(f, [[0.3, -1.2, 0.8]]).ok).toBe(true);
  });
  test("object spread: a later key overrides, its tangent too", () => {
    const f = withForward(([p, q], [tp, tq]) => fobjectSpread([p, { c: p.a }, q], [tp, { c: at(tp, "a") }, tq]));
    expect(jvpcheck(f, [{ a: r(2), b: r(2) }, { b: r(2) }]).ok).toBe(true);
    // q without a tangent overrides b: b's tangent is zero, not p.b's
    expect(jvpcheck(f, [{ a: r(2), b: r(2) }, { b: r(2) }], { argnums: [0] }).ok).toBe(true);
  });
  test("object spread of an array (keys 0, 1, …) and of nothing", () => {
    const f = withForward(([xs, y], [txs, ty]) => fobjectSpread([xs, null, { extra: y }], [txs, null, { extra: ty }]));
    expect(jvpcheck(f, [[r(2), r(3)], r(2)]).ok).toBe(true);
  });
  const record = () => ({ a: r(2), b: r(3), c: r(1) });
  test("Object.values (of a record and of an array)", () => {
    const f = withForward(([p], [tp]) => fobjectOf("values", SITE)([p], [tp]));
    expect(jvpcheck(f, [record()]).ok).toBe(true);
    expect(jvpcheck(f, [[r(2), r(2)]]).ok).toBe(true);
  });
  test("Object.entries (the keys carry no tangent)", () => {
    const f = withForward(([p], [tp]) => fobjectOf("entries", SITE)([p], [tp]));
    expect(jvpcheck(f, [record()]).ok).toBe(true);
  });
  test("Object.fromEntries, a key given twice (the last pair wins)", () => {
    const f = withForward(([es], [tes]) => fobjectOf("fromEntries", SITE)([es], [tes]));
    expect(
      jvpcheck(f, [
        [
          ["k", r(2)],
          ["j", r(2)],
          ["k", r(2)],
        ],
      ]).ok,
    ).toBe(true);
  });
  test("a zero tangent in, a zero tangent out", () => {
    expect(fobjectSpread([{ a: 1 }, { b: 2 }], [null, null])).toEqual([{ a: 1, b: 2 }, null]);
    expect(fobjectOf("values", SITE)([{ a: 1 }], [null])).toEqual([[1], null]);
  });
});

describe("coverage and errors", () => {
  test("every Object function with a reverse rule has a forward rule", () => {
    expect(Object.keys(objectFrules).sort()).toEqual(Object.keys(objectRules).sort());
    expect(Object.keys(objectFrules).sort()).toEqual([...OBJECT_RULES].sort());
  });
  test("errors name the call site", () => {
    const reduce = farrayReduce(SITE);
    expect(() => reduce([[], step], [null, null])).toThrow(`${SITE}: reduce of an empty array with no initial value`);
    expect(() => reduce([null, step, 0], [null, null, null])).toThrow(`${SITE}: reduce: expected an array, got null`);
    expect(() => farrayMap(SITE)([7, square], [null, null])).toThrow(`${SITE}: map: expected an array, got number`);
    expect(() => fobjectOf("values", SITE)([undefined], [null])).toThrow(`${SITE}: Object.values: expected an object, got undefined`);
    expect(() => fobjectOf("fromEntries", SITE)([{}], [null])).toThrow(
      `${SITE}: Object.fromEntries of tracked values needs an array of [key, value] pairs, got object`,
    );
    expect(() => fobjectOf("groupBy", SITE)).toThrow(NoForwardRuleError);
  });
  test("a callback without a forward rule is named, with the call site", () => {
    const plain = (a: number, x: number) => a + x;
    expect(() => farrayReduce(SITE)([[1, 2], plain, 0], [[1, 1], null, null])).toThrow(NoForwardRuleError);
    expect(() => farrayReduce(SITE)([[1, 2], plain, 0], [[1, 1], null, null])).toThrow(`no forward rule for plain (called at ${SITE})`);
    expect(() => farrayMap(SITE)([[1, 2], plain], [null, null])).toThrow(`no forward rule for plain (called at ${SITE})`);
  });
});
