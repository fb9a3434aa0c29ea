// gradcheck of the neural-network rrules (the explicit form of @pullback/tensor's rules/nn.ts): softmax, logSoftmax, layerNorm,
// crossEntropy, attention and attentionRows (causal; with and without dropout; T not a multiple of any tile),
// dropout, take (repeated indices), pick; and the structural rules of @pullback/ad (fork,
// splitFirst, detach, attach). Forward vs the plain op; float32 (Zig) vs float64 pullback.
import { describe, expect, test } from "bun:test";
import { attach, detach, fork, gradcheck, splitFirst } from "@pullback/ad";
import * as ops from "@pullback/tensor";
import * as rr from "@pullback/tensor/rrules";
import { checkRule, rand, RuleLog } from "./helpers.ts";

const log = new RuleLog("nn");
type Triple = [ops.Tensor, ops.Tensor, ops.Tensor];

describe("softmax rrules", () => {
  const shapes = [[1], [1, 1], [3, 7], [2, 3, 5], [1, 17], [4, 1]];
  test("softmax", () => {
    shapes.forEach((s, i) => checkRule(log, "softmax", rr.softmax, rand(s, i, -3, 3), { plain: ops.softmax, seed: i }));
    checkRule(log, "softmax", rr.softmax, rand([65, 129], 9, -3, 3), { plain: ops.softmax, skipGradcheck: true });
  });
  test("logSoftmax", () => {
    shapes.forEach((s, i) => checkRule(log, "logSoftmax", rr.logSoftmax, rand(s, i, -3, 3), { plain: ops.logSoftmax, seed: i }));
    checkRule(log, "logSoftmax", rr.logSoftmax, rand([65, 129], 9, -3, 3), { plain: ops.logSoftmax, skipGradcheck: true });
  });
});

describe("layerNorm rrule", () => {
  test("(…, C) with C = 1, 3, 8, 5 and leading dims", () => {
    const shapes = [
      [4, 1],
      [1, 3],
      [3, 8],
      [2, 3, 5],
      [1, 1, 7],
    ];
    shapes.forEach((s, i) => {
      const c = s[s.length - 1];
      const x: Triple = [rand(s, i, -2, 2), rand([c], 10 + i, 0.5, 1.5), rand([c], 20 + i)];
      checkRule(log, "layerNorm", rr.layerNorm, x, { plain: ([a, w, b]: Triple) => ops.layerNorm(a, w, b), seed: i });
    });
    // another eps
    checkRule(log, "layerNorm", rr.layerNorm, [rand([3, 4], 5), rand([4], 6), rand([4], 7)], {
      args: [0.1],
      plain: ([a, w, b]: Triple, eps: number) => ops.layerNorm(a, w, b, eps),
    });
  });
  test("float32 path at the model's width (C = 64) and an odd one", () => {
    for (const [n, c] of [
      [129, 64],
      [63, 17],
    ]) {
      const x: Triple = [rand([n, c], 1, -2, 2), rand([c], 2, 0.5, 1.5), rand([c], 3)];
      checkRule(log, "layerNorm", rr.layerNorm, x, { plain: ([a, w, b]: Triple) => ops.layerNorm(a, w, b), skipGradcheck: true });
    }
  });
});

describe("crossEntropy rrule", () => {
  test("(N, V) with repeated targets, N = 1, V = 1", () => {
    const cases: [number[], number[]][] = [
      [[1, 1], [0]],
      [[1, 5], [3]],
      [
        [3, 5],
        [0, 4, 2],
      ],
      [
        [7, 4],
        [1, 1, 1, 3, 0, 1, 2],
      ],
    ];
    cases.forEach(([shape, targets], i) => {
      checkRule(log, "crossEntropy", rr.crossEntropy, rand(shape, i, -3, 3), {
        args: [targets],
        plain: (x: ops.Tensor, t: number[]) => ops.crossEntropy(x, t),
        seed: i,
      });
    });
    const targets = Int32Array.from({ length: 65 }, (_, i) => (i * 37) % 129);
    checkRule(log, "crossEntropy", rr.crossEntropy, rand([65, 129], 5, -3, 3), {
      args: [targets],
      plain: (x: ops.Tensor, t: Int32Array) => ops.crossEntropy(x, t),
      skipGradcheck: true,
    });
  });

  test("overwriteLogits: the pullback writes the same gradient into the logits' buffer, once", () => {
    const targets = Int32Array.from({ length: 9 }, (_, i) => (i * 5) % 13);
    const x = rand([9, 13], 3, -3, 3);
    const expected = rr.crossEntropy(x.clone(), targets)[1](0.7);
    const logits = x.clone();
    const [loss, pullback] = rr.crossEntropy(logits, targets, { overwriteLogits: true });
    expect(loss).toBe(rr.crossEntropy(x, targets)[0]);
    const dx = pullback(0.7);
    expect(dx.data).toBe(logits.data);
    expect(Array.from(dx.data)).toEqual(Array.from(expected.data));
    expect(() => pullback(0.7)).toThrow(/can run only once/);
  });
});

describe("linearCrossEntropy rrule", () => {
  type Pair = [ops.Tensor, ops.Tensor];
  const plain = ([x, w]: Pair, t: number[] | Int32Array, o?: ops.LinearCrossEntropyOptions) => ops.linearCrossEntropy(x, w, t, o);
  test("x (N, C) · w (C, V) with repeated targets, N = 1, C = 1, V = 1, several chunks", () => {
    const cases: [number, number, number, number[], ops.LinearCrossEntropyOptions?][] = [
      [1, 1, 1, [0]],
      [1, 3, 5, [3]],
      [3, 2, 5, [0, 4, 2]],
      [7, 3, 4, [1, 1, 1, 3, 0, 1, 2], { chunkRows: 2 }],
      [6, 1, 2, [1, 0, 0, 1, 1, 1], { chunkRows: 1 }],
    ];
    cases.forEach(([n, c, v, targets, o], i) => {
      const x: Pair = [rand([n, c], 30 + i, -2, 2), rand([c, v], 40 + i, -1, 1)];
      checkRule(log, "linearCrossEntropy", rr.linearCrossEntropy, x, { args: o ? [targets, o] : [targets], plain, seed: i });
    });
    const targets = Int32Array.from({ length: 65 }, (_, i) => (i * 37) % 129);
    checkRule(log, "linearCrossEntropy", rr.linearCrossEntropy, [rand([65, 64], 5, -2, 2), rand([64, 129], 6, -0.5, 0.5)] as Pair, {
      args: [targets],
      plain,
      skipGradcheck: true,
    });
  });

  test("the pullback scales the gradients computed in the forward, and can run again", () => {
    const x = rand([9, 4], 7, -2, 2).to("float32"),
      w = rand([4, 13], 8).to("float32");
    const targets = Int32Array.from({ length: 9 }, (_, i) => (i * 5) % 13);
    const f = ops.linearCrossEntropyForward(x, w, targets);
    const [loss, pullback] = rr.linearCrossEntropy([x, w], targets);
    expect(loss).toBe(f.loss);
    const [dx1, dw1] = pullback(1);
    expect(Array.from(dx1.data)).toEqual(Array.from(f.dx.data));
    expect(Array.from(dw1.data)).toEqual(Array.from(f.dw.data));
    const [dx2, dw2] = pullback(-0.5);
    expect(Array.from(dx2.data)).toEqual(Array.from(f.dx.data, (d) => Math.fround(-0.5 * d)));
    expect(Array.from(dw2.data)).toEqual(Array.from(f.dw.data, (d) => Math.fround(-0.5 * d)));
    expect(dx2.data).not.toBe(dx1.data);
  });
});

describe("attention rrule", () => {
  const plain = ([q, k, v]: Triple, o?: ops.AttentionOptions) => ops.attention(q, k, v, o);
  const qkv = (shape: number[], seed: number): Triple => [rand(shape, seed, -2, 2), rand(shape, seed + 1), rand(shape, seed + 2)];
  test("without dropout: (B, H, T, D) with T = 1, 5, 7, 9 and D = 1, 3, 4", () => {
    const shapes = [
      [1, 1, 1, 1],
      [1, 2, 5, 3],
      [2, 1, 7, 4],
      [1, 1, 9, 2],
    ];
    shapes.forEach((s, i) => checkRule(log, "attention", rr.attention, qkv(s, 10 * i), { plain, seed: i }));
    // default options vs explicit zeros
    checkRule(log, "attention", rr.attention, qkv([1, 2, 5, 3], 7), { args: [{ dropout: 0, seed: 3, offset: 4 }], plain });
  });
  test("with dropout: same seed and offset → the same mask in forward and pullback", () => {
    const cases: [number[], ops.AttentionOptions][] = [
      [[1, 2, 5, 3], { dropout: 0.3, seed: 5, offset: 11 }],
      [[2, 1, 7, 4], { dropout: 0.5, seed: 1, offset: 0 }],
      [[1, 1, 9, 2], { dropout: 0.1, seed: 42, offset: 1000 }],
    ];
    cases.forEach(([s, o], i) => {
      checkRule(log, "attention", rr.attention, qkv(s, 50 + 10 * i), { args: [o], plain, seed: i });
      // deterministic: two calls with the same (seed, offset) give identical outputs and cotangents
      const x = qkv(s, 50 + 10 * i);
      const [y1, pb1] = rr.attention(x, o);
      const [y2, pb2] = rr.attention(x, o);
      expect(Array.from(y1.data)).toEqual(Array.from(y2.data));
      const dy = rand(s, 7);
      expect(pb1(dy).map((t: ops.Tensor) => Array.from(t.data))).toEqual(pb2(dy).map((t: ops.Tensor) => Array.from(t.data)));
      // and another offset gives another mask
      const [y3] = rr.attention(x, { ...o, offset: (o.offset ?? 0) + 1 });
      expect(Array.from(y3.data)).not.toEqual(Array.from(y1.data));
    });
  });
  test("float32 path: T = 65, 129 (not a multiple of the kernel's tiles), D = 4", () => {
    checkRule(log, "attention", rr.attention, qkv([2, 3, 65, 4], 1), { plain, skipGradcheck: true });
    checkRule(log, "attention", rr.attention, qkv([1, 2, 129, 4], 2), {
      args: [{ dropout: 0.2, seed: 9, offset: 3 }],
      plain,
      skipGradcheck: true,
      atol: 5e-5,
    });
  });
});

describe("attentionRows rrule", () => {
  // qkv (B·T, 3C) → out (B·T, C); the plain op is the value; rest = heads, batch, options
  const plain = (x: ops.Tensor, heads: number, batch: number, o?: ops.AttentionOptions) => ops.attentionRows(x, heads, batch, o);
  test("(B, H, T, D) = (1, 1, 1, 1), (2, 2, 5, 3), (3, 1, 7, 4), (1, 3, 9, 2), with and without dropout", () => {
    const cases: [[number, number, number, number], ops.AttentionOptions][] = [
      [[1, 1, 1, 1], {}],
      [[2, 2, 5, 3], {}],
      [[3, 1, 7, 4], { dropout: 0.3, seed: 5, offset: 11 }],
      [[1, 3, 9, 2], { dropout: 0.5, seed: 1, offset: 0 }],
    ];
    cases.forEach(([[B, H, T, D], o], i) => {
      checkRule(log, "attentionRows", rr.attentionRows, rand([B * T, 3 * H * D], 70 + i, -2, 2), { args: [H, B, o], plain, seed: i });
    });
  });
  test("float32 path: T = 65 (not a multiple of the kernel's tiles), D = 4, dropout", () => {
    checkRule(log, "attentionRows", rr.attentionRows, rand([2 * 65, 3 * 12], 3, -2, 2), {
      args: [3, 2, { dropout: 0.2, seed: 9, offset: 3 }],
      plain,
      skipGradcheck: true,
      atol: 5e-5,
    });
  });
});

describe("dropout rrule", () => {
  /** [shape, p, seed, offset] */
  const cases: [number[], number, number, number][] = [
    [[3, 5], 0, 1, 0],
    [[3, 5], 0.25, 1, 0],
    [[1], 0.1, 7, 3],
    [[2, 3, 17], 0.2, 2, 100],
    [[7], 0.5, 3, 5],
  ];
  test("p = 0, 0.1, 0.25, 0.5 over several shapes, seeds and offsets", () => {
    cases.forEach(([s, p, seed, offset], i) =>
      checkRule(log, "dropout", rr.dropout, rand(s, i), { args: [p, seed, offset], plain: ops.dropout, seed: i }),
    );
    checkRule(log, "dropout", rr.dropout, rand([129, 65], 1), { args: [0.2, 11, 12], plain: ops.dropout, skipGradcheck: true });
  });
  test("addDropout (x + dropout(y), fused): p = 0, 0.1, 0.25, 0.5 over several shapes, seeds and offsets", () => {
    type Pair = [ops.Tensor, ops.Tensor];
    const plain = ([x, y]: Pair, p: number, seed: number, offset: number) => ops.addDropout(x, y, p, seed, offset);
    cases.forEach(([s, p, seed, offset], i) =>
      checkRule(log, "addDropout", rr.addDropout, [rand(s, i), rand(s, 40 + i)] as Pair, { args: [p, seed, offset], plain, seed: i }),
    );
    checkRule(log, "addDropout", rr.addDropout, [rand([129, 65], 1), rand([129, 65], 2)] as Pair, {
      args: [0.2, 11, 12],
      plain,
      skipGradcheck: true,
    });
  });
});

describe("indexing rrules", () => {
  test("take: repeated indices accumulate, an index shape, V = 1", () => {
    checkRule(log, "take", rr.take, rand([5, 3], 1), { args: [[0, 2, 2, 4, 0]], plain: ops.take });
    checkRule(log, "take", rr.take, rand([4, 2], 2), {
      args: [
        [3, 3, 1, 0, 3, 2],
        [2, 3],
      ],
      plain: ops.take,
    });
    checkRule(log, "take", rr.take, rand([1, 1], 3), { args: [[0, 0, 0]], plain: ops.take });
    checkRule(log, "take", rr.take, rand([6, 4], 4), { args: [Int32Array.from([5, 1])], plain: ops.take });
    const idx = Int32Array.from({ length: 300 }, (_, i) => (i * i) % 129);
    checkRule(log, "take", rr.take, rand([129, 64], 5), { args: [idx, [3, 100]], plain: ops.take, skipGradcheck: true });
  });
  test("pick: repeated (row, col) pairs accumulate", () => {
    checkRule(log, "pick", rr.pick, rand([3, 4], 1), {
      args: [
        [0, 1, 2, 2],
        [1, 3, 0, 0],
      ],
      plain: ops.pick,
    });
    checkRule(log, "pick", rr.pick, rand([1, 1], 2), {
      args: [
        [0, 0],
        [0, 0],
      ],
      plain: ops.pick,
    });
    checkRule(log, "pick", rr.pick, rand([5, 2], 3), {
      args: [
        [4, 0, 4],
        [1, 1, 1],
      ],
      plain: ops.pick,
    });
    const rows = Int32Array.from({ length: 200 }, (_, i) => i % 65),
      cols = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 129);
    checkRule(log, "pick", rr.pick, rand([65, 129], 4), { args: [rows, cols], plain: ops.pick, skipGradcheck: true });
  });
});

describe("structural rrules (@pullback/ad)", () => {
  test("fork (2 and 3 copies) sums the cotangents", () => {
    checkRule(log, "fork", fork, rand([3, 4], 1), { plain: (x: ops.Tensor) => [x, x] });
    checkRule(log, "fork", fork, rand([2, 5], 2), { args: [3], plain: (x: ops.Tensor) => [x, x, x] });
  });
  test("splitFirst rebuilds the list of cotangents", () => {
    checkRule(log, "splitFirst", splitFirst, [rand([2, 3], 1), rand([3], 2), rand([1], 3)], { plain: (xs: ops.Tensor[]) => [xs[0], xs.slice(1)] });
  });
  test("detach: the value passes, its cotangent is the zero one (null)", () => {
    const x = rand([3, 4], 1);
    const [y, pb] = detach(x);
    expect(y).toBe(x);
    expect(pb(rand([3, 4], 2))).toBeNull();
  });
  test("attach: the constant passes, its cotangent is dropped", () => {
    const c = rand([2, 2], 1);
    const [y, pb] = attach(c);
    expect(y).toBe(c);
    expect(pb(rand([2, 2], 2))).toBeNull();
    // in a composition the attached constant is not differentiated: d/dx (x + c) = 1
    const rule = (x: ops.Tensor) => {
      const [cc, pbc] = attach(c.clone(x.dtype));
      const [z, pbz] = rr.add([x, cc]);
      return [
        z,
        (dz: ops.Tensor) => {
          const [dx, dc] = pbz(dz);
          pbc(dc);
          return dx;
        },
      ] as [ops.Tensor, (dz: ops.Tensor) => ops.Tensor];
    };
    gradcheck(rule, rand([2, 2], 3));
  });
});
