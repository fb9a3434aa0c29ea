// The backward pass GPT-2 trains with is generated: its expansion (what `bun run ad:expand
// packages/gpt2/src/model.ad.ts` prints) is committed in test/snapshots/model.expanded.ts, so any
// change to it — from the model or from the loader — fails here until the file is rewritten and
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

test("no generated line of the snapshot is over 120 characters (the model's own code not counted)", () => {
  expect(longGeneratedLines(readFileSync(model, "utf8"), readFileSync(snapshot, "utf8"))).toEqual([]);
});
