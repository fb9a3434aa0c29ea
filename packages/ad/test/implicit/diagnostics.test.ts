// Implicit-mode load-time diagnostics: syntax the loader cannot differentiate, and operations on
// tracked values it cannot give a rule, are reported as `file:line:col`, a reason, a code frame
// with a caret and a hint — every violation of a file, never a raw TypeError of the loader; the
// same in forward mode (its rules are generated only for a file the loader accepts).
import { describe, expect, test } from "bun:test";
import { AdSyntaxError } from "../../src/diagnostics.ts";
import { transformAd } from "../../src/transform.ts";
import { diagnose as diagnoseSource, firstDiagnostic, fuzzTransform } from "../diagnose.ts";

const HEAD = 'import { add, addInto, gemm, matmul, mul, Tensor } from "@pullback/tensor";\n'; // line 1

const diagnose = (body: string): AdSyntaxError => diagnoseSource(HEAD + body, "file.ad.ts");

// [name, source after the import line, "line:col" of the first diagnostic, reason substring, hint substring]
const cases: [string, string, string, string, string][] = [
  [
    "a generator function",
    "export function* f(x: number) {\n  return x;\n}",
    "2:8",
    "generator functions cannot be differentiated (`f`)",
    "return an array instead of yielding",
  ],
  [
    "yield (in a nested generator)",
    "export function f(x: number) {\n  const g = function* () {\n    yield x;\n  };\n  return x;\n}",
    "3:13",
    "generator functions cannot be differentiated (`g`)",
    "return an array",
  ],
  [
    "an async function",
    "export async function f(x: number) {\n  return x;\n}",
    "2:8",
    "async functions cannot be differentiated (`f`)",
    "await outside the differentiated function",
  ],
  [
    "await (in an async arrow)",
    "export const f = async (x: number) => {\n  const y = await Promise.resolve(x);\n  return y * x;\n};",
    "2:18",
    "async functions cannot be differentiated (`f`)",
    "pass the values in",
  ],
  ["eval", 'export function f(x: number) {\n  return eval("x") * x;\n}', "3:10", "`eval` is not supported", "write the code in the file"],
  [
    "new Function",
    'export function f(x: number) {\n  const g = new Function("return 1");\n  return x * g();\n}',
    "3:17",
    "`new Function` is not supported",
    "write the function in the file",
  ],
  ["with", "export function f(o: any) {\n  with (o) { return a; }\n}", "3:3", "`with` is not supported", "`o.a` instead of `with (o) { a }`"],
  [
    "a class declaration",
    "export function f(x: number) {\n  return x;\n}\nclass Layer {\n  w = 1;\n}",
    "5:1",
    "classes are not supported in .ad.ts files",
    "use functions and plain objects",
  ],
  [
    "a class expression",
    "export function f(x: number) {\n  const C = class {};\n  return x;\n}",
    "3:13",
    "classes are not supported in .ad.ts files",
    "keep classes in .ts files",
  ],
  [
    "a getter in an object literal",
    "export function f(x: number) {\n  const o = { get v() { return x; } };\n  return o.v;\n}",
    "3:19",
    "getters are not supported in .ad.ts files",
    "store the value as a plain property",
  ],
  [
    "a setter in an object literal",
    "export function f(x: number) {\n  const o = { set v(a: number) {} };\n  return x;\n}",
    "3:19",
    "setters are not supported in .ad.ts files: an accessor hides",
    "store the value as a plain property",
  ],
  [
    "an object-literal method",
    "export function f(x: number) {\n  const o = { scale(a: number) { return a * 2; } };\n  return o.scale(x);\n}",
    "3:15",
    "object-literal methods are not supported",
    "write `scale: (…) => …` instead",
  ],
  [
    "this",
    "export function f(x: number) {\n  return this.k * x;\n}",
    "3:10",
    "`this` is not supported in differentiated functions",
    "pass the object as a parameter",
  ],
  [
    "arguments",
    "export function f(x: number) {\n  return arguments[0] * x;\n}",
    "3:10",
    "`arguments` is not supported in differentiated functions",
    "use a rest parameter",
  ],
  [
    "try",
    "export function f(x: number) {\n  try {\n    return x * x;\n  } catch {\n    return 0;\n  }\n}",
    "3:3",
    "`try` is not supported in differentiated functions",
    "validate inputs before the computation",
  ],
  [
    "for await (in an async function: both reported)",
    "export async function f(xs: number[]) {\n  for await (const v of xs) {}\n  return 1;\n}",
    "2:8",
    "async functions cannot be differentiated",
    "await outside",
  ],
  [
    "for await in a plain function (a parse error)",
    "export function f(xs: number[]) {\n  for await (const v of xs) {}\n  return 1;\n}",
    "3:7",
    "syntax error: `for await` loops are only allowed within async functions",
    "async",
  ],
  [
    "a reserved `__` name",
    "export function f(x: number) {\n  const __y = x * 2;\n  return __y;\n}",
    "3:9",
    "`__y`: names starting with `__` are reserved",
    "rename it",
  ],
  [
    "an anonymous default-exported function",
    "export default function (x: number) {\n  return x * x;\n}",
    "2:16",
    "an anonymous default-exported function cannot be given a rule",
    "name it: `export default function loss",
  ],
  [
    "a method call on a tracked value",
    "export function f(x: Tensor) {\n  const y = x.reshape([6]);\n  return y;\n}",
    "3:13",
    "method calls on tracked values are not differentiated: `.reshape(…)`",
    "reshape(x, shape), not x.reshape(shape)",
  ],
  [
    "reading .data of a tracked tensor",
    "export function f(x: Tensor) {\n  const v = x.data[0];\n  return v;\n}",
    "3:15",
    "reading `.data` of a tracked tensor loses its gradient",
    "stopGradient(x).data",
  ],
  [
    "an in-place write x.data[0] = 1",
    "export function f(x: Tensor) {\n  x.data[0] = 1;\n  return mul(x, x);\n}",
    "3:3",
    "in-place write into the tracked value `x`",
    "build a new value with an op",
  ],
  [
    "p.w = … on a tracked parameter",
    "export function f(x: Tensor, p: { w: Tensor }) {\n  p.w = mul(p.w, x);\n  return x;\n}",
    "3:3",
    "in-place write into the tracked value `p`",
    "build a new value",
  ],
  [
    "p.n++ on a tracked parameter",
    "export function f(p: { n: number }) {\n  p.n++;\n  return p.n;\n}",
    "3:3",
    "`++` writes into the tracked value `p` in place",
    "build a new value",
  ],
  [
    "delete of a tracked property",
    "export function f(p: { w?: Tensor; b: Tensor }) {\n  delete p.w;\n  return p.b;\n}",
    "3:3",
    "`delete` on a property of a tracked value",
    "build a new object without the property",
  ],
  [
    "delete through ?. on a tracked value",
    "export function f(p?: { w?: Tensor; b: Tensor }) {\n  delete p?.w;\n  return p?.b;\n}",
    "3:3",
    "`delete` on a property of a tracked value",
    "build a new object without the property",
  ],
  [
    "a mutating method through ?. on a tracked value",
    "export function f(p: { xs?: Tensor[] }, y: Tensor) {\n  p?.xs?.push(y);\n  return y;\n}",
    "3:3",
    "`.push(…)` mutates a tracked value",
    "xs = [...xs, y]",
  ],
  [
    "addInto(x, y) with a tracked x",
    "export function f(x: Tensor, y: Tensor) {\n  addInto(x, y);\n  return x;\n}",
    "3:11",
    "`addInto` writes into the tracked value `x` in place",
    "add instead of addInto",
  ],
  [
    "outs.push(y) of a tracked value",
    "export function f(x: Tensor) {\n  const outs: Tensor[] = [];\n  const y = mul(x, x);\n  outs.push(y);\n  return outs;\n}",
    "5:3",
    "`.push(…)` mutates an array or object with a tracked value",
    "xs = [...xs, y]",
  ],
  [
    "x++ on a tracked number",
    "export function f(x: number) {\n  x++;\n  return x;\n}",
    "3:3",
    "`++` on the tracked value `x` is not differentiable",
    "write `x = x + 1`",
  ],
  [
    "reading .data of a tracked tensor through ?.",
    "export function f(x?: Tensor) {\n  const v = x?.data[0];\n  return v;\n}",
    "3:16",
    "reading `.data` of a tracked tensor loses its gradient",
    "stopGradient(x).data",
  ],
  [
    "a spread of tracked values into an optional call",
    "export function f(xs: Tensor[], g?: (...a: Tensor[]) => Tensor) {\n  return g?.(...xs);\n}",
    "3:14",
    "spreading tracked values into a call is not supported",
    "pass the array itself",
  ],
  [
    "new with tracked arguments",
    "export function f(x: number) {\n  const a = new Float64Array([x, x]);\n  return a;\n}",
    "3:13",
    "constructing an object from tracked values (`new`)",
    "call a function or an op instead",
  ],
  [
    "a tracked value given to a Tensor static (it builds a constant)",
    "export function f(x: Tensor, a: number) {\n  const t = Tensor.full(x.shape, a * a);\n  return mul(x, t);\n}",
    "3:34",
    "Tensor.full builds a constant: the tracked value `a * a` given to it would get no gradient",
    "mulScalar(Tensor.ones(shape), s)",
  ],
  [
    "a tracked array given to Tensor.from",
    "export function f(a: number, b: number) {\n  return matmul(Tensor.from([[a, b]]), Tensor.ones([2, 1]));\n}",
    "3:29",
    "Tensor.from builds a constant",
    "stopGradient",
  ],
  [
    "a spread of tracked values into a call",
    "export function f(xs: Tensor[]) {\n  return add(...xs);\n}",
    "3:14",
    "spreading tracked values into a call is not supported",
    "pass the array itself",
  ],
  [
    "a tracked value in a for header (init)",
    "export function f(x: number) {\n  let s = 0;\n  for (let i = x * 2; i < 3; i++) s = s + i;\n  return s;\n}",
    "4:12",
    "a `for` header must not compute tracked values",
    "declare the variable before the loop",
  ],
  [
    "a tracked value in a for header (update)",
    "export function f(x: number) {\n  let s = 0;\n  for (let i = 0; i < 3; i = i + x) s = s + i;\n  return s;\n}",
    "4:26",
    "a `for` header must not compute tracked values",
    "compute them in the loop body",
  ],
  [
    "a default value in a destructuring of a tracked value",
    "export function f(p: { a: Tensor; b?: Tensor }) {\n  const { a, b = a } = p;\n  return add(a, b);\n}",
    "3:14",
    "default values in a pattern that receives tracked values",
    "give the value explicitly",
  ],
  [
    "an object rest of a tracked object",
    "export function f(p: { a: Tensor; b: Tensor }) {\n  const { a, ...rest } = p;\n  return add(a, rest.b);\n}",
    "3:14",
    "rest properties (`...rest`) of a tracked object",
    "destructure the properties you need by name",
  ],
  [
    "an op of @pullback/tensor with no rule (gemm)",
    "export function f(a: Tensor, b: Tensor) {\n  const c = gemm(a, b);\n  return c;\n}",
    "3:13",
    "no rule for `gemm` of @pullback/tensor, and it is called with differentiable arguments",
    "use matmul / linear (gemm's out and beta accumulate into a buffer in place)",
  ],
  [
    "an undeclared function with tracked arguments",
    "export function f(x: number) {\n  return frobnicate(x);\n}",
    "3:10",
    "no rule for `frobnicate`: it is not defined in this file or imported",
    "import it, define it in an .ad.ts file",
  ],
  [
    "a Math function without a rule",
    "export function f(x: number) {\n  return Math.hypot(x, 1);\n}",
    "3:10",
    "no rule for Math.hypot",
    "differentiable Math functions: exp, log",
  ],
  [
    "an array method on tracked values (a loop hint)",
    "export function f(xs: Tensor[]) {\n  const ys = xs.filter((x) => x.size > 1);\n  return ys;\n}",
    "3:14",
    "method calls on tracked values are not differentiated: `.filter(…)`",
    "write a `for … of` loop instead of `.filter(…)`",
  ],
  [
    "reduceRight over tracked values (a loop hint)",
    "export function f(x: Tensor, ws: Tensor[]) {\n  return ws.reduceRight((h, w) => matmul(h, w), x);\n}",
    "3:10",
    "method calls on tracked values are not differentiated: `.reduceRight(…)`",
    "write a `for … of` loop instead of `.reduceRight(…)`",
  ],
  [
    ".reduce with a spread of arguments",
    "export function f(ws: Tensor[], rest: any[]) {\n  return ws.reduce(...rest);\n}",
    "3:10",
    "method calls on tracked values are not differentiated: `.reduce(…)`",
    "call a function or an op",
  ],
  [
    "Object.groupBy of tracked values",
    "export function f(p: Record<string, Tensor>) {\n  const g = Object.groupBy(Object.values(p), (t) => t.size);\n  return g;\n}",
    "3:13",
    "no rule for Object.groupBy: given tracked values it would return them untracked",
    "read the values with property reads",
  ],
  [
    "a getter beside a spread of a tracked object",
    "export function f(p: { a: Tensor }, x: Tensor) {\n  const q = { ...p, get b() { return x; } };\n  return q.b;\n}",
    "3:25",
    "getters are not supported in .ad.ts files",
    "store the value as a plain property",
  ],
  [
    "a tracked value assigned to an undeclared variable",
    "export function f(x: Tensor) {\n  h = mul(x, x);\n  return x;\n}",
    "3:3",
    "`h` is not declared: a tracked value cannot be assigned to it",
    "declare it: `let h = …`",
  ],
  [
    "an undeclared for-of variable over tracked values",
    "export function f(xs: Tensor[]) {\n  for (x of xs) {}\n  return xs;\n}",
    "3:8",
    "`x` is not declared",
    "for (const x of …)",
  ],
  [
    "Array.from of a tracked array (returns its values untracked)",
    "export function f(xs: Tensor[]) {\n  const ys = Array.from(xs);\n  return ys[0];\n}",
    "3:14",
    "no rule for Array.from: given tracked values it would return them untracked",
    "read the values with property reads or a loop",
  ],
  [
    "Object.getOwnPropertyDescriptors of a tracked object",
    "export function f(p: { a: number }) {\n  const d = Object.getOwnPropertyDescriptors(p);\n  return d.a.value;\n}",
    "3:13",
    "no rule for Object.getOwnPropertyDescriptors",
    "read the values with property reads or a loop",
  ],
  [
    "Object.assign into a tracked object",
    "export function f(p: { a: number }, q: { a: number }) {\n  Object.assign(p, q);\n  return p.a;\n}",
    "3:17",
    "`Object.assign` writes into the tracked value `p`",
    "build a new object instead",
  ],
  [
    "Number(x) of a tracked number",
    "export function f(x: number) {\n  return Number(x) * 2;\n}",
    "3:10",
    "`Number(…)` of a tracked value returns it untracked",
    "stopGradient",
  ],
  [
    "structuredClone of a tracked structure",
    "export function f(p: { w: Tensor }) {\n  const c = structuredClone(p);\n  return mul(c.w, c.w);\n}",
    "3:13",
    "`structuredClone(…)` of a tracked value returns it untracked",
    "use the value as it is",
  ],
  [
    "a tracked value stored in a module variable",
    "let last: Tensor | null = null;\nexport function f(x: Tensor) {\n  last = mul(x, x);\n  return x;\n}",
    "4:3",
    "assigning a tracked value to `last`, a variable of the module, is a side effect the pullback cannot see",
    "return the new value instead",
  ],
  [
    "a closure assigning a variable of its enclosing function",
    "export function f(x: number) {\n  let acc = 0;\n  const add1 = (y: number) => { acc = acc + y; return y; };\n  add1(x);\n  return acc;\n}",
    "4:33",
    "a nested function cannot assign `acc`",
    "return the new value from the nested function and assign it in `f`",
  ],
  [
    "a computed Math function without a rule",
    'export function f(x: number) {\n  return Math["hypot"](x, 1);\n}',
    "3:10",
    "no rule for Math.hypot",
    "differentiable Math functions",
  ],
];

describe("malformed or unsupported implicit-mode inputs", () => {
  test(`at least 25 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(25));
  for (const [name, body, at, reason, hint] of cases) {
    test(name, () => {
      const d = firstDiagnostic(HEAD + body, "file.ad.ts", at);
      expect(d.reason).toContain(reason);
      expect(d.hint).toBeDefined();
      expect(d.hint!).toContain(hint);
      // forward mode (jvp, `ad:expand --forward`): the same diagnostic
      expect(firstDiagnostic(HEAD + body, "file.ad.ts", at, { forward: true }).text).toBe(d.text);
    });
  }
});

test("for await in an async function: the loop is reported too", () => {
  const e = diagnose("export async function f(xs: number[]) {\n  for await (const v of xs) {}\n  return 1;\n}");
  expect(e.diagnostics.map((d) => `${d.line}:${d.column}`)).toEqual(["2:8", "3:3"]);
  expect(e.diagnostics[1].reason).toContain("`for await` is not supported in differentiated functions");
  expect(e.diagnostics[1].hint).toContain("for … of");
});

test("a tracked for header is reported once, not again for the update it makes tracked", () => {
  const e = diagnose("export function f(x: number) {\n  let s = 0;\n  for (let i = x * 2; i < 3; i++) s = s + i;\n  return s;\n}");
  expect(e.diagnostics).toHaveLength(1);
});

test("Math.floor and friends carry no gradient and are accepted; Math.unknownFn is an error", () => {
  const ok = transformAd(
    HEAD + "export function f(x: number) {\n  const k = Math.floor(x) + Math.round(x);\n  return Math.exp(x) * k;\n}",
    "file.ad.ts",
    { noCache: true },
  );
  expect(ok.functions).toBe(1);
  expect(ok.code).toContain("__ad.math.exp");
  expect(ok.code).not.toContain("__ad.math.floor");
  const e = diagnose("export function f(x: number) {\n  return Math.floor(x) * Math.unknownFn(x);\n}");
  expect(e.diagnostics).toHaveLength(1);
  expect(`${e.line}:${e.column}`).toBe("3:26");
  expect(e.reason).toBe("no rule for Math.unknownFn");
});

test("inactive arguments make the same calls fine: no error without tracked values", () => {
  const src =
    'import { stopGradient } from "@pullback/ad";\nexport function f(x: Tensor, outs: number[]) {\n  const v = stopGradient(x).data[0];\n  outs.push(v);\n  const n = x.shape[0];\n  return mul(x, x);\n}';
  expect(transformAd(HEAD + src, "file.ad.ts", { noCache: true }).functions).toBe(1);
});

test("several errors in one file are all reported, in source order", () => {
  const e = diagnose(
    [
      "export function f(x: Tensor) {", // 2
      "  const y = x.reshape([4]);", // 3
      "  x.data[0] = 2;", // 4
      "  return y;", // 5
      "}", // 6
      "export function g(n: number) {", // 7
      "  n++;", // 8
      "  return gemm(n, n);", // 9
      "}", // 10
    ].join("\n"),
  );
  expect(e.diagnostics.map((d) => `${d.line}:${d.column}`)).toEqual(["3:13", "4:3", "8:3", "9:10"]);
  expect(e.diagnostics.map((d) => d.reason.split(":")[0])).toEqual([
    "method calls on tracked values are not differentiated",
    "in-place write into the tracked value `x`",
    "`++` on the tracked value `n` is not differentiable",
    "no rule for `gemm` of @pullback/tensor, and it is called with differentiable arguments",
  ]);
  expect(e.message).toContain("(4 errors in this file)");
  for (const d of e.diagnostics) expect(e.message).toContain(d.text);
});

test("errors of the syntax check (this, classes) stop the file before rules are generated", () => {
  // The method call on line 4 would be reported by the generator, which does not run.
  const e = diagnose("export function f(x: Tensor) {\n  const k = this;\n  return x.reshape([2]);\n}\nclass A {}");
  expect(e.diagnostics.map((d) => `${d.line}:${d.column}`)).toEqual(["3:13", "6:1"]);
});

test("the complete formatted message of one case", () => {
  const e = diagnose("export function f(x: Tensor) {\n  const h = mul(x, x);\n  const y = h.reshape([6]);\n  return y;\n}");
  expect(e.message).toBe(
    [
      "file.ad.ts:4:13: error: method calls on tracked values are not differentiated: `.reshape(…)`",
      " 2 | export function f(x: Tensor) {",
      " 3 |   const h = mul(x, x);",
      " 4 |   const y = h.reshape([6]);",
      "   |             ^^^^^^^^^",
      " 5 |   return y;",
      "  hint: call a function or an op of @pullback/tensor instead (e.g. reshape(x, shape), not x.reshape(shape))",
    ].join("\n"),
  );
});

test("no input makes the loader throw anything but an AdSyntaxError (truncations and splices of a valid file)", () => {
  const valid = [
    'import { add, matmul, gelu, type Tensor } from "@pullback/tensor";',
    "export function mlp(x: Tensor, p: { w: Tensor; b: Tensor }[], n: number): Tensor {",
    "  const [first, ...rest] = p;",
    "  let h = gelu(add(matmul(x, first.w), first.b));",
    "  for (const layer of rest) {",
    "    if (n > 1) h = add(h, matmul(h, layer.w));",
    "  }",
    "  const g = (u: Tensor) => add(u, h);",
    "  return n > 2 ? g(h) : { out: [h] }.out[0];",
    "}",
    "export const sq = (a: number) => a * a;",
    "",
  ].join("\n");
  expect(transformAd(valid, "ok.ad.ts", { noCache: true }).functions).toBe(3);
  expect(fuzzTransform(valid, 1)).toBeGreaterThan(500);
});
