// The convention of an .ad.ts file is decided from its syntax tree, never from its text: only a
// call of the `ad` imported from @pullback/ad makes a file explicit-mode.
import { expect, test } from "bun:test";
import { transformAd } from "../src/transform.ts";

const implicitBody = `
import { mul, sum, type Tensor } from "@pullback/tensor";
export function loss(x: Tensor): number {
  return sum(mul(x, x));
}
`;
const mode = (source: string) => transformAd(source, "/virtual/mode_case.ad.ts", { noCache: true }).mode;

test("an implicit-mode file whose comments and strings mention ad(…) stays implicit, with its rules", () => {
  const source = `// like ad(f) in explicit mode, but implicit: ad(x) is only mentioned here\nconst note = "ad(x)";\n${implicitBody}`;
  const r = transformAd(source, "/virtual/comment.ad.ts", { noCache: true });
  expect(r.mode).toBe("implicit");
  expect(r.functions).toBe(1);
});

test("a local function named ad, or ad imported from elsewhere, is not explicit mode", () => {
  expect(mode(`function ad(f: unknown) { return f; }\nexport const g = ad(1);\n${implicitBody}`)).toBe("implicit");
  expect(mode(`import { ad } from "./somewhere.ts";\nexport const g = ad(1);\n${implicitBody}`)).toBe("implicit");
  expect(mode(`import type { ad } from "@pullback/ad";\n${implicitBody}`)).toBe("implicit");
  expect(mode(`import { ad } from "@pullback/ad";\n${implicitBody}`)).toBe("implicit"); // imported, never called
});

test("ad imported from @pullback/ad and called — by name, renamed or through a namespace — is explicit mode", () => {
  const body = (call: string) => `${call}(([x]) => {\n  return x;\n});\n`;
  expect(mode(`import { ad } from "@pullback/ad";\nexport const f = ${body("ad")}`)).toBe("explicit");
  expect(mode(`import { ad as rrule } from "@pullback/ad";\nexport const f = ${body("rrule")}`)).toBe("explicit");
  expect(mode(`import * as pb from "@pullback/ad";\nexport const f = ${body("pb.ad")}`)).toBe("explicit");
});
