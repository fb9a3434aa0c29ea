// gradcheck of the reduction rrules (the explicit form of @pullback/tensor's rules/reduce.ts): sum (a number), sumAlong and maxAlong
// over every axis, negative axes, keepDims; forward vs the plain op; float32 vs float64 pullback.
import { describe, test } from "bun:test";
import * as ops from "@pullback/tensor";
import * as rr from "@pullback/tensor/rrules";
import { checkRule, rand, RuleLog } from "./helpers.ts";

const log = new RuleLog("reduce");

const shapes = [[1], [7], [1, 1], [3, 4], [2, 3, 5], [4, 1, 3]];

describe("reduction rrules", () => {
  test("sum", () => {
    shapes.forEach((shape, i) => checkRule(log, "sum", rr.sum, rand(shape, i), { plain: ops.sum, seed: i }));
    checkRule(log, "sum", rr.sum, rand([129, 65], 7), { plain: ops.sum, skipGradcheck: true });
  });

  for (const [name, rule, plain] of [
    ["sumAlong", rr.sumAlong, (x: ops.Tensor, axis: number, keep: boolean) => ops.sumAlong(x, axis, keep)],
    ["maxAlong", rr.maxAlong, (x: ops.Tensor, axis: number, keep: boolean) => ops.maxAlong(x, axis, keep)],
  ] as const) {
    test(`${name}: every axis (also negative), keepDims on and off`, () => {
      let i = 0;
      for (const shape of shapes) {
        for (let axis = -shape.length; axis < shape.length; axis++) {
          for (const keep of [false, true]) {
            checkRule(log, name, rule, rand(shape, i), { args: [axis, keep], plain, seed: i });
            i++;
          }
        }
      }
      // default keepDims (false)
      checkRule(log, name, (x: ops.Tensor, axis: number) => rule(x, axis), rand([3, 4], 1), {
        args: [1],
        plain: (x: ops.Tensor, axis: number) => plain(x, axis, false),
      });
      // float32 only: larger rows and columns
      checkRule(log, name, rule, rand([65, 129], 2), { args: [0, true], plain, skipGradcheck: true });
      checkRule(log, name, rule, rand([65, 129], 3), { args: [-1, false], plain, skipGradcheck: true });
    });
  }
});
