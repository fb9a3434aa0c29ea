// gradcheck of the matrix-product rrules (the explicit form of @pullback/tensor's rules/linalg.ts): matmul (2-D), bmm (3-D, all transpose flags) and linear, sizes
// with 1 and odd sizes; forward vs the plain op; float32 (Zig GEMM with transpose flags) pullback
// vs float64 (reference) pullback.
import { describe, expect, test } from "bun:test";
import * as ops from "@pullback/tensor";
import * as rr from "@pullback/tensor/rrules";
import { checkRule, rand, RuleLog } from "./helpers.ts";

const log = new RuleLog("linalg");
type Pair = [ops.Tensor, ops.Tensor];

describe("matmul rrule", () => {
  test("(M, K)·(K, N), sizes 1 and odd", () => {
    const mkn = [
      [1, 1, 1],
      [3, 4, 5],
      [7, 1, 3],
      [1, 5, 1],
      [1, 6, 4],
      [17, 9, 6],
    ];
    mkn.forEach(([m, k, n], i) => {
      checkRule(log, "matmul", rr.matmul, [rand([m, k], i), rand([k, n], 100 + i)], { plain: ([a, b]: Pair) => ops.matmul(a, b), seed: i });
    });
  });
  test("larger (float32 path only: blocked GEMM, edge tiles)", () => {
    for (const [m, k, n] of [
      [65, 33, 17],
      [129, 64, 127],
    ]) {
      checkRule(log, "matmul", rr.matmul, [rand([m, k], m), rand([k, n], n)], { plain: ([a, b]: Pair) => ops.matmul(a, b), skipGradcheck: true });
    }
  });
});

test("matmul rrule with out: the product lands in the given buffer, the pullback is unchanged", () => {
  const a = rand([5, 3], 1),
    b = rand([3, 4], 2),
    out = ops.Tensor.full([5, 4], Number.NaN);
  const [y, pb] = rr.matmul([a, b], { out });
  expect(y).toBe(out);
  expect(Array.from(y.data)).toEqual(Array.from(ops.matmul(a, b).data));
  const dy = rand([5, 4], 3);
  const [da, db] = pb(dy);
  const [da2, db2] = rr.matmul([a, b])[1](dy);
  expect(Array.from(da.data)).toEqual(Array.from(da2.data));
  expect(Array.from(db.data)).toEqual(Array.from(db2.data));
});

describe("bmm rrule", () => {
  test("(batch, M, K)·(batch, K, N), sizes 1 and odd", () => {
    const shapes = [
      [1, 1, 1, 1],
      [2, 3, 4, 5],
      [3, 1, 7, 2],
      [5, 7, 3, 1],
      [1, 4, 4, 4],
    ];
    shapes.forEach(([bt, m, k, n], i) => {
      checkRule(log, "bmm", rr.bmm, [rand([bt, m, k], i), rand([bt, k, n], 200 + i)], { plain: ([a, b]: Pair) => ops.bmm(a, b), seed: i });
    });
  });
  test("transA / transB: every flag combination (the cotangents come back in the stored layout)", () => {
    let seed = 600;
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        for (const [bt, m, k, n] of [
          [1, 1, 1, 1],
          [2, 3, 4, 5],
          [3, 5, 1, 2],
        ]) {
          const a = rand(transA ? [bt, k, m] : [bt, m, k], seed++),
            b = rand(transB ? [bt, n, k] : [bt, k, n], seed++);
          const o = { transA, transB };
          checkRule(log, "bmm", rr.bmm, [a, b], { args: [o], plain: ([x, y]: Pair, opt: typeof o) => ops.bmm(x, y, opt), seed });
        }
      }
  });
  test("attention-like shapes (float32 path only)", () => {
    // (B·H, T, D)·(B·H, D, T) and (B·H, T, T)·(B·H, T, D) with T = 65, D = 4
    checkRule(log, "bmm", rr.bmm, [rand([6, 65, 4], 1), rand([6, 4, 65], 2)], { plain: ([a, b]: Pair) => ops.bmm(a, b), skipGradcheck: true });
    checkRule(log, "bmm", rr.bmm, [rand([6, 65, 65], 3), rand([6, 65, 4], 4)], { plain: ([a, b]: Pair) => ops.bmm(a, b), skipGradcheck: true });
  });
});

describe("linear rrule", () => {
  type Triple = [ops.Tensor, ops.Tensor, ops.Tensor];
  const plain = ([x, w, b]: Triple) => ops.add(ops.matmul(x, w), b);
  test("x (N, K)·w (K, M) + b (M) with N, K, M including 1 and odd sizes", () => {
    const sizes = [
      [1, 1, 1],
      [3, 2, 5],
      [7, 4, 1],
      [2, 9, 3],
      [17, 3, 6],
    ];
    sizes.forEach(([n, k, m], i) => {
      checkRule(log, "linear", rr.linear, [rand([n, k], i), rand([k, m], 300 + i), rand([m], 400 + i)], { plain, seed: i });
    });
  });
  test("the model's shapes (float32: Zig GEMM accumulating onto the broadcast bias)", () => {
    checkRule(log, "linear", rr.linear, [rand([129, 64], 1), rand([64, 192], 2), rand([192], 3)], { plain, skipGradcheck: true });
  });
  test("bad shapes name the op and the shapes", () => {
    expect(() => rr.linear([rand([3, 4], 1), rand([4, 5], 2), rand([4], 3)])).toThrow(
      /linear: expected x \(N, K\), w \(K, M\), b \(M,\); got x \(3, 4\), w \(4, 5\), b \(4,\)/,
    );
  });
});
