// Messages name user functions by their .ad.ts location, never by a generated `anonymous_N`; a
// stopGradient imported from @pullback/tensor by mistake gets a hint to @pullback/ad.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { Tensor } from "@pullback/tensor";
import { thrown } from "@pullback/tensor/testing";
import { pullback } from "../src/index.ts";
import { AdSyntaxError } from "../src/diagnostics.ts";
import { transformAd } from "../src/transform.ts";
import * as closures from "./implicit/programs/closures.ad.ts";

const rand = (...shape: number[]) => Tensor.randn(shape, { seed: 3, dtype: "float64" });
const closuresFile = join(import.meta.dir, "implicit/programs/closures.ad.ts");

test("an escaping anonymous closure's runtime error names it by file:line:col", () => {
  const [y, back] = pullback(closures.usesMadeClosure, rand(2, 3), rand(2, 3));
  let message = "";
  try {
    back(Tensor.ones(y.shape, "float64"));
  } catch (e) {
    message = (e as Error).message;
  }
  // `return (h) => sub(h, s);` on line 70 of closures.ad.ts, column 10.
  expect(message).toStartWith(
    `the function at ${closuresFile}:70:10: a function capturing tracked values of makeShift was differentiated outside makeShift`,
  );
  expect(message).not.toContain("anonymous_");
  // The closure itself carries that name (stack traces and other runtime messages show it).
  expect(closures.makeShift(rand(2)).name).toBe(`the function at ${closuresFile}:70:10`);
});

test("generated code gives anonymous functions their location as a name; named ones keep their names", () => {
  const source =
    'import { exp, mul, type Tensor } from "@pullback/tensor";\nexport function f(x: Tensor): Tensor {\n  const g = (y: Tensor) => exp(y);\n  return [x].map((v) => mul(g(v), x))[0];\n}\n';
  const { code } = transformAd(source, "/virtual/names.ad.ts", { noCache: true });
  // the location through the module's call-site formatter, which names the file once
  expect(code).toContain("`the function at ${__at(4, 18)}`");
  expect(code).toContain('return "/virtual/names.ad.ts:" + line + ":" + column;');
  expect(code).not.toMatch(/"anonymous_\d+"/);
  expect(code).toContain("g__rrule");
});

test("stopGradient imported from @pullback/tensor: the hint says to import it from @pullback/ad", () => {
  const source =
    'import { stopGradient, exp, mul, type Tensor } from "@pullback/tensor";\nexport function f(x: Tensor): Tensor {\n  return mul(exp(stopGradient(x)), x);\n}\n';
  const e = thrown(() => transformAd(source, "/virtual/sg.ad.ts", { noCache: true }), AdSyntaxError);
  expect([e.line, e.column]).toEqual([3, 18]);
  expect(e.reason).toBe("`stopGradient` is not an export of @pullback/tensor: it comes from @pullback/ad");
  expect(e.hint).toBe('import it from "@pullback/ad": import { stopGradient } from "@pullback/ad";');
  // The hint no longer suggests the very function that is missing.
  expect(e.message).not.toContain("pass stopGradient(…) arguments");
});
