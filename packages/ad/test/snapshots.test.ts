// The generated code, reviewed: the expansion of implicit-mode programs (loops, branches,
// closures; the forward rules of branches, as `ad:expand --forward` prints them) and of
// explicit-mode fixtures (readable, as `bun run ad:expand` prints it, and compact, as the loader
// runs it) is committed in test/snapshots/*.expanded.ts. Any change to
// the generated code fails here until the files are rewritten and the diff is reviewed:
//
//   UPDATE_SNAPSHOTS=1 bun test packages/ad/test/snapshots.test.ts
//
// GPT-2's model has its own in packages/gpt2/test/model_expansion.test.ts.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { expansionSnapshot, longGeneratedLines } from "../src/snapshot.ts";

const root = join(import.meta.dir, "..", "..", "..");
const dir = join(import.meta.dir, "snapshots");

/** [snapshot name, source file, options]: paths relative to the repository root, as ad:expand is run. */
const cases: [string, string, { compact?: boolean; forward?: boolean }][] = [
  ["implicit_loops", "packages/ad/test/implicit/programs/loops.ad.ts", {}],
  ["implicit_branches", "packages/ad/test/implicit/programs/branches.ad.ts", {}],
  ["implicit_branches.forward", "packages/ad/test/implicit/programs/branches.ad.ts", { forward: true }],
  ["implicit_closures", "packages/ad/test/implicit/programs/closures.ad.ts", {}],
];
for (const name of ["example", "loops", "nested", "structural", "throws"]) {
  cases.push([`explicit_${name}`, `packages/ad/test/fixtures/${name}.ad.ts`, {}]);
  cases.push([`explicit_${name}.compact`, `packages/ad/test/fixtures/${name}.ad.ts`, { compact: true }]);
}

describe("generated code matches test/snapshots (UPDATE_SNAPSHOTS=1 rewrites them)", () => {
  for (const [name, file, options] of cases) {
    const how = options.compact ? " (compact, as loaded)" : options.forward ? " (forward rules)" : "";
    test(`${file}${how} → snapshots/${name}.expanded.ts`, () => {
      const { actual, expected } = expansionSnapshot(join(root, file), file, join(dir, `${name}.expanded.ts`), options);
      expect(actual).toBe(expected);
    });
  }
});

// Issue 12: generated code a reviewer can follow — no generated line over 120 characters in what
// `bun run ad:expand` prints (the compact explicit form appends each pullback to its `return` line,
// the price of line preservation).
describe("generated lines stay under 120 characters (the user's own code not counted)", () => {
  for (const [name, file, options] of cases) {
    if (options.compact) continue;
    test(`snapshots/${name}.expanded.ts`, () => {
      const expansion = readFileSync(join(dir, `${name}.expanded.ts`), "utf8");
      expect(longGeneratedLines(readFileSync(join(root, file), "utf8"), expansion)).toEqual([]);
    });
  }
});
