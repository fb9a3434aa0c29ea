// gradcheck of the data-movement rrules (the explicit form of @pullback/tensor's rules/shape.ts): reshape, swapAxes, permute (negative
// axes), splitAt (empty sides included), concat; forward vs the plain op; float32 vs float64 pullback.
import { describe, test } from "bun:test";
import * as ops from "@pullback/tensor";
import * as rr from "@pullback/tensor/rrules";
import { checkRule, rand, RuleLog } from "./helpers.ts";

const log = new RuleLog("shape");

describe("shape rrules", () => {
  test("reshape", () => {
    const cases: [number[], number[]][] = [
      [
        [3, 4],
        [4, 3],
      ],
      [
        [2, 3, 4],
        [6, -1],
      ],
      [[1], [1, 1, 1]],
      [[5], [5, 1]],
      [
        [2, 1, 3],
        [3, 2],
      ],
    ];
    cases.forEach(([from, to], i) => checkRule(log, "reshape", rr.reshape, rand(from, i), { args: [to], plain: ops.reshape, seed: i }));
  });

  test("swapAxes", () => {
    const cases: [number[], number, number][] = [
      [[3, 4], 0, 1],
      [[2, 3, 5], 0, 2],
      [[2, 3, 5], -1, -2],
      [[1, 4, 1], 0, 2],
      [[3, 3], 1, 1],
      [[2, 3, 4, 5], 1, -1],
    ];
    cases.forEach(([shape, a1, a2], i) => checkRule(log, "swapAxes", rr.swapAxes, rand(shape, i), { args: [a1, a2], plain: ops.swapAxes, seed: i }));
  });

  test("permute (negative axes)", () => {
    const cases: [number[], number[]][] = [
      [
        [2, 3, 4],
        [2, 0, 1],
      ],
      [
        [2, 3, 4],
        [1, 2, 0],
      ],
      [
        [2, 3, 4],
        [-1, 0, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 0, 2],
      ],
      [
        [2, 3, 4, 5],
        [0, 2, 1, 3],
      ], // the (B, T, H, D) ↔ (B, H, T, D) move
      [
        [1, 3, 1],
        [2, 1, 0],
      ],
      [[7], [0]],
    ];
    cases.forEach(([shape, axes], i) => checkRule(log, "permute", rr.permute, rand(shape, i), { args: [axes], plain: ops.permute, seed: i }));
    // float32 only: tiled permute at a larger size
    checkRule(log, "permute", rr.permute, rand([4, 65, 3, 17], 9), { args: [[0, 2, 1, 3]], plain: ops.permute, skipGradcheck: true });
  });

  test("splitAt (empty sides, negative axis)", () => {
    const cases: [number[], number, number][] = [
      [[5, 3], 0, 2],
      [[3, 7], -1, 3],
      [[2, 3, 4], 1, 0],
      [[2, 3, 4], 1, 3],
      [[1], 0, 1],
      [[2, 5, 3], -2, 4],
    ];
    cases.forEach(([shape, axis, index], i) =>
      checkRule(log, "splitAt", rr.splitAt, rand(shape, i), { args: [axis, index], plain: ops.splitAt, seed: i }),
    );
  });

  test("concat (negative axis, one input)", () => {
    const cases: [number[][], number][] = [
      [
        [
          [2, 3],
          [4, 3],
        ],
        0,
      ],
      [
        [
          [3, 1],
          [3, 2],
          [3, 4],
        ],
        -1,
      ],
      [
        [
          [2, 1, 3],
          [2, 2, 3],
        ],
        1,
      ],
      [[[3, 3]], 0],
      [[[1], [1], [5]], 0],
      [
        [
          [2, 3, 1],
          [2, 3, 2],
        ],
        -1,
      ],
    ];
    cases.forEach(([shapes, axis], i) => {
      checkRule(
        log,
        "concat",
        rr.concat,
        shapes.map((s, k) => rand(s, 10 * i + k)),
        { args: [axis], plain: ops.concat, seed: i },
      );
    });
  });
});
