import { afterAll, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readTokens } from "../src/cache.ts";
import { encodeSourceToFile } from "../src/encode-source.ts";
import { findSharedSample } from "../src/paths.ts";
import { writeSyntheticStories } from "../src/synthetic.ts";
import { prepareCorpus } from "../src/prepare.ts";
import { resolveSource, readStories, holdOut } from "../src/stories.ts";
import { clearPieceCache, countTokens, encodeGpt2, encodeGpt2Reference, encodeStories, GPT2_EOT, GPT2_VOCAB, Vocab } from "../src/tokenize.ts";
import { generateStories, tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());
// The shared TinyStories sample, or — in a clone with nothing beside it — generated stories.
const shared = findSharedSample();
const sample = shared ?? writeSyntheticStories(join(dir.path, "synthetic-stories.txt"), 400, 7);
const quiet = { quiet: true };

test("GPT-2 (r50k_base) ids of known text; <|endoftext|> inside a story is text, not the special token", () => {
  expect(encodeGpt2("Once upon a time, there was a cat.")).toEqual([7454, 2402, 257, 640, 11, 612, 373, 257, 3797, 13]);
  expect(encodeGpt2("a <|endoftext|>")).not.toContain(GPT2_EOT);
  expect(Array.from(encodeStories(["Hi.", "Yes"]))).toEqual([GPT2_EOT, ...encodeGpt2("Hi."), GPT2_EOT, ...encodeGpt2("Yes")]);
});

test("the piece-cached encoder gives exactly gpt-tokenizer's ids", () => {
  const texts = [
    "a  b",
    "  leading",
    "trailing  ",
    "x\n\n  y",
    "it's I'll we've they'd 123 4567 $$$ !!",
    "tabs\t\tand\r\nnewlines\n",
    "café naïve 🙂🙂 日本語 ½",
    "  \n ",
    "a <|endoftext|> b",
    "'s's's",
    "",
    "Don't",
    "ünïcödé\u00a0nbsp",
  ];
  texts.push(...generateStories(200, 21).stories);
  texts.push(...readStories(resolveSource(sample)));
  for (let pass = 0; pass < 2; pass++) for (const t of texts) expect(encodeGpt2(t)).toEqual(encodeGpt2Reference(t));
});

test("the reduction keeps the most frequent tokens, ties by lower GPT-2 id, end-of-text last", () => {
  const counts = new Float64Array(GPT2_VOCAB);
  counts[500] = 10;
  counts[7] = 10; // tie with 500: 7 first
  counts[9000] = 30;
  counts[3] = 1;
  counts[GPT2_EOT] = 99; // never counted as a kept token
  const v = Vocab.fromCounts(counts, 5);
  expect(Array.from(v.gpt2)).toEqual([9000, 7, 500, 3, GPT2_EOT]);
  expect(v.eot).toBe(4);
  expect(v.fromGpt2[9000]).toBe(0);
  expect(v.fromGpt2[12345]).toBe(4); // unknown → end-of-text
  // fewer distinct tokens than slots: unseen ids fill up in GPT-2 order (0, 1, 2, …)
  const w = Vocab.fromCounts(counts, 8);
  expect(Array.from(w.gpt2)).toEqual([9000, 7, 500, 3, 0, 1, 2, GPT2_EOT]);
  expect(() => Vocab.fromCounts(counts, 1)).toThrow(/out of range/);
});

test("sample: most frequent tokens kept, round trip for covered stories, unknown tokens → end-of-text", () => {
  const stories = readStories(resolveSource(sample));
  expect(stories.length).toBe(shared ? 176 : 400);
  const stream = encodeStories(stories);
  const counts = countTokens(stream);
  // below the distinct tokens of the text (~2,000 in the sample): some stories lose tokens, some keep all
  const size = Math.min(1500, counts.filter((c) => c > 0).length - 3);
  const vocab = Vocab.fromCounts(counts, size);
  // every kept token is at least as frequent as every dropped one; ids ordered by frequency
  const kept = new Set(Array.from(vocab.gpt2.subarray(0, size - 1)));
  const minKept = Math.min(...[...kept].map((g) => counts[g]));
  let maxDropped = 0;
  for (let g = 0; g < GPT2_EOT; g++) if (!kept.has(g)) maxDropped = Math.max(maxDropped, counts[g]);
  expect(minKept).toBeGreaterThanOrEqual(maxDropped);
  for (let r = 1; r < size - 1; r++) expect(counts[vocab.gpt2[r - 1]]).toBeGreaterThanOrEqual(counts[vocab.gpt2[r]]);
  // independent count of the most frequent token
  const freq = new Map<number, number>();
  for (const s of stories) for (const g of encodeGpt2(s)) freq.set(g, (freq.get(g) ?? 0) + 1);
  const top = [...freq].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  expect(vocab.gpt2[0]).toBe(top[0]);
  console.log(
    `sample: ${stories.length} stories, ${stream.length} tokens, ${freq.size} distinct; most frequent ${JSON.stringify(vocab.piece(0))} ×${top[1]}`,
  );

  let covered = 0;
  let uncovered = 0;
  for (const s of stories) {
    const ids = vocab.encode(s);
    if (vocab.covers(s)) {
      covered++;
      expect(vocab.decode(ids)).toBe(s);
      expect(ids.includes(vocab.eot)).toBe(false);
    } else {
      uncovered++;
      const g = encodeGpt2(s);
      expect(ids.length).toBe(g.length);
      for (let i = 0; i < g.length; i++) expect(ids[i]).toBe(kept.has(g[i]) ? vocab.fromGpt2[g[i]] : vocab.eot);
      expect(ids.includes(vocab.eot)).toBe(true);
    }
  }
  expect(uncovered).toBeGreaterThan(0);
  expect(covered).toBeGreaterThan(0);
  // with the full 8,000 slots every training story is covered and round-trips
  const big = Vocab.fromCounts(counts, 8000);
  for (const s of stories) expect(big.decode(big.encode(s))).toBe(s);
  console.log(`vocab ${size}: ${covered} stories round-trip, ${uncovered} contain dropped tokens`);
});

test("the vocabulary file saves, loads and decodes without the tokenizer tables", () => {
  const { stories } = generateStories(50, 11);
  const vocab = Vocab.fromCounts(countTokens(encodeStories(stories)), 300);
  const path = join(dir.path, "vocab.json");
  vocab.save(path);
  const loaded = Vocab.load(path);
  expect(Array.from(loaded.gpt2)).toEqual(Array.from(vocab.gpt2));
  const ids = vocab.encode(stories[3]);
  expect(loaded.decode(ids)).toBe(stories[3]);
  expect(loaded.decode([loaded.eot])).toBe("<|endoftext|>");
  expect(() => loaded.decode([300])).toThrow(/out of range/);
  writeFileSync(join(dir.path, "bad.json"), '{"format":"x"}');
  expect(() => Vocab.load(join(dir.path, "bad.json"))).toThrow(/not a pullback vocabulary/);
});

test("workers and in-process tokenization give identical streams", async () => {
  const { text, stories } = generateStories(3000, 5);
  const path = join(dir.path, "gen.txt");
  writeFileSync(path, text);
  const src = resolveSource(path);
  const a = join(dir.path, "a.u16");
  const b = join(dir.path, "b.u16");
  const ra = await encodeSourceToFile(src, a, { workers: 0, chunkBytes: 20_000, progress: quiet });
  const rb = await encodeSourceToFile(src, b, { workers: 2, inProcessBelow: 0, chunkBytes: 20_000, progress: quiet });
  expect(ra.workers).toBe(0);
  expect(rb.workers).toBe(2);
  expect(rb.stories).toBe(stories.length);
  expect(Array.from(readTokens(b))).toEqual(Array.from(readTokens(a)));
  expect(Array.from(readTokens(a))).toEqual(Array.from(encodeStories(stories)));
});

test("prepareCorpus on the sample: held-out stories, cache hit on the second run (no re-tokenization)", async () => {
  const cache = join(dir.path, "cache");
  const opts = { corpus: sample, cacheDir: cache, progress: quiet, log: () => {} };
  const t0 = performance.now();
  const a = await prepareCorpus(opts);
  const t1 = performance.now();
  expect(a.cached).toEqual({ tokens: false, reduced: false });
  expect(a.stats.trainStories + a.stats.validStories).toBe(shared ? 176 : 400);
  expect(a.stats.validStories).toBe(shared ? 9 : 20); // 5 % held out
  expect(a.vocab.size).toBe(8000);
  // held-out stories are the last ones: the validation stream decodes to them
  const stories = readStories(resolveSource(sample));
  const { valid } = holdOut(stories);
  expect(a.vocab.decode(a.valid.subarray(1, 1 + a.vocab.encode(valid[0]).length))).toBe(a.vocab.decode(a.vocab.encode(valid[0])));
  expect(a.valid[0]).toBe(a.vocab.eot);
  const tokenFiles = [a.files.train, a.files.valid, a.files.vocab].map((p) => statSync(p).mtimeMs);

  const b = await prepareCorpus(opts);
  const t2 = performance.now();
  expect(b.cached).toEqual({ tokens: true, reduced: true });
  expect([b.files.train, b.files.valid, b.files.vocab].map((p) => statSync(p).mtimeMs)).toEqual(tokenFiles);
  expect(Array.from(b.train)).toEqual(Array.from(a.train));
  expect(Array.from(b.valid)).toEqual(Array.from(a.valid));
  console.log(`prepareCorpus(sample): first ${(t1 - t0).toFixed(0)} ms, cached ${(t2 - t1).toFixed(0)} ms`);
  // another vocabulary size re-uses the GPT-2 token cache and only rebuilds the reduction
  const c = await prepareCorpus({ ...opts, vocabSize: 128 });
  expect(c.cached).toEqual({ tokens: true, reduced: false });
  expect(Math.max(...c.train)).toBeLessThan(128);
  // an explicit validation file replaces the held-out stories
  const vpath = join(dir.path, "valid.txt");
  writeFileSync(vpath, generateStories(20, 9).text);
  const d = await prepareCorpus({ ...opts, valid: vpath });
  expect(d.stats.trainStories).toBe(shared ? 176 : 400);
  expect(d.stats.validStories).toBe(20);
});

test("tokenization throughput on the sample (figure, no threshold)", () => {
  const stories = readStories(resolveSource(sample));
  const bytes = stories.reduce((n, s) => n + Buffer.byteLength(s), 0);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const cold: number[] = [];
  const warm: number[] = [];
  const reference: number[] = [];
  let tokens = 0;
  for (let r = 0; r < 5; r++) {
    clearPieceCache();
    let t0 = performance.now();
    tokens = encodeStories(stories).length;
    cold.push(performance.now() - t0);
    t0 = performance.now();
    encodeStories(stories);
    warm.push(performance.now() - t0);
    t0 = performance.now();
    for (const s of stories) encodeGpt2Reference(s);
    reference.push(performance.now() - t0);
  }
  const fmt = (ms: number) =>
    `${ms.toFixed(1)} ms = ${(((tokens / ms) * 1000) / 1e6).toFixed(2)} M tokens/s (${(bytes / ms / 1000).toFixed(1)} MB/s)`;
  console.log(`tokenize sample in-process (${tokens} tokens, ${(bytes / 1e6).toFixed(3)} MB; medians of 5):`);
  console.log(`  piece cache cold ${fmt(median(cold))}; warm ${fmt(median(warm))}; gpt-tokenizer encode alone ${fmt(median(reference))}`);
  expect(tokens).toBeGreaterThan(0);
});
