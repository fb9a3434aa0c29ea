// The generated code, reviewed: the expansion of GPT-2's model, of implicit-mode programs (loops,
// branches, closures) and of explicit-mode fixtures (readable, as `bun run ad:expand` prints it,
// and compact, as the loader runs it) is committed in test/snapshots/*.expanded.ts. Any change to
// the generated code fails here until the files are rewritten and the diff is reviewed:
//
//   UPDATE_SNAPSHOTS=1 bun test packages/ad/test/snapshots.test.ts
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { transformAd } from "../src/transform.ts";

const root = join(import.meta.dir, "..", "..", "..");
const dir = join(import.meta.dir, "snapshots");
const update = process.env.UPDATE_SNAPSHOTS === "1";

/** [snapshot name, source file, compact]: paths relative to the repository root, as ad:expand is run. */
const cases: [string, string, boolean][] = [
  ["gpt2_model", "packages/gpt2/src/model.ad.ts", false],
  ["implicit_loops", "packages/ad/test/implicit/programs/loops.ad.ts", false],
  ["implicit_branches", "packages/ad/test/implicit/programs/branches.ad.ts", false],
  ["implicit_closures", "packages/ad/test/implicit/programs/closures.ad.ts", false],
];
for (const name of ["example", "loops", "nested", "structural", "throws"]) {
  cases.push([`explicit_${name}`, `packages/ad/test/fixtures/${name}.ad.ts`, false]);
  cases.push([`explicit_${name}.compact`, `packages/ad/test/fixtures/${name}.ad.ts`, true]);
}

describe("generated code matches test/snapshots (UPDATE_SNAPSHOTS=1 rewrites them)", () => {
  for (const [name, file, compact] of cases) {
    test(`${file}${compact ? " (compact, as loaded)" : ""} → snapshots/${name}.expanded.ts`, () => {
      const source = readFileSync(join(root, file), "utf8");
      const code = transformAd(source, file, { readable: !compact, noCache: true }).code;
      const path = join(dir, `${name}.expanded.ts`);
      if (update) writeFileSync(path, code);
      if (!existsSync(path)) throw new Error(`${relative(root, path)} is missing: run UPDATE_SNAPSHOTS=1 bun test packages/ad/test/snapshots.test.ts`);
      expect(code).toBe(readFileSync(path, "utf8"));
    });
  }
});
