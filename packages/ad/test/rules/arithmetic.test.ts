// gradcheck of the elementwise rrules (the explicit form of @pullback/tensor's rules/arithmetic.ts): broadcasting binary ops (same
// shape, row, column, scalar-shaped, rank mismatch, both sides broadcast), ops with a scalar and
// unary maps; forward vs the plain op; float32 (Zig) pullback vs float64 (reference) pullback.
import { describe, test } from "bun:test";
import * as ops from "@pullback/tensor";
import * as rr from "@pullback/tensor/rrules";
import { awayFromZero, checkRule, rand, RuleLog } from "./helpers.ts";

const log = new RuleLog("arithmetic");

/** [shape of a, shape of b]: every broadcasting pattern. */
const pairs: [number[], number[]][] = [
  [[1], [1]],
  [[7], [7]],
  [
    [3, 4],
    [3, 4],
  ],
  [[3, 4], [4]], // row, rank mismatch
  [
    [3, 4],
    [1, 4],
  ], // row
  [
    [3, 4],
    [3, 1],
  ], // column
  [
    [3, 4],
    [1, 1],
  ], // scalar-shaped
  [[3, 4], [1]], // scalar-shaped, rank mismatch
  [[5], [3, 5]], // a broadcast (rank mismatch on the left operand)
  [
    [3, 1],
    [1, 5],
  ], // both broadcast
  [[2, 3, 5], [5]],
  [
    [2, 1, 5],
    [3, 1],
  ],
  [
    [1, 3, 1],
    [2, 1, 7],
  ],
  [
    [2, 3, 4],
    [2, 3, 4],
  ],
];

describe("binary rrules with broadcasting", () => {
  const binary = [
    ["add", rr.add, ops.add],
    ["sub", rr.sub, ops.sub],
    ["mul", rr.mul, ops.mul],
    ["div", rr.div, ops.div],
  ] as const;
  for (const [name, rule, op] of binary) {
    test(name, () => {
      pairs.forEach(([sa, sb], i) => {
        const a = rand(sa, 10 * i + 1, -2, 2);
        // div: b bounded away from zero, both signs.
        const b = name === "div" ? awayFromZero(sb, 10 * i + 2) : rand(sb, 10 * i + 2, -2, 2);
        checkRule(log, name, rule, [a, b], { plain: ([x, y]: [ops.Tensor, ops.Tensor]) => op(x, y), seed: i });
      });
    });
  }

  test("larger broadcast shapes (float32 path: multi-task kernels, sumToShape runs)", () => {
    for (const [name, rule, op] of [
      ["add", rr.add, ops.add],
      ["mul", rr.mul, ops.mul],
      ["div", rr.div, ops.div],
      ["sub", rr.sub, ops.sub],
    ] as const) {
      const a = rand([65, 129], 3, -2, 2);
      const b = name === "div" ? awayFromZero([129], 4) : rand([129], 4);
      checkRule(log, name, rule, [a, b], { plain: ([x, y]: [ops.Tensor, ops.Tensor]) => op(x, y), skipGradcheck: true });
      checkRule(log, name, rule, [rand([64, 1, 33], 5), name === "div" ? awayFromZero([17, 1], 6) : rand([17, 1], 6)], {
        plain: ([x, y]: [ops.Tensor, ops.Tensor]) => op(x, y),
        skipGradcheck: true,
      });
    }
  });
});

describe("rrules with a scalar", () => {
  const shapes = [[1], [7], [3, 5], [2, 3, 17]];
  const scalarRules = [
    ["addScalar", rr.addScalar, ops.addScalar],
    ["mulScalar", rr.mulScalar, ops.mulScalar],
    ["divScalar", rr.divScalar, ops.divScalar],
  ] as const;
  for (const [name, rule, op] of scalarRules) {
    test(name, () => {
      shapes.forEach((shape, i) => {
        for (const s of [2.5, -0.375, name === "divScalar" ? 3 : 0]) {
          checkRule(log, name, rule, rand(shape, 20 + i), { args: [s], plain: op, seed: i });
        }
      });
    });
  }
});

describe("unary rrules", () => {
  const shapes = [[1], [7], [3, 5], [2, 3, 17], [129]];
  const unary = [
    ["sqrt", rr.sqrt, ops.sqrt, 0.2, 3],
    ["square", rr.square, ops.square, -2, 2],
    ["exp", rr.exp, ops.exp, -2, 2],
    ["log", rr.log, ops.log, 0.2, 3],
    ["tanh", rr.tanh, ops.tanh, -3, 3],
    ["gelu", rr.gelu, ops.gelu, -4, 4],
  ] as const;
  for (const [name, rule, op, low, high] of unary) {
    test(name, () => {
      shapes.forEach((shape, i) => checkRule(log, name, rule, rand(shape, 30 + i, low, high), { plain: op, seed: i }));
    });
  }
});
