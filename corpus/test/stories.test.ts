import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectFormat, heldOutCount, holdOut, lastBoundary, readChunks, readStories, resolveSource, splitStories } from "../src/stories.ts";
import { generateStories, tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

test("splits the TinyStories format (<|endoftext|> lines), keeping newlines inside stories", () => {
  const text =
    "Once upon a time.\nThe end.\n<|endoftext|>\nSecond story <|endoftext|> inline stays.\n\nNew paragraph.\n<|endoftext|>\n\n  Third.  \r\n<|endoftext|>\r\n";
  expect(detectFormat(text)).toBe("endoftext");
  expect(splitStories(text)).toEqual(["Once upon a time.\nThe end.", "Second story <|endoftext|> inline stays.\n\nNew paragraph.", "Third."]);
});

test("splits blank-line separated stories (blank = empty or whitespace-only line)", () => {
  const text = "\nFirst story,\nline two.\n\nSecond.\n \t\nThird story\r\n\r\nFourth.\n\n\n\n";
  expect(detectFormat(text)).toBe("blank-lines");
  expect(splitStories(text)).toEqual(["First story,\nline two.", "Second.", "Third story", "Fourth."]);
  // an inline <|endoftext|> (not alone on its line) does not switch the format
  expect(detectFormat("a <|endoftext|> b\n\nc")).toBe("blank-lines");
});

test("holdOut keeps the last 5% (at least one) for validation, deterministically", () => {
  const xs = Array.from({ length: 176 }, (_, i) => i);
  const { train, valid } = holdOut(xs);
  expect(valid.length).toBe(9);
  expect(valid[0]).toBe(167);
  expect(train.length + valid.length).toBe(176);
  expect(heldOutCount(1)).toBe(0);
  expect(heldOutCount(2)).toBe(1);
  expect(heldOutCount(10)).toBe(1);
  expect(heldOutCount(1000)).toBe(50);
});

test("lastBoundary finds the end of the last separator", () => {
  const e = new TextEncoder();
  expect(lastBoundary(e.encode("a\n<|endoftext|>\nb\n<|endoftext|>\npartial"), "endoftext")).toBe("a\n<|endoftext|>\nb\n<|endoftext|>\n".length);
  expect(lastBoundary(e.encode("a <|endoftext|> b"), "endoftext")).toBe(0);
  expect(lastBoundary(e.encode("a\n\nb\r\n\r\nc"), "blank-lines")).toBe("a\n\nb\r\n\r\n".length);
  expect(lastBoundary(e.encode("abc\n"), "blank-lines")).toBe(0);
});

for (const format of ["endoftext", "blank-lines"] as const) {
  test(`reading in small chunks gives the same stories as splitting the whole text (${format})`, () => {
    const { text, stories } = generateStories(500, 3, format);
    const path = join(dir.path, `${format}.txt`);
    writeFileSync(path, text);
    const src = resolveSource(path);
    expect(src).toMatchObject({ whole: true, format, end: Buffer.byteLength(text) });
    expect(splitStories(text)).toEqual(stories);
    const chunks = [...readChunks(src, 1000)];
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.at(-1)![1]).toBe(src.end);
    expect(chunks.flatMap(([t]) => splitStories(t, format))).toEqual(stories);
    expect(readStories(src)).toEqual(stories);
  });

  test(`a byte cap cuts at a story boundary (${format})`, () => {
    const { text, stories } = generateStories(200, 4, format);
    const path = join(dir.path, `cap-${format}.txt`);
    writeFileSync(path, text);
    const src = resolveSource(path, { capBytes: 5000 });
    expect(src.whole).toBe(false);
    expect(src.end).toBeLessThanOrEqual(5000);
    const got = readStories(src);
    expect(got.length).toBeGreaterThan(5);
    expect(got).toEqual(stories.slice(0, got.length)); // whole stories only, in order
    expect(src.end).toBeGreaterThan(5000 - Buffer.byteLength(stories[got.length]) - 20);
    // a partial download: the incomplete last story is dropped even without a cap
    const part = join(dir.path, `part-${format}.txt`);
    writeFileSync(part, text.slice(0, 3001));
    const p = resolveSource(part, { partial: true });
    expect(readStories(p)).toEqual(stories.slice(0, readStories(p).length));
    expect(readStories(p).length).toBeLessThan(splitStories(text.slice(0, 3001), format).length + 1);
  });
}

test("a missing file or a cap below the first story gives a clear error", () => {
  expect(() => resolveSource(join(dir.path, "nope.txt"))).toThrow(/cannot read the corpus file/);
  const path = join(dir.path, "one.txt");
  writeFileSync(path, "A long first story.\n<|endoftext|>\nSecond.\n<|endoftext|>\n");
  expect(() => resolveSource(path, { capBytes: 5 })).toThrow(/no complete story in the first 5 bytes/);
});
