// The backward pass GPT-2 trains with is generated: its expansion (what `bun run ad:expand
// packages/gpt2/src/model.ad.ts` prints) is committed in test/snapshots/model.expanded.ts, and its
// forward rules (what `--forward` prints, what jvp runs) in test/snapshots/model.forward.expanded.ts, so any
// change to them — from the model or from the loader — fails here until the files are rewritten and
// the diff reviewed:
//
//   UPDATE_SNAPSHOTS=1 bun test packages/gpt2/test/model_expansion.test.ts
import { expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { expansionSnapshot, longGeneratedLines } from "@pullback/ad/snapshot";

const model = join(import.meta.dir, "..", "src", "model.ad.ts");
const snapshot = join(import.meta.dir, "snapshots", "model.expanded.ts");

test("the generated rules of model.ad.ts match test/snapshots/model.expanded.ts", () => {
  const { actual, expected } = expansionSnapshot(model, "packages/gpt2/src/model.ad.ts", snapshot);
  expect(actual).toBe(expected);
});

test("no generated line of either snapshot is over 120 characters (the model's own code not counted)", () => {
  const source = readFileSync(model, "utf8");
  for (const file of [snapshot, join(import.meta.dir, "snapshots", "model.forward.expanded.ts")]) {
    expect(longGeneratedLines(source, readFileSync(file, "utf8"))).toEqual([]);
  }
});

test("the generated forward rules of model.ad.ts match test/snapshots/model.forward.expanded.ts", () => {
  const forward = join(import.meta.dir, "snapshots", "model.forward.expanded.ts");
  const { actual, expected } = expansionSnapshot(model, "packages/gpt2/src/model.ad.ts", forward, { forward: true });
  expect(actual).toBe(expected);
});
