// Load-time diagnostics: every malformed input is reported as `file:line:col`, a one-line reason,
// a code frame with a caret and a hint — never a raw parser error or a TypeError of the loader.
import { describe, expect, test } from "bun:test";
import { AdSyntaxError } from "../src/diagnostics.ts";
import { transformAd } from "../src/transform.ts";
import { diagnose as diagnoseSource, firstDiagnostic, fuzzTransform } from "./diagnose.ts";

const HEAD = 'import { ad, fork, detach, attach } from "@pullback/ad";\n'; // line 1

const diagnose = (body: string): AdSyntaxError => diagnoseSource(HEAD + body, "bad.ad.ts");

// [name, source after the import line, "line:col" of the first diagnostic, reason pattern, hint pattern]
const cases: [string, string, string, RegExp, RegExp][] = [
  [
    "a value used twice",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  const [b, __1] = h(x);\n  return [a, b];\n});",
    "4:22",
    /`x` is used twice \(already consumed on line 3\)/,
    /fork it: `const \[\[x1, x2\], __\] = fork\(x\)`/,
  ],
  [
    "the same value twice in one call",
    "export const f = ad((x) => {\n  const [a, __] = mul([x, x]);\n  return a;\n});",
    "3:27",
    /`x` is used twice in the same call/,
    /fork/,
  ],
  ["a value never used", "export const f = ad((x) => {\n  const [[a, b], __] = fork(x);\n  return a;\n});", "3:14", /`b` is never used/, /detach/],
  [
    "a parameter never used",
    "export const f = ad(([x, y]) => {\n  const [a, __] = g(x);\n  return a;\n});",
    "2:26",
    /`y` is never used/,
    /detach\(y\)/,
  ],
  [
    "an untracked first argument",
    "export const f = ad((x) => {\n  const w = 3;\n  const [a, __] = g([x, w]);\n  return a;\n});",
    "4:25",
    /`w` is not a tracked value but is passed as the differentiable argument/,
    /attach\(w\)/,
  ],
  [
    "a tracked value passed after the first argument",
    "export const f = ad(([x, y]) => {\n  const [a, __] = mul(x, y);\n  return a;\n});",
    "3:26",
    /`y` is tracked but passed as a non-differentiated argument of `mul`/,
    /mul\(\[x, y\]/,
  ],
  [
    "a tracked value used by an ordinary statement",
    "export const f = ad((x) => {\n  console.log(x);\n  const [a, __] = g(x);\n  return a;\n});",
    "3:15",
    /`x` is tracked and can only be used in an rrule call/,
    /\.shape/,
  ],
  [
    "an expression as first argument",
    "export const f = ad((x) => {\n  const [a, __] = g(x.data);\n  return a;\n});",
    "3:21",
    /the first argument of an rrule call must be a tracked identifier/,
    /differentiated/,
  ],
  [
    "a return of an expression",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  return a + 1;\n});",
    "4:10",
    /the return value must be a tracked identifier/,
    /compute anything else in an rrule call/,
  ],
  ["a missing return", "export const f = ad((x) => {\n  const [a, __] = g(x);\n});", "4:1", /must end with `return <tracked value>`/, /return y/],
  [
    "a statement after return",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  return a;\n  console.log(1);\n});",
    "5:3",
    /`return` must be the last statement/,
    /never run/,
  ],
  [
    "a nested return",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  if (Math.random() > 2) { return a; }\n  return a;\n});",
    "4:28",
    /`return` must be the last statement of an ad function, not nested/,
    /single final return/,
  ],
  [
    "an rrule call inside if",
    "export const f = ad((x) => {\n  let a;\n  if (true) { const [b, __] = g(x); }\n  return x;\n});",
    "4:15",
    /rrule calls cannot be nested inside `if`/,
    /choosing the callee/,
  ],
  [
    "the marker in the wrong position",
    "export const f = ad((x) => {\n  const [__, a] = g(x);\n  return a;\n});",
    "3:10",
    /the marker must be the second and last element/,
    /exactly `\[out, __\]`/,
  ],
  [
    "three elements in the pattern",
    "export const f = ad((x) => {\n  const [a, __, b] = g(x);\n  return a;\n});",
    "3:13",
    /the marker must be the second and last element/,
    /exactly/,
  ],
  [
    "not a call on the right",
    "export const f = ad((x) => {\n  const [a, __] = x;\n  return a;\n});",
    "3:19",
    /must be an rrule call, not `x`/,
    /receives the pullback/,
  ],
  [
    "var instead of const",
    "export const f = ad((x) => {\n  var [a, __] = g(x);\n  return a;\n});",
    "3:3",
    /declared with `const` or `let`, not `var`/,
    /const \[y, __\]/,
  ],
  [
    "two declarators",
    "export const f = ad((x) => {\n  const [a, __] = g(x), b = 2;\n  return a;\n});",
    "3:3",
    /an rrule call must be a declaration of its own/,
    /split it/,
  ],
  [
    "the marker used as a value",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  const p = __;\n  return a;\n});",
    "4:13",
    /the marker `__` can only appear as the second element/,
    /receives the pullback/,
  ],
  [
    "a loop without prelude",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  for (let i = 0; i < 3; i++) {\n    [a, __] = g(a);\n  }\n  return a;\n});",
    "4:3",
    /this loop contains rrule calls but has no `let __;` prelude/,
    /add `let __;`/,
  ],
  [
    "a prelude not followed by a loop",
    "export const f = ad((x) => {\n  let __;\n  const [a, __1] = g(x);\n  return a;\n});",
    "3:3",
    /must be immediately followed by a loop/,
    /pullback stack/,
  ],
  [
    "a prelude before a loop without rrule calls",
    "export const f = ad((x) => {\n  let __;\n  for (let i = 0; i < 3; i++) {}\n  return x;\n});",
    "3:3",
    /precedes a loop without rrule calls/,
    /remove the prelude/,
  ],
  [
    "a declaration inside a loop",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  let __1;\n  for (let i = 0; i < 3; i++) {\n    const [b, __1] = g(a);\n  }\n  return a;\n});",
    "6:5",
    /inside a loop, rrule calls must be assignments/,
    /declare the variable before the loop/,
  ],
  [
    "an assignment outside a loop",
    "export const f = ad((x) => {\n  let a;\n  [a, __] = g(x);\n  return a;\n});",
    "4:3",
    /assignment-form rrule call is only allowed inside a loop/,
    /const \[y, __\]/,
  ],
  [
    "a loop that consumes without reassigning",
    "export const f = ad(([x, y]) => {\n  let [a, __] = g(x);\n  let [b, __1] = g(y);\n  let __2;\n  for (let i = 0; i < 3; i++) {\n    [a, __2] = mul([a, b]);\n  }\n  return a;\n});",
    "7:24",
    /`b` is consumed in the loop but not reassigned in it/,
    /0, 1 or many times/,
  ],
  [
    "a loop that produces without consuming",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  let t;\n  let __1;\n  for (let i = 0; i < 3; i++) {\n    [[a, t], __1] = fork(a);\n  }\n  return a;\n});",
    "7:10",
    /`t` is assigned in the loop but not consumed in it/,
    /next one/,
  ],
  [
    "reassigning a const in a loop",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  let __1;\n  for (let i = 0; i < 3; i++) {\n    [a, __1] = g(a);\n  }\n  return a;\n});",
    "6:6",
    /`a` is declared with const and cannot be reassigned/,
    /declare it with let/,
  ],
  [
    "an undeclared loop target",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  let __1;\n  for (let i = 0; i < 3; i++) {\n    [[a, q], __1] = fork(a);\n    [a, __1] = mul([a, q]);\n  }\n  return a;\n});",
    "6:10",
    /`q` is assigned in a loop but is not a tracked variable declared before it/,
    /let q;/,
  ],
  [
    "break in a loop with rrule calls",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  let __1;\n  for (let i = 0; i < 3; i++) {\n    [a, __1] = g(a);\n    if (i > 1) break;\n  }\n  return a;\n});",
    "7:16",
    /`break` in a loop with rrule calls/,
    /trip count/,
  ],
  [
    "a nested loop with rrule calls",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  let __1;\n  for (let i = 0; i < 3; i++) {\n    for (const j of [1]) { [a, __1] = g(a); }\n  }\n  return a;\n});",
    "6:28",
    /rrule calls in nested loops are not supported/,
    /own `ad` function/,
  ],
  [
    "a tracked value in a loop header",
    "export const f = ad((x) => {\n  let [a, __] = g(x);\n  let __1;\n  for (let i = 0; i < a; i++) {\n    [a, __1] = g(a);\n  }\n  return a;\n});",
    "5:23",
    /`a` is tracked and cannot be used in the loop header/,
    /\.shape/,
  ],
  ["an expression-bodied ad function", "export const f = ad((x) => x);", "2:28", /needs a block body/, /return y/],
  ["ad of a function reference", "const h = (x) => x;\nexport const f = ad(h);", "3:21", /needs a function literal/, /inline/],
  ["ad with two arguments", "export const f = ad((x) => { return x; }, 2);", "2:18", /takes exactly one function, got 2 arguments/, /ad\(\(x\) =>/],
  ["an async ad function", "export const f = ad(async (x) => { return x; });", "2:21", /cannot be async/, /synchronous/],
  ["an ad function without parameters", "export const f = ad(() => { return 1; });", "2:21", /needs a parameter/, /not differentiated/],
  [
    "a default value in the parameter",
    "export const f = ad(([x, y = 2]) => { return [x, y]; });",
    "2:26",
    /default values are not allowed in the differentiable parameter/,
    /caller/,
  ],
  ["a duplicate parameter name", "export const f = ad(([x, [x]]) => { return x; });", "2:27", /`x` appears twice in the parameters/, /own name/],
  [
    "a spread first argument",
    "export const f = ad((x) => {\n  const [a, __] = g(...x);\n  return a;\n});",
    "3:21",
    /cannot be a spread/,
    /array literal/,
  ],
  [
    "a reserved name",
    "export const f = ad((x) => {\n  const [__pb1, __] = g(x);\n  return __pb1;\n});",
    "3:10",
    /`__pb1` is a name reserved for generated code/,
    /rename/,
  ],
  [
    "a redeclared tracked name",
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  const [x, __1] = g(a);\n  return x;\n});",
    "4:10",
    /`x` is already declared as a tracked value/,
    /new name/,
  ],
  ["a syntax error", "export const f = ad((x) => {\n  const [a, __] = g(x;\n  return a;\n});", "3:22", /syntax error: /, /./],
  ["an unterminated string", 'export const f = ad((x) => {\n  const s = "abc;\n  return x;\n});', "3:13", /syntax error: Unterminated string/, /./],
];

describe("malformed .ad.ts inputs", () => {
  test(`at least 25 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(25));
  for (const [name, body, at, reason, hint] of cases) {
    test(name, () => {
      const d = firstDiagnostic(HEAD + body, "bad.ad.ts", at);
      expect(d.reason).toMatch(reason);
      expect(d.hint ?? "").toMatch(hint);
    });
  }
});

test("every violation in a file is reported, in source order", () => {
  const e = diagnose(
    "export const f = ad((x) => {\n  const [a, __] = g(x);\n  const [b, __1] = h(x);\n  const [c, __2] = k(a);\n  return [b, c, c];\n});",
  );
  expect(e.diagnostics.map((d) => `${d.line}:${d.column}`)).toEqual(["4:22", "6:17"]);
  expect(e.message).toContain("(2 errors in this file)");
});

test("no input makes the loader throw anything but an AdSyntaxError (truncations and splices of a valid file)", () => {
  const valid =
    HEAD +
    "export const f = ad(([x, y], n) => {\n  const [[x1, x2], __] = fork(x);\n  let [a, __1] = mul([x1, y]);\n  let __2;\n  for (let i = 0; i < n; i++) {\n    [a, __2] = g(a, i);\n  }\n  const [b, __3] = (a.shape[0] > 1 ? g : h)(a);\n  const [c, __4] = add([b, x2]);\n  return { out: [c] };\n});\n";
  expect(transformAd(valid, "ok.ad.ts", { noCache: true }).functions).toBe(1);
  expect(fuzzTransform(valid, 3)).toBeGreaterThan(100);
});
