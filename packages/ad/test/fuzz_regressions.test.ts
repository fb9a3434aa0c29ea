// Programs the .ad.ts fuzzer (ad_fuzz.test.ts) found expanded into code that does not parse, or
// needing a diagnostic: each is valid input to oxc-parser, so the loader must handle it.
import { expect, test } from "bun:test";
import { parseSync } from "oxc-parser";
import { gradcheckFunction } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { thrown } from "@pullback/tensor/testing";
import * as found from "./fixtures/fuzz_found.ad.ts";
import { AdSyntaxError } from "../src/diagnostics.ts";
import { transformAd } from "../src/transform.ts";

const header = `import { add, exp, mul, reshape, sum, Tensor } from "@pullback/tensor";\n`;

function expandsToValidCode(body: string): string {
  const r = transformAd(header + body, "/virtual/regression.ad.ts", { noCache: true });
  const errors = parseSync("out.ts", r.code, { sourceType: "module", lang: "ts" } as any).errors.filter((e: any) => e.severity !== "Warning");
  expect(errors.map((e: any) => e.message)).toEqual([]);
  return r.code;
}

test("a comma expression as a computed key is parenthesized in the temporary that holds it", () => {
  const code = expandsToValidCode(`export function f(xs: Tensor[], i: number, j: number): Tensor {\n  return exp(xs[i, j]);\n}\n`);
  expect(code).toContain("= (i, j);");
});

test("a line comment between a for-of head and its body does not swallow the generated brace", () => {
  expandsToValidCode(
    `export function f(ys: Tensor[], w: Tensor): Tensor {\n  let total = sum(w);\n  for (const y of ys) // each element\n    total = add(total, sum(mul(y, w)));\n  return total;\n}\n`,
  );
  expandsToValidCode(
    `export function g(x: Tensor, n: number): Tensor {\n  let t = x;\n  for (let i = 0; i < n; i++) /* ) */ // step\n    t = exp(t);\n  return t;\n}\n`,
  );
});

test("a labelled statement that becomes several statements is labelled as a block", () => {
  const code = expandsToValidCode(`export function f(x: Tensor): Tensor {\n  done: return exp(exp(x));\n}\n`);
  expect(code).toContain("done: {");
  // A labelled loop keeps its label on the loop (continue label).
  expandsToValidCode(
    `export function g(x: Tensor, n: number): Tensor {\n  let t = x;\n  outer: for (let i = 0; i < n; i++) {\n    if (i === 2) continue outer;\n    t = exp(t);\n  }\n  return t;\n}\n`,
  );
});

test("an export nested in a function (a misplaced brace) is a located syntax diagnostic", () => {
  const source =
    header + `export function f(x: Tensor): Tensor {\n  return exp(x);\n\nexport function g(x: Tensor): Tensor {\n  return exp(x);\n}\n}\n`;
  const err = thrown(() => transformAd(source, "/virtual/nested.ad.ts", { noCache: true }), AdSyntaxError);
  expect(err.line).toBe(5);
  expect((err as AdSyntaxError).reason).toBe("syntax error: an export declaration may only appear at the top level of a module");
  // Namespaces may export.
  expandsToValidCode(`export namespace N {\n  export const k = 2;\n}\nexport function f(x: Tensor): Tensor {\n  return exp(x);\n}\n`);
});

test("the programs found run and their gradients check against finite differences", () => {
  const rand = (seed: number, ...shape: number[]) => Tensor.randn(shape, { seed, dtype: "float64" });
  const ok = (f: (...a: any[]) => any, args: unknown[], argnums: number[]) => expect(gradcheckFunction(f, args, { argnums }).ok).toBe(true);
  ok(found.commaKey, [[rand(1, 3), rand(2, 3)], 0, 1], [0]);
  ok(found.commentedLoop, [[rand(3, 2, 2), rand(4, 2, 2)], rand(5, 2, 2)], [0, 1]);
  ok(found.labelledLoop, [[rand(6, 3), rand(7, 3)], rand(8, 3)], [0, 1]);
  ok(found.labelledReturn, [rand(9, 4)], [0]);
  // continue outer skips k = 1: each element contributes once.
  const [ys, w] = [[rand(6, 3), rand(7, 3)], rand(8, 3)];
  const once = ys.reduce(
    (t, y) => t + Array.from(y.data).reduce((a, v, i) => a + Math.tanh(v) * w.data[i], 0),
    Array.from(w.data).reduce((a, b) => a + b, 0),
  );
  expect(found.labelledLoop(ys, w)).toBeCloseTo(once, 10);
});
