// Second order at the edges: tracked values read where no derivative flows (tests, `&&`/`||`,
// for headers, computed keys, assignments, calls, throws, shorthand properties), arguments no
// derivative flows from given a tangent, explicit mode (primal, detach), checkpoint and customVjp
// with numbers, a transformer block (float64 against central differences; float32; MemoryPool),
// and bad input to hvp and hessian. Each is what first order does, differentiated — or a clear error.
import { describe, expect, test } from "bun:test";
import { grad, gradcheckFunction, hessian, hvp, hvpcheck, setAnomalyDetection } from "@pullback/ad";
import { MemoryPool, mulScalar, Rng, sum, tanh, Tensor } from "@pullback/tensor";
import * as F from "./edge_cases.ad.ts";
import * as G from "./functions.ad.ts";

const rng = new Rng(7);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const check = (f: any, args: unknown[], argnums?: number[]) => expect(hvpcheck(f, args, argnums ? { argnums } : {}).ok).toBe(true);

describe("tracked values read where no derivative flows", () => {
  test("`||` on a tracked zero picks as first order does (a DualNumber is an object, always truthy)", () => {
    const a = 1.5;
    // first order: s = 0 is falsy, t = a, f = a²: grad [2a, 0], H [[2,0],[0,0]]
    const g = grad(F.orFallback, { argnums: [0, 1] })(a, 0);
    expect(g).toEqual([3, 0]);
    const [ha, hb] = hvp(F.orFallback, [a, 0], [1, 0]);
    expect([ha, hb]).toEqual([2, 0]);
  });
  test("`&&` on a tracked zero", () => {
    const a = 1.5;
    const [ha, hb] = hvp(F.andPick, [a, 0], [1, 0]);
    // t = s = 0 (falsy): f = 0 + a³: H·e0 = [6a, 0]
    expect([ha, hb]).toEqual([6 * a, 0]);
  });
  test("a for-loop test reading a tracked number", () => check(F.forUntilTracked, [r(3)]));
  test("an index computed from a tracked number", () => check(F.indexByTracked, [[1.5, 2.5, 3.5], 1.3], [1]));
  test("a Map keyed by a value computed from a tracked number", () => check(F.mapKey, [2.2]));
  test("a template string of a value computed from a tracked number", () => check(F.templateKey, [2.2]));
  test("`?.` and `??` on tracked values", () => check(F.optionalChain, [{ w: r(3), b: 0.7 }, r(3)]));
  test("a shorthand property `{ s }` in a test (the generated code keeps its key)", () => check(F.shorthandInTest, [0.8]));
  test("an assignment inside a while test", () => check(F.assignInTest, [0.8]));
  test("recursion", () => check(F.cube, [0.8]));
  test("typeof, in and instanceof in a test", () => check(F.typeTests, [r(3), { a: 0.6 }]));
  test("Number() of a tracked number", () => check(F.numberCall, [1.3]));
  test("a nonDifferentiable helper reading the elements", () => check(F.withNonDiff, [r(3)]));
  test("a loop count given a tangent: it changes nothing (first order does not differentiate it either)", () => {
    const [x, w, vx, vw] = [r(2, 3), r(3, 3), r(2, 3), r(3, 3)];
    const [hx, hw, hn] = hvp(G.forLoop, [x, w, 3], [vx, vw, 1]);
    const [ex, ew] = hvp(G.forLoop, [x, w, 3], [vx, vw]);
    expect(Array.from(hx.data)).toEqual(Array.from(ex.data));
    expect(Array.from(hw.data)).toEqual(Array.from(ew.data));
    expect(hn).toBe(0);
  });
});

describe("explicit mode, structures, rules from elsewhere", () => {
  test("an explicit-mode function through primal (its number output keeps its cotangent)", () => check(F.viaPrimal, [r(2, 3), r(2, 3)]));
  test("explicit detach drops the tangent, as stopGradient does", () => {
    const [x, v] = [r(4), r(4)];
    const [hs] = hvp(F.stoppedExp, [x], [v]);
    const [hd] = hvp(F.detachedViaPrimal, [x], [v]);
    expect(Array.from(hd.data)).toEqual(Array.from(hs.data));
    expect(Array.from(hd.data).every((h) => h === 0)).toBe(true);
  });
  test("object spread, Object.entries/values/fromEntries, reduce", () => check(F.structures, [{ a: r(3), b: r(3) }, r(3)]));
  test("functions of another .ad.ts module", () => check(F.otherModules, [r(3, 3), r(3, 3), r(3, 3)]));
  test("checkpoint with a number argument", () => check(F.checkpointNumber, [r(2, 3), 0.8]));
  test("customVjp with a number argument", () => check(F.customNumber, [r(2, 3), 0.8]));
  test("layerNorm, softmax, crossEntropy with Int32Array targets", () =>
    check(F.classifier, [r(4, 3), r(3, 5), r(5), r(5), new Int32Array([0, 4, 2, 1])], [0, 1, 2, 3]));
  test("the same, every argument given a tangent (none for the targets)", () =>
    check(F.classifier, [r(4, 3), r(3, 5), r(5), r(5), new Int32Array([0, 4, 2, 1])]));
  test("grad of a function calling grad(f, { argnums: [0, 1] })", () =>
    expect(gradcheckFunction(F.gradBoth, [r(2, 3), r(2, 3)], { argnums: [0, 1] }).ok).toBe(true));
  test("grad of a function calling grad of a function of numbers", () => {
    const [a, b] = [0.7, -0.4];
    const g = grad(F.gradOfNumber, { argnums: [0, 1] })(a, b);
    const h = 1e-6;
    const num = (i: number) =>
      (F.gradOfNumber(...([a, b].map((x, j) => (j === i ? x + h : x)) as [number, number])) -
        F.gradOfNumber(...([a, b].map((x, j) => (j === i ? x - h : x)) as [number, number]))) /
      (2 * h);
    expect(g[0]).toBeCloseTo(num(0), 6);
    expect(g[1]).toBeCloseTo(num(1), 6);
  });
  test("hessian of a lambda of numbers without a rule says so", () => {
    expect(() => hessian((a: number) => F.cubic(a, 0.5))(0.3)).toThrow(/hessian: an anonymous function has no rule .* Define it in an .ad.ts file/);
  });
});

describe("a transformer block, and numbers that are not differentiated", () => {
  const blockParams = () => ({
    emb: r(7, 4),
    g: r(4),
    b: r(4),
    wqkv: mulScalar(r(4, 12), 0.5),
    w1: mulScalar(r(4, 8), 0.5),
    w2: mulScalar(r(8, 4), 0.5),
    head: r(4, 7),
  });
  const tokens = new Int32Array([1, 3, 3, 6, 0]);
  const targets = new Int32Array([3, 3, 6, 0, 2]);
  test("transformer block: parameters", () => check(F.block, [blockParams(), tokens, targets, 2, 11], [0]));
  test("transformer block: tangents on heads and seed change nothing", () => {
    const [p, v] = [blockParams(), blockParams()];
    const [with_, , , hh, hs] = hvp(F.block, [p, tokens, targets, 2, 11], [v, null, null, 1, 1]);
    const [without] = hvp(F.block, [p, tokens, targets, 2, 11], [v]);
    for (const k of Object.keys(p)) expect(Array.from((with_ as any)[k].data)).toEqual(Array.from((without as any)[k].data));
    expect([hh, hs]).toEqual([0, 0]);
  });
  test("transformer block in float32 agrees with float64", () => {
    const p = blockParams();
    const v = blockParams();
    const f32 = (t: typeof p) => Object.fromEntries(Object.entries(t).map(([k, x]) => [k, x.to("float32")])) as typeof p;
    const [h64] = hvp(F.block, [p, tokens, targets, 2, 11], [v]);
    const [h32] = hvp(F.block, [f32(p), tokens, targets, 2, 11], [f32(v)]);
    for (const k of Object.keys(p)) {
      const a = Array.from((h64 as any)[k].data as Float64Array);
      const b = Array.from((h32 as any)[k].data as Float32Array);
      const scale = Math.max(...a.map(Math.abs));
      a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-3 * scale));
    }
  });
  test("inside MemoryPool.run: the same H·v", () => {
    const p = blockParams();
    const v = blockParams();
    const [outside] = hvp(F.block, [p, tokens, targets, 2, 11], [v]);
    const pool = new MemoryPool();
    const inside = pool.run(() => {
      const [h] = hvp(F.block, [p, tokens, targets, 2, 11], [v]);
      return Object.fromEntries(Object.entries(h as Record<string, Tensor>).map(([k, t]) => [k, Array.from(t.data)]));
    });
    for (const k of Object.keys(p)) expect(inside[k]).toEqual(Array.from((outside as any)[k].data));
  });
  test("inside MemoryPool.run, attention with dropout: its mask outlives the forward rule that made it", () => {
    const [qkv, w] = [Tensor.randn([4, 12], { seed: 1 }), Tensor.randn([4, 3], { seed: 2 })];
    const [tq, tw] = [Tensor.randn([4, 12], { seed: 3 }), Tensor.randn([4, 3], { seed: 4 })];
    const flat = (h: Tensor[]) => h.map((t) => Array.from(t.data));
    const outside = flat(hvp(F.rowsAttention, [qkv, w], [tq, tw]));
    const inside = new MemoryPool().run(() => flat(hvp(F.rowsAttention, [qkv, w], [tq, tw])));
    expect(inside).toEqual(outside);
  });
  test("a test holding a function literal still reads the tracked value (s === 2)", () => {
    expect(grad(F.testWithLiteral)(2, [1])).toBe(12);
    expect(hvp(F.testWithLiteral, [2, [1]], [1, null])[0]).toBe(12); // (s³)'' = 6s
  });
  test("an argument passed twice is one value: an identity test compares as at first order", () => {
    const xs = [r(3)];
    const v = [r(3)];
    // f = Σ x·x·y taken on the same array (y = x): along (v, v), (H·v)ₓ = 2y·v + 2x·v = 4x·v, (H·v)ᵧ = 2x·v
    const [hx, hy] = hvp(F.sameArrays, [xs, xs], [v, v]) as Tensor[][];
    const xv = Array.from(xs[0].data, (x, i) => x * (v[0].data[i] as number));
    Array.from(hx[0].data).forEach((got, i) => expect(got).toBeCloseTo(4 * xv[i], 12));
    Array.from(hy[0].data).forEach((got, i) => expect(got).toBeCloseTo(2 * xv[i], 12));
  });
  test("a number used as a scale, a loop count and an index", () => {
    // n = 2.5: n ± ε keeps the loop count (3) and the index (⌊n⌋ mod 2 = 0), so central differences judge ∂/∂n too
    check(F.scaleAndCount, [r(2, 3), 2.5]);
  });
});

describe("bad input to hvp and hessian", () => {
  test("a tangent of another dtype", () => {
    expect(() => hvp(G.sumTanh, [r(3)], [r(3).to("float32")])).toThrow(/hvp: the tangent of argument 0 is float32, the argument float64/);
  });
  test("a tangent for an index array", () => {
    expect(() =>
      hvp(F.classifier, [r(4, 3), r(3, 5), r(5), r(5), new Int32Array([0, 4, 2, 1])], [null, null, null, null, new Int32Array(4)]),
    ).toThrow(/hvp: the tangent of argument 4 is given, but the argument holds no Tensor or number/);
  });
  test("more tangents than arguments", () => {
    expect(() => hvp(G.sumTanh, [r(3)], [r(3), r(3)])).toThrow(/hvp: 2 tangents for 1 arguments/);
  });
  test("a tangent with a key the argument has not", () => {
    expect(() => hvp(F.structures, [{ a: r(3), b: r(3) }, r(3)], [{ a: r(3), c: r(3) }])).toThrow(/hvp: the tangent of argument 0 has the key c/);
  });
  test("a number tangent for a Tensor", () => {
    expect(() => hvp(G.sumTanh, [r(3)], [1])).toThrow(/hvp: the tangent of argument 0 must be a Tensor of shape \(3\), got number/);
  });
  test("a non-scalar f", () => {
    expect(() => hvp(G.softplus, [r(3)], [r(3)])).toThrow(/hvp: f must return a scalar .* got a Tensor of shape \(3\)/);
    expect(() => hessian(G.softplus)(r(3))).toThrow(/hessian: f must return a scalar .* got a Tensor of shape \(3\)/);
  });
  test("primals not an array", () => {
    expect(() => hvp(G.sumTanh, r(3) as any, [r(3)])).toThrow(/hvp\(f, primals, v\): primals and v must be arrays/);
  });
  test("hessian of a Tensor-valued lambda without a rule", () => {
    expect(() => hessian((x: Tensor) => sum(tanh(x)))(r(3))).toThrow(/hessian: f must return \[output, pullback\]/);
  });
  test("hessian in float32 has float32 entries close to float64", () => {
    const x = r(3);
    const H64 = hessian(G.sumTanh)(x);
    const H32 = hessian(G.sumTanh)(x.to("float32"));
    expect(H32.dtype).toBe("float32");
    expect(H32.shape).toEqual([3, 3]);
    Array.from(H64.data).forEach((h, i) => expect(H32.data[i]).toBeCloseTo(h, 5));
  });
});

test("a tracked number as an index and as computed keys", () => {
  const xs = [r(3), r(3), r(3)];
  check(F.trackedKeys, [xs, 1], [0]);
  const [hxs, hn] = hvp(F.trackedKeys, [xs, 1], [[r(3), r(3), r(3)], 1]);
  // f = n³·‖x₁‖² along x₁ and n: ∂²f/∂n² = 6n‖x₁‖², ∂²f/∂n∂x₁ = 6n²·x₁ (the index does not move)
  expect(hxs[0].data.every((v: number) => v === 0)).toBe(true);
  const x1 = Array.from(xs[1].data);
  const sq = x1.reduce((s, v) => s + v * v, 0);
  const [gxs] = [grad(F.trackedKeys, { argnums: [0, 1] })(xs, 1)];
  expect(gxs[1]).toBeCloseTo(3 * sq, 10);
  void hn;
});

test("statements that read tracked values: assignments, a call, a throw", () => {
  // x scaled so that ‖x‖² ± ε keeps ⌊s⌋, ⌈s⌉ and round(s)
  const x = mulScalar(Tensor.ones([3], "float64"), Math.sqrt(2.3 / 3));
  check(F.readsInStatements, [x]);
  expect(F.seenValues().every((v) => v === String(Math.round(2.3 * 1000)))).toBe(true);
});

test("a constant table at a tracked index; an untracked part of an object spread", () => {
  check(F.constantTable, [{ w: mulScalar(Tensor.ones([3], "float64"), 0.9) }, 1], [0]);
  const [, hn] = hvp(F.constantTable, [{ w: mulScalar(Tensor.ones([3], "float64"), 0.9) }, 1], [null, 1]);
  // c = 2.5: ∂²(c·n²·s)/∂n² = 2·c·s, s = 3·0.81
  expect(hn).toBeCloseTo(2 * 2.5 * 3 * 0.81, 10);
});

describe("anomaly detection while a second derivative is taken", () => {
  test("it checks values carrying tangents: the same H·v", () => {
    const args: [Tensor, Tensor, Tensor] = [r(3, 4), mulScalar(r(4, 5), 0.5), mulScalar(r(5, 2), 0.5)];
    const v = [r(3, 4), r(4, 5), r(5, 2)];
    const plain = hvp(G.network, args, v);
    const previous = setAnomalyDetection(true);
    try {
      const watched = hvp(G.network, args, v);
      watched.forEach((h, k) => expect(Array.from(h.data)).toEqual(Array.from(plain[k].data)));
    } finally {
      setAnomalyDetection(previous);
    }
  });
  test("a tangent that is not finite is an AnomalyError naming it", () => {
    const x = r(3);
    const v = Tensor.from([1, Number.POSITIVE_INFINITY, 0], [3], "float64");
    const previous = setAnomalyDetection(true);
    try {
      expect(() => hvp(G.sumTanh, [x], [v])).toThrow(/tanh output is not finite: the tangent of tensor \(3\) has Infinity at flat index 1/);
    } finally {
      setAnomalyDetection(previous);
    }
  });
});
