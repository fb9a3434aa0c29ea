// The generated stories that stand in for TinyStories in a clone with nothing beside it.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readStories, resolveSource } from "../src/stories.ts";
import { syntheticStories, writeSyntheticStories } from "../src/synthetic.ts";
import { tempDir } from "./helpers.ts";

test("the same seed gives the same stories, another seed others; the file reads back story by story", () => {
  const a = syntheticStories(50, 3);
  expect(syntheticStories(50, 3)).toEqual(a);
  expect(syntheticStories(50, 4)).not.toEqual(a);
  expect(new Set(a).size).toBeGreaterThan(45);
  for (const s of a) expect(s.startsWith("Once upon a time, there was a")).toBe(true);
  const dir = tempDir();
  try {
    const path = writeSyntheticStories(join(dir.path, "deep", "stories.txt"), 50, 3);
    expect(readFileSync(path, "utf8").split("<|endoftext|>").length).toBe(51);
    expect(readStories(resolveSource(path))).toEqual(a);
  } finally {
    dir.cleanup();
  }
});
