// The implicit-mode corpus: small programs (test/implicit/programs/*.ad.ts), one per construct,
// each checked against central finite differences with a random cotangent (gradcheckFunction,
// float64), plus exact checks where finite differences cannot tell (stopGradient, customVjp,
// checkpoint's recomputation, explicit zeros), a look at the generated code for activity, and a
// tiny GPT gradchecked over every parameter.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { gradcheckFunction, pullback, valueAndGrad } from "@pullback/ad";
import { transformAd } from "@pullback/ad/transform";
import { add, mul, mulScalar, Rng, Tensor } from "@pullback/tensor";
import * as straight from "./programs/straight_line.ad.ts";
import * as fanout from "./programs/fanout.ad.ts";
import * as branches from "./programs/branches.ad.ts";
import * as loops from "./programs/loops.ad.ts";
import * as flow from "./programs/control_flow.ad.ts";
import * as structures from "./programs/structures.ad.ts";
import * as closures from "./programs/closures.ad.ts";
import * as numbers from "./programs/numbers.ad.ts";
import * as custom from "./programs/custom.ad.ts";
import * as activity from "./programs/activity.ad.ts";
import * as losses from "./programs/losses.ad.ts";
import * as model from "./programs/model.ad.ts";
import * as optional from "./programs/optional.ad.ts";
import * as reduce from "./programs/reduce.ad.ts";
import * as spread from "./programs/spread.ad.ts";
import * as objectFns from "./programs/object_fns.ad.ts";
import { checkForward } from "../forward/check.ts";
import { checkSecondOrder } from "../second_order/check.ts";

const rng = new Rng(7);
const rand = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const num = () => rng.normal();

/**
 * gradcheck of f at args (argnums: every Tensor/number argument unless given); throws a table on
 * failure. Forward mode too: jvp against central differences and against the pullback (checkForward).
 */
function check(f: (...args: any[]) => any, args: unknown[], argnums?: number[]): void {
  expect(gradcheckFunction(f, args, argnums ? { argnums } : {}).ok).toBe(true);
  checkForward(f, args, argnums);
  checkSecondOrder(f, args, argnums);
}

const values = (t: Tensor): number[] => Array.from(t.data as Float64Array);
const isZeroTensor = (t: unknown, shape: number[]): boolean =>
  t instanceof Tensor && t.shape.join() === shape.join() && values(t).every((v) => v === 0);

describe("straight-line", () => {
  test("affine", () => check(straight.affine, [rand(4, 3), rand(3, 2), rand(2)]));
  test("twoLayer (parameter object)", () => check(straight.twoLayer, [rand(4, 3), { w1: rand(3, 5), b1: rand(5), w2: rand(5, 2), b2: rand(2) }]));
  test("normSoftmax", () => check(straight.normSoftmax, [rand(3, 5), rand(5), rand(5)]));
  test("movement (reshape, permute, sumAlong)", () => check(straight.movement, [rand(3, 4)]));
  test("splitJoin (splitAt, concat)", () => check(straight.splitJoin, [rand(3, 5)]));
  test("scalarOps (a differentiated number argument)", () => check(straight.scalarOps, [rand(3, 2), 0.7]));
  test("shadowing in blocks and loop bodies", () => check(straight.shadowing, [rand(2), rand(2)]));
  test("a return inside a block", () => check(straight.returnsInBlock, [rand(2)]));
  test("identity", () => check(straight.identity, [rand(2, 2)]));
  test("a constant result: zero gradient", () => {
    check(straight.constantResult, [rand(3)]);
    const [, back] = pullback(straight.constantResult, rand(3));
    expect(isZeroTensor(back(rand(2))[0], [3])).toBe(true);
  });
  test("a chain of matmuls reduced to a number", () => check(straight.matmulChain, [rand(2, 3), rand(3, 4), rand(4, 2)]));
  test("concat with a constant piece", () => check(straight.concatConst, [rand(1, 2)]));
  test("indexing splitAt's result", () => check(straight.splitIndex, [rand(3, 2)]));
  test("a generic function with a cast", () => check(straight.generic, [rand(2)]));
  test("a non-null assertion", () => check(straight.nonNull, [{ w: rand(2) }, rand(2)]));
  test("a function named like a generated pullback (f_pullback)", () => check(straight.f, [rand(2)]));
  test("parameters named like generated cotangents (d_x)", () => check(straight.d_clash, [rand(2), rand(2)]));
});

describe("fan-out", () => {
  test("selfMul: both arguments of one op", () => check(fanout.selfMul, [rand(3, 4)]));
  test("threeUses", () => check(fanout.threeUses, [rand(3, 4)]));
  test("sharedWeight", () => check(fanout.sharedWeight, [rand(3, 3), rand(3, 3)]));
  test("reassigned", () => check(fanout.reassigned, [rand(2, 3), rand(2, 3)]));
  test("the same value twice in the result", () => check(fanout.sameTwice, [rand(2)]));
});

describe("branches", () => {
  test("ifElse: both branches", () => {
    for (const mode of [1, -1]) check(branches.ifElse, [rand(3, 3), rand(3, 3), mode], [0, 1]);
  });
  test("dataDependent: both branches", () => {
    const x = rand(2, 3);
    check(branches.dataDependent, [x]);
    check(branches.dataDependent, [mulScalar(x, -1)]);
  });
  test("ifNoElse", () => {
    for (const flag of [true, false]) check(branches.ifNoElse, [rand(2, 3), rand(2, 3), flag]);
  });
  test("ternary", () => {
    for (const useA of [true, false]) check(branches.ternary, [rand(2, 3), rand(2, 3), useA]);
  });
  test("logical: ?? && ||", () => {
    for (const flag of [true, false]) {
      check(branches.logical, [rand(2, 3), rand(2, 3), flag], [0, 1]);
      check(branches.logical, [rand(2, 3), null, flag], [0]);
    }
  });
  test("elseIf: three branches", () => {
    const x = Tensor.from([[0.9, 0.1, 0.2]]).clone("float64");
    for (const s of [1, 0, -1]) check(branches.elseIf, [mulScalar(x, s * 2), rand(1, 3)]);
  });
  test("nested ternaries", () => {
    for (const k of [0, 1, 2]) check(branches.nestedTernary, [rand(3), k], [0]);
  });
  test("a ternary inside an expression", () => {
    for (const useLog of [true, false])
      check(branches.ternaryInExpression, [rand(3, 4), Int32Array.from([0, 2]), Int32Array.from([1, 3]), useLog], [0]);
  });
  test("an optional parameter", () => {
    check(branches.optionalParam, [rand(2), rand(2)]);
    check(branches.optionalParam, [rand(2)]);
  });
  test("a default parameter and ?? between tracked values", () => {
    check(branches.defaults, [rand(2)]);
    check(branches.defaults, [rand(2), 0.5, rand(2)]);
  });
  test("a default computed from another parameter", () => {
    check(branches.defaultFromParam, [rand(2)]);
    check(branches.defaultFromParam, [rand(2), rand(2)]);
  });
  test("a ternary whose branch is the assigned variable", () => {
    for (const c of [true, false]) check(branches.selfTernary, [rand(2), c]);
  });
  test("declared, then assigned in both branches", () => {
    for (const c of [true, false]) check(branches.declareThenAssign, [rand(2), c]);
  });
  test("a constant branch", () => {
    for (const c of [true, false]) check(branches.constBranch, [rand(2), c]);
  });
  test("an else-if chain in a loop", () => check(branches.ifElseChainInLoop, [[rand(2), rand(2), rand(2), rand(2), rand(2)], rand(2)]));
});

describe("loops", () => {
  test("repeat (for)", () => check(loops.repeat, [rand(2, 3), 3], [0]));
  test("sumOfProducts (for…of over tensors)", () => check(loops.sumOfProducts, [[rand(2, 3), rand(2, 3), rand(2, 3)], rand(2, 3)]));
  test("stack (for…of over parameter objects)", () =>
    check(loops.stack, [
      rand(4, 3),
      [
        { w: rand(3, 3), b: rand(3) },
        { w: rand(3, 2), b: rand(2) },
      ],
    ]));
  test("whileLoop", () => check(loops.whileLoop, [rand(2, 3), 4], [0]));
  test("doWhile", () => {
    for (const steps of [0, 3]) check(loops.doWhile, [rand(2, 3), rand(3, 3), steps], [0, 1]);
  });
  test("nested loops", () =>
    check(loops.nested, [rand(2, 3), [[mulScalar(rand(3, 3), 0.3)], [mulScalar(rand(3, 3), 0.3), mulScalar(rand(3, 3), 0.3)]]]));
  test("indexed reads", () => check(loops.indexed, [[rand(3), rand(3), rand(3)]]));
  test("for…in over a parameter object", () => check(loops.forIn, [{ a: rand(2), b: rand(2), c: rand(2) }]));
  test("for…of destructuring objects with a flag", () => {
    const ps = [
      { w: rand(2), on: true },
      { w: rand(2), on: false },
      { w: rand(2), on: true },
    ];
    const x = rand(2);
    const [y, back] = pullback(loops.flaggedLayers, ps, x);
    const [dps] = back(Tensor.ones(y.shape, "float64"));
    expect(dps[1].on).toBeNull();
    expect(isZeroTensor(dps[1].w, [2])).toBe(true);
    // Gradients of the weights (the flags fixed) and of x.
    const weights = (ws: Tensor[], x: Tensor) =>
      loops.flaggedLayers(
        ws.map((w, i) => ({ w, on: ps[i].on })),
        x,
      );
    const dws: Tensor[] = dps.map((p: { w: Tensor }) => p.w);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const bump = (e: number) => {
          const ws = ps.map((p) => p.w.clone("float64"));
          ws[i].data[j] += e;
          return values(weights(ws, x)).reduce((a, b) => a + b, 0);
        };
        expect(values(dws[i])[j]).toBeCloseTo((bump(1e-6) - bump(-1e-6)) / 2e-6, 6);
      }
    }
  });
  test("a closure capturing a variable the loop reassigns", () => check(loops.capturedReassigned, [rand(2, 3), rand(2, 3)]));
  test("var declarations in a loop", () => check(loops.varInLoop, [rand(2), 3], [0]));
  test("for (;;) with break", () => check(loops.foreverBreak, [rand(2)]));
  test("two counters in a for header", () => check(loops.commaFor, [rand(2)]));
  test("for…of over Object.keys", () => check(loops.keysLoop, [{ a: rand(2), b: rand(2), c: rand(2) }]));
});

describe("control flow", () => {
  test("break", () => {
    for (const stop of [0, 2, 9]) check(flow.withBreak, [rand(2, 3), 4, stop], [0]);
  });
  test("continue", () => check(flow.withContinue, [[rand(3), rand(3), rand(3), rand(3)]]));
  test("early return from a loop", () => {
    for (const limit of [0, 1e9]) check(flow.earlyReturn, [rand(2, 3), rand(3, 3), limit], [0, 1]);
  });
  test("switch with fallthrough", () => {
    for (const k of [0, 1, 2, 7]) check(flow.switchFallthrough, [rand(2, 2), rand(2, 2), k], [0, 1]);
  });
  test("labeled break from nested loops", () => {
    for (const stopAt of [0, 4, 100]) check(flow.labeledBreak, [rand(2, 3), rand(3, 3), stopAt], [0, 1]);
  });
  test("labeled continue", () => check(flow.labeledContinue, [rand(2, 3), rand(2, 3)]));
  test("while(true) with break, do…while with continue", () => check(flow.whileBreakDoContinue, [rand(2, 3), rand(2, 3)]));
  test("returns from branches", () => {
    for (const k of [0, 1, 2]) check(flow.returnsFromBranches, [rand(2, 3), k], [0]);
  });
  test("switch in a loop (continue, early return)", () => {
    check(flow.switchInLoop, [[rand(2), rand(2), rand(2), rand(2)]]);
    check(flow.switchInLoop, [[rand(2), rand(2), rand(2), rand(2), rand(2), rand(2)]]);
  });
  test("do…while(true) with break", () => check(flow.doWhileBreak, [rand(2, 3), rand(3, 3)]));
  test("while on a tracked number", () => check(flow.whileOnTracked, [1.3]));
  test("early returns of numbers", () => {
    for (const [x, y] of [
      [2, 1],
      [1, 2],
      [5, 9],
    ])
      check(flow.earlyReturnNumber, [x, y]);
  });
  test("a labeled block left by break", () => {
    for (const skip of [true, false]) check(flow.labeledBlock, [rand(2), skip]);
  });
  test("continue to an outer while's label", () => check(flow.whileLabeledContinue, [rand(2)]));
  test("switch on strings: shared cases, a block case, returns", () => {
    for (const mode of ["a", "b", "c", "z"]) check(flow.switchStrings, [rand(2), mode], [0]);
  });
});

describe("structures", () => {
  const block = (): structures.Block => ({ attn: { wq: rand(3, 3), wk: rand(3, 3) }, mlp: { layers: [rand(3, 4), rand(4, 2)] }, unused: rand(5) });
  test("nested parameters", () => check(structures.nestedParams, [rand(2, 3), block()]));
  test("nested parameters: an untouched leaf gets an explicit zero Tensor", () => {
    const [y, back] = pullback(structures.nestedParams, rand(2, 3), block());
    const [dx, dp] = back(Tensor.ones(y.shape, "float64"));
    expect(dx.shape).toEqual([2, 3]);
    expect(dp.attn.wq.shape).toEqual([3, 3]);
    expect(dp.mlp.layers[1].shape).toEqual([4, 2]);
    expect(isZeroTensor(dp.unused, [5])).toBe(true);
  });
  test("nested result", () => check(structures.nestedResult, [rand(2, 3), rand(2, 3)]));
  test("destructured parameters", () => check(structures.destructured, [{ w: rand(3, 3), b: rand(3) }, [rand(2, 3), rand(2, 3)]]));
  test("destructured parameters: the unread array element gets a zero", () => {
    const [y, back] = pullback(structures.destructured, { w: rand(3, 3), b: rand(3) }, [rand(2, 3), rand(2, 3), rand(2, 3)]);
    const [, dxs] = back(Tensor.ones(y.shape, "float64"));
    expect(dxs.length).toBe(3);
    expect(isZeroTensor(dxs[2], [2, 3])).toBe(true);
  });
  test("spread in array literals", () => check(structures.spreads, [[rand(1, 3), rand(2, 3)], rand(1, 3)]));
  test("rest parameters", () => check(structures.restParams, [rand(2, 3), rand(2, 3), rand(2, 3), rand(2, 3)]));
  test("rest pattern", () => check(structures.restPattern, [[rand(3), rand(3), rand(3)]]));
  test("tuple in and out", () => check(structures.swapPair, [[rand(2), rand(3)]]));
  test("destructuring a called function's structured result (a hole included)", () => check(structures.usesStructure, [rand(2, 3), rand(2, 3)]));
  test("destructuring assignment (swap) in a loop", () => check(structures.swapAssign, [rand(2), rand(2)]));
  test("an array grown with spread", () => check(structures.buildList, [rand(1, 3), 3], [0]));
  test("a [tensor, number] result", () => check(structures.tupleWithNumber, [rand(2, 2)]));
  test("an object result built in a loop", () => check(structures.objectResultOfLoop, [[rand(2), rand(2), rand(2)]]));
  test("a rest parameter read by index", () => check(structures.restByIndex, [rand(2), rand(2), rand(2), rand(2)]));
  test("an unused parameter: an explicit zero", () => {
    check(structures.unusedParam, [rand(2), rand(3)]);
    const [, back] = pullback(structures.unusedParam, rand(2), rand(3));
    expect(isZeroTensor(back(rand(2))[1], [3])).toBe(true);
  });
});
test("a parameter object reassigned", () => check(structures.reassignParamObject, [{ w: rand(2), b: rand(2) }, rand(2)]));
test("a nested pattern in a parameter", () => check(structures.nestedParamPattern, [{ a: { b: rand(2) }, c: [rand(2), rand(2), rand(2)] }]));
test("a property returned as is", () => {
  check(structures.returnsProperty, [{ w: rand(2), v: rand(3) }]);
  const [, back] = pullback(structures.returnsProperty, { w: rand(2), v: rand(3) });
  expect(isZeroTensor(back(rand(2))[0].v, [3])).toBe(true);
});
test("computed keys", () => check(structures.computedKeys, [rand(2), "k"], [0]));
test("recursion over an index with an object result", () => check(structures.recursiveStructure, [[rand(2), rand(2), rand(2)], 0], [0]));
test("reads from both ends of a spread array", () => check(structures.spreadIndex, [[rand(2), rand(2)], rand(2)]));
test("an arrow returning an object literal", () => check(structures.objBody, [rand(2)]));

describe("optional chaining", () => {
  test("cfg?.scale ?? 1.5 (number leaves): present, absent, no config", () => {
    check(optional.scaled, [0.7, { scale: -1.3 }]);
    check(optional.scaled, [0.7, {}], [0]);
    check(optional.scaled, [0.7], [0]);
    const [, back] = pullback(optional.scaled, 0.7, { scale: -1.3 });
    expect(back(1)).toEqual([-1.3, { scale: 0.7 }]);
  });
  test("nested ?. links and a computed key (Tensor leaves)", () => {
    check(optional.nestedChain, [rand(2, 2), { inner: { w: rand(2, 2), ws: [rand(2, 2), rand(2, 2)] } }, 1], [0, 1]);
    check(optional.nestedChain, [rand(2, 2), { inner: { w: rand(2, 2) } }], [0, 1]);
    check(optional.nestedChain, [rand(2, 2), { scale: 2 }], [0]);
    check(optional.nestedChain, [rand(2, 2)], [0]);
  });
  test("?. after a call's result", () => {
    check(optional.chainAfterCall, [rand(2, 2), { inner: { w: rand(2, 2) } }]);
    check(optional.chainAfterCall, [rand(2, 2), null], [0]);
  });
  test("a tracked number read through ?. scales a tensor", () => {
    check(optional.scaleTensor, [rand(2, 3), { scale: 0.4 }]);
    check(optional.scaleTensor, [rand(2, 3)], [0]);
  });
  test("o?.f(x) and o.f?.(x): a hook capturing a tracked value", () => {
    for (const useAct of [true, false]) check(optional.optionalCall, [rand(2, 2), rand(2, 2), useAct], [0, 1]);
  });
  test("f?.(x) with and without the function", () => {
    check(optional.optionalFn, [rand(2, 2), optional.square], [0]);
    check(optional.optionalFn, [rand(2, 2)], [0]);
  });
  test("p?.f?.(x, p.w): a tracked object holding a function", () => {
    check(optional.trackedHolder, [{ w: rand(2, 2), f: optional.affine }, rand(2, 2)]);
    check(optional.trackedHolder, [{ w: rand(2, 2) }, rand(2, 2)]);
    check(optional.trackedHolder, [undefined, rand(2, 2)], [1]);
  });
});

describe(".reduce", () => {
  test("ws.reduce((h, w) => tanh(matmul(h, w)), x)", () => {
    check(reduce.foldLayers, [rand(2, 3), [rand(3, 3), rand(3, 3), rand(3, 3)]]);
    check(reduce.foldLayers, [rand(2, 3), []]);
  });
  test("without an initial value (one and several elements)", () => {
    check(reduce.foldNoInit, [[rand(2), rand(2), rand(2)]]);
    check(reduce.foldNoInit, [[rand(2)]]);
    expect(() => pullback(reduce.foldNoInit, [])).toThrow("reduce of an empty array with no initial value");
  });
  test("number leaves; the callback reads the index and the array", () => check(reduce.foldNumbers, [{ xs: [num(), num(), num()] }, num()]));
  test("over parameter objects", () =>
    check(reduce.foldObjects, [
      rand(2, 3),
      [
        { w: rand(3, 3), b: rand(3) },
        { w: rand(3, 2), b: rand(2) },
      ],
    ]));
  test("an untracked array, the callback capturing a tracked number", () => {
    check(reduce.foldCaptured, [[0.5, -2, 3], num()], [1]);
    const [, back] = pullback(reduce.foldCaptured, [0.5, -2, 3], 0.8);
    expect(back(1)[1]).toBeCloseTo(1.5 * 2 * 0.8, 12);
  });
  test(".map over an untracked array, the callback capturing a tracked tensor", () => check(reduce.mapCaptured, [rand(2, 2), [0.5, -1, 2]], [0]));
  test("a named function as the callback", () => check(reduce.foldNamed, [rand(2, 2), [mulScalar(rand(2, 2), 0.5), mulScalar(rand(2, 2), 0.5)]]));
});

describe("spread of tracked objects", () => {
  test("{ ...p, c: p.a } and keys overriding each other", () => {
    check(spread.spreadObject, [{ a: rand(2), b: rand(2) }, rand(2), { b: rand(2) }]);
    check(spread.spreadObject, [{ a: rand(2), b: rand(2) }, rand(2), {}]);
  });
  test("x's property overridden by a later spread gets nothing from it", () => {
    // r.b is over.b, so x reaches the result only through r.a = mul(p.b, x): dx = dy ⊙ p.b.
    const p = { a: rand(2), b: rand(2) };
    const [, back] = pullback(spread.spreadObject, p, rand(2), { b: rand(2) });
    const [, dx, dover] = back(Tensor.ones([2], "float64"));
    expect(values(dx)).toEqual(values(p.b));
    expect(dover.b).toBeInstanceOf(Tensor);
  });
  test("number leaves: a config updated with spread", () => check(spread.updateConfig, [{ lr: num(), decay: num(), steps: num() }]));
  test("an untracked spread overriding a tracked key", () => {
    check(spread.overriddenBySpread, [0.6]);
    const [, back] = pullback(spread.overriddenBySpread, 0.6);
    expect(back(1)[0]).toBe(3);
  });
  test("a tracked array spread into an object and an array", () => check(spread.spreadArray, [[rand(2, 2), rand(2, 2)], rand(2, 2)]));
  test("spread of a nested parameter tree", () => check(spread.spreadNested, [{ enc: { w: rand(2) }, dec: { w: rand(2) } }, rand(2)]));
});

describe("Object.values / entries / fromEntries / keys", () => {
  const record = () => ({ first: rand(2, 2), second: rand(2, 2), third: rand(2, 2) });
  test("Object.values of a record of tensors", () => check(objectFns.sumValues, [record()]));
  test("Object.entries in a for…of loop (number leaves)", () => check(objectFns.weightedEntries, [{ a: num(), bb: num(), ccc: num() }]));
  test("Object.fromEntries(Object.entries(p).map(…))", () => check(objectFns.mapRecord, [record(), rand(2, 2)]));
  test("Object.keys carries no gradient; values read by key", () => check(objectFns.byKeys, [record()]));
  test("Object.values of an array; fromEntries with a repeated key", () => {
    check(objectFns.arraysAndDuplicates, [[rand(2), rand(2)], rand(2)]);
    const [, back] = pullback(objectFns.arraysAndDuplicates, [rand(2), rand(2)], rand(2));
    expect(Array.isArray(back(Tensor.ones([2], "float64"))[0])).toBe(true);
  });
});

describe("closures and calls", () => {
  test("nested function", () => check(closures.nestedFunction, [rand(2, 3), rand(2, 3)]));
  test("closure capturing a parameter", () => check(closures.capturesParam, [rand(2, 3), rand(3, 3)]));
  test("closure capturing a tracked local, called in a loop", () =>
    check(closures.capturesInLoop, [rand(2, 3), mulScalar(rand(2, 3), 0.3), 3], [0, 1]));
  test("closure defined in a loop body", () => check(closures.closureInLoop, [[rand(2, 3), rand(2, 3)], rand(2, 3)]));
  test("closure passed to a function of another module", () => check(closures.passesClosure, [rand(2, 3), rand(3, 3)]));
  test("imported function passed as an argument", () => check(closures.passesImported, [rand(2, 3)]));
  test("calls across modules", () => check(closures.crossModule, [rand(2, 3), rand(3, 3), rand(3, 3)]));
  test("recursion", () => {
    for (const depth of [0, 1, 4]) check(closures.recurse, [rand(2, 3), rand(3, 3), depth], [0, 1]);
  });
  test("mutual recursion", () => check(closures.even, [rand(2, 3), 4], [0]));
  test("closures nested two deep", () => check(closures.nestedClosures, [rand(2), rand(2)]));
  test("a recursive closure", () => check(closures.recursiveClosure, [rand(2), rand(2), 3], [0, 1]));
  test("recursion over a nested array", () => check(closures.sumTree, [[[rand(2), rand(2)], [rand(2)]]]));
  test("an immediately invoked arrow", () => check(closures.iife, [rand(2)]));
  test("a local higher-order function", () => check(closures.localHigherOrder, [rand(2, 3), rand(3, 3)]));
  test("a module-level function expression taking a function", () => check(closures.moduleHigherOrder, [rand(2, 3), rand(3, 3)]));
  test("a closure returning the new accumulator", () => check(closures.accumulateWithClosure, [rand(2), rand(2), rand(2)]));
  test("a call to a function declared further down", () => check(closures.hoistedUse, [rand(2)]));
  test("a function declaration in a loop body", () => check(closures.declInLoop, [[rand(2), rand(2)], rand(2)]));
  test("a function expression passed as an argument", () => check(closures.fnExprArg, [rand(2), rand(2)]));
  test("functions stored in an object", () => {
    for (const k of ["a", "b"] as const) check(closures.fromObject, [rand(2), k], [0]);
  });
  test("functions stored in an array", () => check(closures.fromArray, [rand(2)]));
  test("a module object with a function property", () => check(closures.usesModel, [rand(2, 2), rand(2, 2)]));
  test("recursion building an array with spread", () => check(closures.sumOfNested, [rand(2)]));
  test("assigning a tracked value to a captured variable instead is a load-time error", () => {
    const source =
      'import { add, mul, type Tensor } from "@pullback/tensor";\nexport function f(x: Tensor, a: Tensor): Tensor {\n  let acc = x;\n  const addTo = (y: Tensor) => {\n    acc = add(acc, mul(y, x));\n  };\n  addTo(a);\n  return acc;\n}\n';
    expect(() => transformAd(source, "captured.ad.ts", { noCache: true })).toThrow(
      /captured\.ad\.ts:5:5: error: a nested function cannot assign `acc`, a variable of the function that encloses it/,
    );
  });
  test("a closure returned by a function (unsupported): its pullback throws instead of losing the gradient", () => {
    const [y, back] = pullback(closures.usesMadeClosure, rand(2, 3), rand(2, 3));
    expect(() => back(Tensor.ones(y.shape, "float64"))).toThrow(/capturing tracked values of makeShift was differentiated outside makeShift/);
  });
});

describe("numbers", () => {
  test("arithmetic operators", () => check(numbers.arithmetic, [0.8, 1.3]));
  test("Math.exp, log, sqrt, tanh", () => check(numbers.mathFunctions, [0.4, 1.7]));
  test("**", () => check(numbers.powers, [1.3, 0.6]));
  test("compound assignment", () => check(numbers.compound, [0.9, 1.4]));
  test("a series in a loop", () => check(numbers.series, [0.7, 6], [0]));
  test("numbers in a tree", () => check(numbers.numberTree, [{ a: 0.5, bs: [0.3, -0.8, 1.1] }, 0.9]));
  test("Math.max, min, abs", () => {
    check(numbers.piecewise, [1.5, 0.4]);
    check(numbers.piecewise, [-0.5, 0.8]);
  });
  test("Math.pow, max of three, atan, cos, log1p", () => check(numbers.moreMath, [0.7, 1.3]));
  test("numbers computed from tensors", () => check(numbers.mixedNumbers, [rand(2, 3), rand(2, 3), 0.4]));
  test("a tracked number from a tensor as an op argument", () => check(numbers.numberFromTensor, [rand(2, 3)]));
  test("numbers computed from a tracked number as op arguments", () => check(numbers.activeScalarArgs, [rand(2), 0.3]));
  test("**= and -=", () => check(numbers.powAssign, [1.3]));
  test("% on tracked numbers", () => check(numbers.modulo, [2.3, 0.7]));
  test("Math.floor and Math.round carry no gradient", () => check(numbers.floors, [1.3]));
  test("valueAndGrad of a number function", () => {
    const [v, [da, db]] = valueAndGrad(numbers.arithmetic, { argnums: [0, 1] })(2, 1);
    const c = 2 * 1 - 2 / 4;
    expect(v).toBeCloseTo(-c + c * c, 12);
    const dc = -1 + 2 * c;
    expect(da).toBeCloseTo(dc * (1 - 1 / 4), 12);
    expect(db).toBeCloseTo(dc * (2 + 2 / 16), 12);
  });
});

describe("custom rules", () => {
  test("stopGradient: the stopped path gives exactly zero", () => {
    const x = rand(2, 3),
      w = rand(2, 3),
      dy = rand(2, 3);
    const [, back] = pullback(custom.stopped, x, w);
    const [dx, dw] = back(dy);
    expect(values(dx)).toEqual(values(mul(dy, x)));
    expect(values(dw)).toEqual(values(dy));
  });
  test("stopGradient of a nested structure", () => {
    const x = rand(2, 3),
      p = { a: rand(2, 3), bs: [rand(2, 3), rand(2, 3)] };
    const [y, back] = pullback(custom.stoppedTree, x, p);
    const [dx, dp] = back(Tensor.ones(y.shape, "float64"));
    expect(isZeroTensor(dp.a, [2, 3])).toBe(true);
    expect(isZeroTensor(dp.bs[0], [2, 3])).toBe(true);
    expect(values(dp.bs[1])).toEqual(values(x));
    expect(values(dx)).toEqual(values(add(mul(p.a, p.bs[0]), p.bs[1])));
  });
  test("nonDifferentiable: its result is a constant (no gradient through the norm)", () => {
    const x = rand(2, 3),
      dy = rand(2, 3);
    const before = custom.counts.norm;
    const [, back] = pullback(custom.scaledByNorm, x);
    expect(custom.counts.norm).toBe(before + 1);
    const [dx] = back(dy);
    const n = Math.sqrt(values(x).reduce((s, v) => s + v * v, 0));
    values(dx).forEach((d, i) => expect(d).toBeCloseTo((values(dy)[i] * (1 - Math.tanh(values(x)[i]) ** 2)) / (1 + n), 12));
  });
  test("nonDifferentiable: a piecewise-constant function reading .data", () => {
    const before = custom.counts.positives;
    check(custom.scaledByCount, [rand(3, 4)]);
    expect(custom.counts.positives).toBeGreaterThan(before);
  });
  test("customVjp: the custom rule (3·dy) is used, not exp'", () => {
    const x = rand(2, 3),
      w = rand(2, 3),
      dy = rand(2, 3);
    const [, back] = pullback(custom.usesCustom, x, w);
    const [dx] = back(dy);
    expect(values(dx)).toEqual(values(mulScalar(mul(dy, w), 3)));
    check(custom.usesCustom, [x, w], [1]);
  });
  test("defineRrule: a straight-through estimator", () => {
    const [, [dx, dy]] = valueAndGrad(custom.usesRoundish, { argnums: [0, 1] })(0.37, 2);
    expect(dx).toBe(20);
    expect(dy).toBe(4);
  });
  test("checkpoint: same gradients, and f's forward re-runs in the pullback", () => {
    const x = rand(2, 3),
      w1 = rand(3, 3),
      w2 = rand(3, 3),
      dy = rand(2, 3);
    let start = custom.counts.forward;
    const [y1, back1] = pullback(custom.plain, x, w1, w2);
    expect(custom.counts.forward - start).toBe(2);
    const g1 = back1(dy);
    expect(custom.counts.forward - start).toBe(2);
    start = custom.counts.forward;
    const [y2, back2] = pullback(custom.checkpointed, x, w1, w2);
    expect(custom.counts.forward - start).toBe(2);
    const g2 = back2(dy);
    expect(custom.counts.forward - start).toBe(4); // each block's forward ran again in the pullback
    expect(values(y2)).toEqual(values(y1));
    for (let i = 0; i < 3; i++) expect(values(g2[i])).toEqual(values(g1[i]));
    check(custom.checkpointed, [x, w1, w2]);
  });
  test("checkpoint of a closure capturing a tracked weight", () => check(custom.checkpointedClosure, [rand(2, 3), rand(3, 3)]));
  test("a stopGradient value logged into a module variable", () => {
    const x = rand(2, 3);
    check(custom.logged, [x]);
    custom.logged(x);
    expect(custom.lastNorm).toBeCloseTo(
      values(x).reduce((s, v) => s + Math.tanh(v) ** 2, 0),
      12,
    );
  });
});

describe("losses", () => {
  const model = (): losses.Model => ({ w1: rand(3, 5), b1: rand(5), w2: rand(5, 4) });
  const targets = Int32Array.from([0, 3, 1]);
  test("crossEntropy returning a number: valueAndGrad with argnums", () => {
    const p = model(),
      x = rand(3, 3);
    const [value, [dp, dx]] = valueAndGrad(losses.loss, { argnums: [0, 1] })(p, x, targets);
    expect(typeof value).toBe("number");
    expect(dp.w1.shape).toEqual([3, 5]);
    expect(dx.shape).toEqual([3, 3]);
    check(losses.loss, [p, x, targets], [0, 1]);
  });
  test("hasAux: [loss, aux]", () => {
    const p = model(),
      x = rand(3, 3);
    const [[value, aux], [dp, ddecay]] = valueAndGrad(losses.lossWithAux, { argnums: [0, 3], hasAux: true })(p, x, targets, 0.01);
    expect(value).toBeCloseTo(aux.ce + 0.01 * aux.l2, 12);
    expect(ddecay).toBeCloseTo(aux.l2, 10);
    expect(dp.b1.shape).toEqual([5]);
    check(losses.lossWithAux, [p, x, targets, 0.01], [0, 1, 3]);
  });
});

describe("a tiny GPT", () => {
  const V = 7,
    C = 4,
    T = 3;
  const lin = (m: number, n: number): model.Linear => ({ w: mulScalar(rand(m, n), 0.5), b: mulScalar(rand(n), 0.1) });
  const norm = (): model.Linear => ({ w: add(Tensor.ones([C], "float64"), mulScalar(rand(C), 0.1)), b: mulScalar(rand(C), 0.1) });
  const block = (): model.Block => ({ ln1: norm(), qkv: lin(C, 3 * C), proj: lin(C, C), ln2: norm(), fc: lin(C, 4 * C), out: lin(4 * C, C) });
  const gpt = (): model.Gpt => ({ wte: rand(V, C), wpe: mulScalar(rand(T, C), 0.5), blocks: [block(), block()], lnf: norm() });
  const tokens = Int32Array.from([3, 0, 6]),
    targets = Int32Array.from([0, 6, 2]);
  test("gradients of every parameter (embeddings, two blocks, tied output)", () => check(model.gptLoss, [gpt(), tokens, targets, { heads: 2 }], [0]));
  test("valueAndGrad: a number loss and a gradient tree shaped like the model", () => {
    const [loss, g] = valueAndGrad(model.gptLoss)(gpt(), tokens, targets, { heads: 2 });
    expect(typeof loss).toBe("number");
    expect(g.blocks[1].fc.w.shape).toEqual([C, 4 * C]);
    expect(g.wpe.shape).toEqual([T, C]);
  });
});

describe("pullbacks can be called again", () => {
  /** A random cotangent shaped like y (Tensors and numbers in arrays and objects). */
  const like = (y: unknown): unknown =>
    y instanceof Tensor
      ? rand(...y.shape)
      : typeof y === "number"
        ? num()
        : Array.isArray(y)
          ? y.map(like)
          : Object.fromEntries(Object.entries(y as object).map(([k, v]) => [k, like(v)]));
  const text = (ds: unknown) => JSON.stringify(ds, (_, v) => (v instanceof Tensor ? Array.from(v.data) : v));
  const cases: [string, (...args: any[]) => any, () => unknown[]][] = [
    ["a tape with loops and labels", flow.labeledBreak, () => [rand(2, 3), rand(3, 3), 4]],
    ["a static rule", fanout.sharedWeight, () => [rand(3, 3), rand(3, 3)]],
    ["closures called in a loop", closures.capturesInLoop, () => [rand(2, 3), rand(2, 3), 3]],
    ["a closure passed to another module", closures.passesClosure, () => [rand(2, 3), rand(3, 3)]],
    ["a checkpointed closure", custom.checkpointedClosure, () => [rand(2, 3), rand(3, 3)]],
    ["recursion with an object result", structures.recursiveStructure, () => [[rand(2), rand(2), rand(2)], 0]],
  ];
  for (const [name, f, args] of cases) {
    test(name, () => {
      const [y, back] = pullback(f, ...args());
      const dy = like(y);
      expect(text(back(dy))).toBe(text(back(dy)));
    });
  }
});

describe("activity", () => {
  const file = new URL("./programs/activity.ad.ts", import.meta.url).pathname;
  const generated = transformAd(readFileSync(file, "utf8"), file, { noCache: true }).code;
  /** The generated rule of `name` (forward and pullback). */
  const ruleText = (name: string): string => {
    const start = generated.indexOf(`function ${name}__rrule(`);
    expect(start).toBeGreaterThan(0);
    const end = generated.indexOf("\nfunction ", start + 1);
    return generated.slice(start, end < 0 ? undefined : end);
  };
  /** Every rule call of a rule: ops, number and Math rules, registry lookups. */
  const ruleCalls = (text: string): string[] =>
    [...text.matchAll(/__ops\.(\w+)\(|__ad\.(num|math)\.(\w+)\(|__ad\.ruleOf\((\w+)/g)].map(
      (m) => m[1] ?? (m[3] ? `${m[2]}.${m[3]}` : `ruleOf ${m[4]}`),
    );

  test("shapes, a config object and indices: no rule call and no cotangent for them", () => {
    const rule = ruleText("windowed");
    expect(ruleCalls(rule)).toEqual(["splitAt", "reshape", "reshape", "take", "mulScalar", "add", "take", "add", "tanh", "sumAlong"]);
    // The shape and index computations are copied as written, with no cotangent variables.
    for (const line of [
      "const rows = x.shape[0];",
      "const n = Math.min(cfg.n, rows);",
      "const width = n * cols;",
      "const first = ids[0] % cols;",
      "for (let i = 0; i < cfg.n; i++) {",
    ])
      expect(rule).toContain(line);
    expect(rule).not.toMatch(/d_cfg|d_n\b|d_width|d_rows|d_first|d_ids/);
    expect(rule).toContain("return [d_x, d_w, null, null];");
  });
  test("shapes, a config object and indices: gradients", () => {
    const x = rand(4, 3),
      w = rand(5, 3),
      cfg = { n: 2 },
      ids = Int32Array.from([4, 0, 2]);
    check(activity.windowed, [x, w, cfg, ids], [0, 1]);
    const [, back] = pullback(activity.windowed, x, w, cfg, ids);
    const [, , dcfg, dids] = back(rand(3));
    expect(dcfg).toEqual({ n: 0 });
    expect(dids).toBeNull();
  });
  test("a config value that is differentiated (cfg.scale) gets its cotangent, the loop bound none", () => {
    const rule = ruleText("configScale");
    expect(rule).toContain('d_cfg = __ad.accAt(d_cfg, "scale"');
    expect(rule).not.toContain('"n"');
    const x = rand(2, 3),
      dy = rand(2, 3);
    check(activity.configScale, [x, { n: 3, scale: 0.8 }], [0]);
    // cfg.scale by central differences (cfg.n, a loop count, cannot be perturbed).
    const [, back] = pullback(activity.configScale, x, { n: 3, scale: 0.8 });
    const [, dcfg] = back(dy);
    const at = (scale: number) => values(mul(activity.configScale(x, { n: 3, scale }), dy)).reduce((a, b) => a + b, 0);
    expect(dcfg.n).toBe(0);
    expect(dcfg.scale).toBeCloseTo((at(0.8 + 1e-6) - at(0.8 - 1e-6)) / 2e-6, 6);
  });
  test("an optional config object (?. and ??) as a loop bound", () => {
    check(activity.optionalInactive, [rand(2)], [0]);
    check(activity.optionalInactive, [rand(2), { n: 3 }], [0]);
    expect(ruleCalls(ruleText("optionalInactive"))).toEqual(["tanh"]);
  });
});
