import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { download, DownloadError, SizeMismatchError, TINYSTORIES } from "../src/download.ts";
import { findSharedSample } from "../src/paths.ts";
import { prepareCorpus } from "../src/prepare.ts";
import { generateStories, serveFiles, tempDir } from "./helpers.ts";

const enc = new TextEncoder();
// ~1.5 MB of generated stories (never the shared sample).
const trainText = generateStories(6000, 7).text;
const validText = generateStories(300, 8).text;
const train = enc.encode(trainText);
const valid = enc.encode(validText);
const files = { [TINYSTORIES.train]: train, [TINYSTORIES.valid]: valid };
const quiet = { quiet: true };
let dir: ReturnType<typeof tempDir>;

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

function sameBytes(path: string, expected: Uint8Array): boolean {
  const got = readFileSync(path);
  return got.length === expected.length && Buffer.compare(got, Buffer.from(expected)) === 0;
}

test("downloads a file completely, renames it atomically, prints plain progress lines off a terminal", async () => {
  const s = serveFiles(files);
  const dest = join(dir.path, "a", TINYSTORIES.train);
  const lines: string[] = [];
  try {
    const r = await download({
      url: `${s.url}/${TINYSTORIES.train}`,
      dest,
      progress: { stream: { write: (x: string) => lines.push(x) }, tty: false },
    });
    expect(r.complete).toBe(true);
    expect(r.path).toBe(dest);
    expect(r.bytes).toBe(train.length);
    expect(sameBytes(dest, train)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(`${dest}.part.json`)).toBe(false);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
    expect(lines.at(-1)).toContain("100.0%");
    // a second call finds the complete file and does not fetch
    const before = s.requests.length;
    const again = await download({ url: `${s.url}/${TINYSTORIES.train}`, dest, progress: quiet });
    expect(again).toMatchObject({ complete: true, fetched: 0 });
    expect(s.requests.length).toBe(before);
  } finally {
    s.server.stop(true);
  }
});

test("a dropped connection resumes with a Range request and ends byte-identical", async () => {
  const s = serveFiles(files, { dropAfter: 400_000, dropTimes: 2 });
  const dest = join(dir.path, "b", TINYSTORIES.train);
  const logs: string[] = [];
  try {
    const r = await download({ url: `${s.url}/${TINYSTORIES.train}`, dest, retryDelayMs: 0, progress: quiet, log: (l) => logs.push(l) });
    expect(r.complete).toBe(true);
    expect(sameBytes(dest, train)).toBe(true);
    const ranges = s.requests.map((q) => q.range);
    console.log("requests:", ranges.join(", "));
    expect(ranges).toEqual(["bytes=0-", "bytes=400000-", "bytes=800000-"]);
    expect(logs.some((l) => l.includes("connection lost"))).toBe(true);
  } finally {
    s.server.stop(true);
  }
});

test("an interrupted download resumes on the next call from the .part file", async () => {
  const s = serveFiles(files, { dropAfter: 500_000, dropTimes: 1 });
  const dest = join(dir.path, "c", TINYSTORIES.train);
  try {
    const url = `${s.url}/${TINYSTORIES.train}`;
    const failed = download({ url, dest, retries: 0, progress: quiet });
    await expect(failed).rejects.toBeInstanceOf(DownloadError);
    expect(existsSync(dest)).toBe(false);
    expect(readFileSync(`${dest}.part`).length).toBe(500_000);
    const r = await download({ url, dest, progress: quiet });
    expect(r.complete).toBe(true);
    expect(r.fetched).toBe(train.length - 500_000);
    expect(s.requests.at(-1)!.range).toBe("bytes=500000-");
    expect(sameBytes(dest, train)).toBe(true);
  } finally {
    s.server.stop(true);
  }
});

test("a prefix (capBytes) stays in .part; a later call without cap fetches the rest", async () => {
  const s = serveFiles(files);
  const dest = join(dir.path, "d", TINYSTORIES.train);
  try {
    const url = `${s.url}/${TINYSTORIES.train}`;
    const p = await download({ url, dest, capBytes: 300_000, progress: quiet });
    expect(p).toMatchObject({ complete: false, path: `${dest}.part`, bytes: 300_000, total: train.length });
    expect(s.requests.at(-1)!.range).toBe("bytes=0-299999");
    // the same cap again: nothing to fetch
    const n = s.requests.length;
    expect((await download({ url, dest, capBytes: 300_000, progress: quiet })).fetched).toBe(0);
    expect(s.requests.length).toBe(n);
    const full = await download({ url, dest, progress: quiet });
    expect(full.complete).toBe(true);
    expect(s.requests.at(-1)!.range).toBe("bytes=300000-");
    expect(sameBytes(dest, train)).toBe(true);
  } finally {
    s.server.stop(true);
  }
});

test("a transfer that ends early without an error is resumed too", async () => {
  const s = serveFiles(files, { shortAfter: 250_000, shortTimes: 1 });
  const dest = join(dir.path, "e", TINYSTORIES.train);
  try {
    const r = await download({ url: `${s.url}/${TINYSTORIES.train}`, dest, retryDelayMs: 0, progress: quiet });
    expect(r.complete).toBe(true);
    expect(s.requests.map((q) => q.range)).toEqual(["bytes=0-", "bytes=250000-"]);
    expect(sameBytes(dest, train)).toBe(true);
  } finally {
    s.server.stop(true);
  }
});

test("size mismatch: a server announcing more bytes than it has is detected, the file is not renamed", async () => {
  const s = serveFiles(files, { lieTotal: train.length + 100 });
  const dest = join(dir.path, "f", TINYSTORIES.train);
  try {
    const r = download({ url: `${s.url}/${TINYSTORIES.train}`, dest, retryDelayMs: 0, progress: quiet });
    await expect(r).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(download({ url: `${s.url}/${TINYSTORIES.train}`, dest, retryDelayMs: 0, progress: quiet })).rejects.toThrow(/announced/);
    expect(existsSync(dest)).toBe(false);
  } finally {
    s.server.stop(true);
  }
});

test("size mismatch: a complete download of the wrong size (expectedSize) is an error", async () => {
  const s = serveFiles(files);
  const dest = join(dir.path, "g", TINYSTORIES.valid);
  try {
    const r = download({ url: `${s.url}/${TINYSTORIES.valid}`, dest, expectedSize: valid.length + 1, retryDelayMs: 0, retries: 1, progress: quiet });
    await expect(r).rejects.toBeInstanceOf(SizeMismatchError);
    expect(existsSync(dest)).toBe(false);
  } finally {
    s.server.stop(true);
  }
});

test("a server that ignores Range restarts the transfer from byte 0 and still ends byte-identical", async () => {
  const s = serveFiles(files, { ignoreRange: true, dropAfter: 200_000, dropTimes: 1 });
  const dest = join(dir.path, "h", TINYSTORIES.train);
  try {
    const r = await download({ url: `${s.url}/${TINYSTORIES.train}`, dest, retryDelayMs: 0, progress: quiet });
    expect(r.complete).toBe(true);
    expect(sameBytes(dest, train)).toBe(true);
  } finally {
    s.server.stop(true);
  }
});

test("without network: one message naming --corpus FILE and the shared sample", async () => {
  const s = serveFiles(files);
  const url = s.url;
  s.server.stop(true); // nothing listens on this port any more
  const cache = join(dir.path, "offline");
  let message = "";
  try {
    await prepareCorpus({ baseUrl: url, cacheDir: cache, progress: quiet, log: () => {} });
  } catch (e) {
    message = (e as Error).message;
  }
  console.log(message);
  expect(message).toContain("cannot download TinyStories");
  expect(message).toContain("--corpus FILE");
  const sample = findSharedSample();
  if (sample) expect(message).toContain(`--corpus ${sample}`);
  expect(message.split("\n").length).toBe(1);
});

test("prepareCorpus over loopback: capped download, tokenized, second run from the cache", async () => {
  const s = serveFiles(files);
  const cache = join(dir.path, "prep");
  try {
    const opts = { baseUrl: s.url, cacheDir: cache, capBytes: 400_000, validCapBytes: 50_000, progress: quiet, log: () => {}, vocabSize: 64 };
    const a = await prepareCorpus(opts);
    expect(a.cached).toEqual({ tokens: false, reduced: false });
    expect(a.stats.trainBytes).toBeLessThanOrEqual(400_000);
    expect(a.stats.trainBytes).toBeGreaterThan(390_000);
    // the prefix ends at a story boundary: the stories are exactly the first ones of the file
    expect(Buffer.from(train.subarray(0, a.stats.trainBytes)).toString("utf8").endsWith("<|endoftext|>\n")).toBe(true);
    expect(a.stats.validBytes).toBeLessThanOrEqual(50_000);
    expect(a.vocab.size).toBe(64);
    expect(Math.max(...a.train)).toBeLessThan(64);
    const n = s.requests.length;
    const b = await prepareCorpus(opts);
    expect(b.cached).toEqual({ tokens: true, reduced: true });
    expect(s.requests.length).toBe(n); // nothing fetched again
    expect(
      Buffer.compare(
        Buffer.from(a.train.buffer, a.train.byteOffset, a.train.byteLength),
        Buffer.from(b.train.buffer, b.train.byteOffset, b.train.byteLength),
      ),
    ).toBe(0);
  } finally {
    s.server.stop(true);
  }
});

test("a second process cannot append to the same .part (lock); a stale lock is taken over", async () => {
  const s = serveFiles(files);
  const dest = join(dir.path, "lock", TINYSTORIES.valid);
  mkdirSync(join(dir.path, "lock"), { recursive: true });
  try {
    const url = `${s.url}/${TINYSTORIES.valid}`;
    const other = Bun.spawn(["sleep", "30"]);
    writeFileSync(`${dest}.lock`, String(other.pid));
    await expect(download({ url, dest, progress: quiet })).rejects.toThrow(/being downloaded by process/);
    other.kill();
    await other.exited;
    const r = await download({ url, dest, progress: quiet });
    expect(r.complete).toBe(true);
    expect(existsSync(`${dest}.lock`)).toBe(false);
  } finally {
    s.server.stop(true);
  }
});

test("partial bytes from another URL (or without a record) are discarded, not resumed", async () => {
  const s = serveFiles(files);
  const dest = join(dir.path, "stale", TINYSTORIES.valid);
  mkdirSync(join(dir.path, "stale"), { recursive: true });
  try {
    writeFileSync(`${dest}.part`, "garbage that must not survive");
    writeFileSync(`${dest}.part.json`, JSON.stringify({ url: "http://elsewhere.invalid/x", total: valid.length }));
    const r = await download({ url: `${s.url}/${TINYSTORIES.valid}`, dest, progress: quiet });
    expect(r.fetched).toBe(valid.length);
    expect(sameBytes(dest, valid)).toBe(true);
  } finally {
    s.server.stop(true);
  }
});
