// The composed `.ad.ts` functions (test/composed: softmax, layerNorm, causal attention written with
// primitive rrules in the rrule-call convention, expanded by the pullback loader): each passes
// gradcheck (float64), and agrees with the fused rrule — forward and pullback for the same
// cotangent — in float64 (reference) and float32 (Zig kernels).
import { describe, expect, test } from "bun:test";
import { gradcheck, type Tree } from "@pullback/ad";
import * as composed from "./index.ts";
import * as rr from "@pullback/tensor/rrules";
import { Rng, Tensor, type AttentionOptions } from "@pullback/tensor";
import { expectCotangentsLike, expectSameTree, rand, type Rule } from "../rules/helpers.ts";

function randomLike(y: Tensor, seed: number): Tensor {
  const rng = new Rng(seed);
  const c = Tensor.zeros(y.shape, "float32");
  for (let i = 0; i < c.size; i++) c.data[i] = rng.normal();
  return c;
}

const cast = (x: Tree, dtype: "float32" | "float64") => (Array.isArray(x) ? x.map((t) => (t as Tensor).clone(dtype)) : (x as Tensor).clone(dtype));

/**
 * gradcheck of the composed function (float64, unless skipped), then composed vs fused in float64
 * and float32: forward outputs and pullbacks of the same cotangent. Returns the max normwise
 * relative differences and gradcheck's max relative error.
 */
function compare(
  name: string,
  composedRule: Rule,
  fused: Rule,
  x: Tensor | Tensor[],
  args: unknown[],
  options: { skipGradcheck?: boolean; tol32?: number } = {},
) {
  let gradRel = NaN;
  if (!options.skipGradcheck) {
    const report = gradcheck(composedRule, cast(x, "float64"), { args });
    gradRel = Math.max(...report.entries.map((e) => e.maxRel));
  }
  const diffs: Record<string, number> = {};
  for (const dtype of ["float64", "float32"] as const) {
    const xs = cast(x, dtype);
    const [yc, pbc] = composedRule(xs, ...args);
    const [yf, pbf] = fused(xs, ...args);
    const tol = dtype === "float64" ? 1e-9 : (options.tol32 ?? 1e-5);
    expect((yc as Tensor).dtype).toBe(dtype);
    const fwd = expectSameTree(yc, yf, `${name} ${dtype} forward: composed vs fused`, tol, tol);
    const c = randomLike(yf as Tensor, 7).clone(dtype);
    const dc = pbc(c),
      df = pbf(c);
    expectCotangentsLike(dc, xs, dtype, `${name} composed`);
    const bwd = expectSameTree(dc, df, `${name} ${dtype} pullback: composed vs fused`, tol, tol);
    diffs[dtype] = Math.max(fwd, bwd);
  }
  return { gradRel, f64: diffs.float64, f32: diffs.float32 };
}

const summary: string[] = [];
function note(name: string, shape: string, r: { gradRel: number; f64: number; f32: number }) {
  summary.push(
    `  ${name.padEnd(10)} ${shape.padEnd(28)} gradcheck max rel ${Number.isNaN(r.gradRel) ? "   (skip)" : r.gradRel.toExponential(2)}  vs fused: f64 ${r.f64.toExponential(2)}  f32 ${r.f32.toExponential(2)}`,
  );
}

describe("composed softmax (softmax.ad.ts)", () => {
  test("gradcheck, and = the fused rule", () => {
    const shapes = [
      [1, 1],
      [3, 7],
      [2, 3, 5],
      [1, 17],
      [4, 1],
    ];
    shapes.forEach((s, i) => note("softmax", `(${s})`, compare("softmax", composed.softmax, rr.softmax, rand(s, i, -3, 3), [])));
    // large logits: exp would overflow without the max shift
    note("softmax", "(3, 5) ×100", compare("softmax", composed.softmax, rr.softmax, rand([3, 5], 8, -100, 100), [], { skipGradcheck: true }));
    note("softmax", "(65, 129)", compare("softmax", composed.softmax, rr.softmax, rand([65, 129], 9, -3, 3), [], { skipGradcheck: true }));
  });
});

describe("composed layerNorm (layer_norm.ad.ts)", () => {
  test("gradcheck, and = the fused rule", () => {
    const shapes = [
      [1, 3],
      [3, 8],
      [2, 3, 5],
      [4, 1],
    ];
    shapes.forEach((s, i) => {
      const c = s[s.length - 1];
      const x = [rand(s, i, -2, 2), rand([c], 10 + i, 0.5, 1.5), rand([c], 20 + i)];
      note("layerNorm", `(${s})`, compare("layerNorm", composed.layerNorm, rr.layerNorm, x, [1e-5], { tol32: 1e-4 }));
    });
    note("layerNorm", "(3, 4) eps 0.1", compare("layerNorm", composed.layerNorm, rr.layerNorm, [rand([3, 4], 1), rand([4], 2), rand([4], 3)], [0.1]));
    note(
      "layerNorm",
      "(129, 64)",
      compare("layerNorm", composed.layerNorm, rr.layerNorm, [rand([129, 64], 1, -2, 2), rand([64], 2, 0.5, 1.5), rand([64], 3)], [1e-5], {
        skipGradcheck: true,
        tol32: 1e-4,
      }),
    );
  });
});

describe("composed attention (attention.ad.ts)", () => {
  const qkv = (shape: number[], seed: number) => [rand(shape, seed, -2, 2), rand(shape, seed + 1), rand(shape, seed + 2)];
  test("gradcheck, and = the fused rule, without dropout", () => {
    const shapes = [
      [1, 1, 1, 1],
      [1, 2, 5, 3],
      [2, 1, 7, 4],
      [1, 1, 9, 2],
    ];
    shapes.forEach((s, i) => note("attention", `(${s})`, compare("attention", composed.attention, rr.attention, qkv(s, 10 * i), [{}])));
  });
  test("gradcheck, and = the fused rule, with dropout (same seed and offset → the same mask)", () => {
    const cases: [number[], AttentionOptions][] = [
      [[1, 2, 5, 3], { dropout: 0.3, seed: 5, offset: 11 }],
      [[2, 1, 7, 4], { dropout: 0.5, seed: 1, offset: 0 }],
    ];
    cases.forEach(([s, o], i) =>
      note("attention", `(${s}) p=${o.dropout}`, compare("attention", composed.attention, rr.attention, qkv(s, 50 + i), [o])),
    );
  });
  test("float32 at T = 65, 129 (D = 4), with and without dropout", () => {
    note(
      "attention",
      "(2, 3, 65, 4)",
      compare("attention", composed.attention, rr.attention, qkv([2, 3, 65, 4], 1), [{}], { skipGradcheck: true, tol32: 1e-4 }),
    );
    note(
      "attention",
      "(1, 2, 129, 4) p=0.2",
      compare("attention", composed.attention, rr.attention, qkv([1, 2, 129, 4], 2), [{ dropout: 0.2, seed: 9, offset: 3 }], {
        skipGradcheck: true,
        tol32: 1e-4,
      }),
    );
  });
});

test("summary", () => {
  console.log(`composed .ad.ts vs fused rrules (normwise max relative difference):\n${summary.join("\n")}`);
  expect(summary.length).toBeGreaterThan(0);
});
