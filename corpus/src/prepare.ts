// prepareCorpus: download (or take a local file), split into stories, tokenize, reduce the
// vocabulary, and cache the token streams so that a second run starts at once.
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { hashParts, readTokens, writeFileAtomic, writeTokens } from "./cache.ts";
import { download, DownloadError, datasetBaseUrl, TINYSTORIES } from "./download.ts";
import { encodeSourceToFile } from "./encode-source.ts";
import { CorpusError } from "./errors.ts";
import { cacheDir as defaultCacheDir, findSharedSample } from "./paths.ts";
import type { ProgressOptions } from "./progress.ts";
import { heldOutCount, resolveSource, type TextSource } from "./stories.ts";
import { countTokens, GPT2_EOT, PIPELINE_VERSION, TOKENIZER, Vocab } from "./tokenize.ts";

const MiB = 1 << 20;
/**
 * Default prefix of the TinyStories training file when it is not downloaded completely: 80 MiB
 * ≈ 20 M GPT-2 tokens (≈ 4.2 bytes per token), more than the 2,000 × 64 × 128 ≈ 16.4 M tokens that
 * the default 2,000-step run reads. About 20 s of download at 4 MB/s and 10–20 s of tokenizing on 2 cores.
 */
export const DEFAULT_TRAIN_CAP = 80 * MiB;
/** Default prefix of the validation file: 4 MiB ≈ 1 M tokens (the whole file is ~22 MB). */
export const DEFAULT_VALID_CAP = 4 * MiB;
/** Fraction of stories held out for validation when there is no validation file. */
export const DEFAULT_HOLD_OUT = 0.05;

export interface PrepareOptions {
  /** A local corpus file instead of TinyStories (UTF-8; `<|endoftext|>` lines or blank lines between stories). */
  corpus?: string;
  /** A validation file; default: the TinyStories validation file, or for `corpus`, its last 5 % of stories. */
  valid?: string;
  vocabSize?: number;
  /**
   * Use only the first `capBytes` of the training text (cut at a story boundary). Default: the whole
   * file when it is local or completely downloaded, else DEFAULT_TRAIN_CAP (fetching only that much).
   */
  capBytes?: number;
  validCapBytes?: number;
  /** Download the complete TinyStories files (`bun run corpus --full`). */
  full?: boolean;
  holdOut?: number;
  baseUrl?: string;
  cacheDir?: string;
  /** Tokenizer workers (default all cores; 0 = in-process). */
  workers?: number;
  /** Download retries and timeouts (see DownloadOptions). */
  retries?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
  progress?: ProgressOptions;
}

export interface CorpusStats {
  trainSource: string;
  validSource: string;
  /** Bytes of text used (after the cap). */
  trainBytes: number;
  validBytes: number;
  trainStories: number;
  validStories: number;
  trainTokens: number;
  validTokens: number;
  /** Distinct GPT-2 tokens (end-of-text excluded) in the training stories. */
  distinctTokens: number;
  vocabSize: number;
  /** Fraction of the training (validation) tokens, end-of-text separators excluded, inside the vocabulary. */
  trainCoverage: number;
  validCoverage: number;
}

export interface PreparedCorpus {
  /** Reduced token ids (end-of-text = vocab.eot before each story). */
  train: Uint16Array;
  valid: Uint16Array;
  vocab: Vocab;
  stats: CorpusStats;
  /** What came from the cache: GPT-2 streams (no tokenizing) and reduced streams. */
  cached: { tokens: boolean; reduced: boolean };
  /** The cache files (the vocabulary JSON can be copied beside checkpoints). */
  files: { train: string; valid: string; vocab: string };
}

/** The message printed when TinyStories cannot be downloaded: names `--corpus FILE` and the shared sample. */
export function offlineMessage(reason: string): string {
  const sample = findSharedSample();
  const hint = sample ? ` A 176-story sample exists (../shared/corpus/tinystories-sample.txt): --corpus ${sample}` : "";
  return (
    `cannot download TinyStories (${reason}). ` +
    `Without network, train on a local text file with --corpus FILE (UTF-8; stories separated by lines holding <|endoftext|> or by blank lines).${hint}`
  );
}

interface SourceKey {
  source: TextSource;
  hash: string;
}

/** SHA-256 of the bytes [0, end) of a source, memoized by (path, size, mtime, end). */
function hashSource(source: TextSource, dir: string): SourceKey {
  const st = statSync(source.path);
  const memoPath = join(dir, "sources.json");
  let memo: Record<string, string> = {};
  try {
    memo = JSON.parse(readFileSync(memoPath, "utf8"));
  } catch {}
  const id = `${realpathSync(source.path)}|${st.size}|${st.mtimeMs}|${source.end}`;
  if (memo[id]) return { source, hash: memo[id] };
  const h = new Bun.CryptoHasher("sha256");
  const fd = openSync(source.path, "r");
  try {
    const buf = new Uint8Array(16 * MiB);
    let pos = 0;
    while (pos < source.end) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, source.end - pos), pos);
      if (n === 0) throw new CorpusError(`${source.path}: file shrank while reading`);
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  const hash = h.digest("hex");
  memo[id] = hash;
  writeFileAtomic(memoPath, JSON.stringify(memo, null, 1));
  return { source, hash };
}

interface Gpt2Stream {
  key: string;
  tokens: Uint16Array;
  stories: number;
  cached: boolean;
}

/** The GPT-2 token stream of a source, from the cache or tokenized now (and cached). */
async function gpt2Stream(src: SourceKey, dir: string, label: string, options: PrepareOptions): Promise<Gpt2Stream> {
  const key = hashParts("gpt2-stream", TOKENIZER, String(PIPELINE_VERSION), src.hash, src.source.format).slice(0, 32);
  const path = join(dir, `gpt2-${key}.u16`);
  const metaPath = join(dir, `gpt2-${key}.json`);
  if (existsSync(path) && existsSync(metaPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, "utf8")) as { stories: number; tokens: number };
      const tokens = readTokens(path);
      if (tokens.length === meta.tokens) return { key, tokens, stories: meta.stories, cached: true };
    } catch {}
  }
  const r = await encodeSourceToFile(src.source, path, { workers: options.workers, progress: options.progress, label: `tokenizing ${label}` });
  writeFileAtomic(
    metaPath,
    JSON.stringify({ tokens: r.tokens, stories: r.stories, bytes: src.source.end, source: src.source.path, tokenizer: TOKENIZER }),
  );
  return { key, tokens: readTokens(path), stories: r.stories, cached: false };
}

/** Index where the last `k` stories of an end-of-text-prefixed stream begin. */
function tailStart(tokens: Uint16Array, k: number): number {
  if (k === 0) return tokens.length;
  let seen = 0;
  for (let i = tokens.length - 1; i >= 0; i--) if (tokens[i] === GPT2_EOT && ++seen === k) return i;
  return 0;
}

/** Fraction of non-end-of-text GPT-2 tokens that the vocabulary keeps. */
function vocabCoverage(gpt2: Uint16Array, vocab: Vocab): number {
  let real = 0;
  let kept = 0;
  const table = vocab.fromGpt2;
  for (let i = 0; i < gpt2.length; i++) {
    const g = gpt2[i];
    if (g === GPT2_EOT) continue;
    real++;
    if (table[g] !== vocab.eot) kept++;
  }
  return real === 0 ? 1 : kept / real;
}

function storiesIn(tokens: Uint16Array): number {
  let n = 0;
  for (let i = 0; i < tokens.length; i++) if (tokens[i] === GPT2_EOT) n++;
  return n;
}

/** Downloads or opens the corpus, tokenizes it (cached) and returns reduced train/valid streams. */
export async function prepareCorpus(options: PrepareOptions = {}): Promise<PreparedCorpus> {
  const log = options.log ?? ((line: string) => console.error(line));
  const vocabSize = options.vocabSize ?? 8000;
  const root = options.cacheDir ?? defaultCacheDir();
  const tokensDir = join(root, "tokens");

  // 1. Sources.
  let trainSource: TextSource;
  let validSource: TextSource | undefined;
  if (options.corpus) {
    trainSource = resolveSource(options.corpus, { capBytes: options.capBytes });
  } else {
    const base = (options.baseUrl ?? datasetBaseUrl()).replace(/\/+$/, "");
    const fetchFile = async (file: string, cap: number | undefined) => {
      const url = `${base}/${file}`;
      const dest = join(root, "download", file);
      // Without an explicit cap, a completely downloaded file is used whole.
      const effectiveCap = options.full
        ? undefined
        : (cap ?? (existsSync(dest) ? undefined : file === TINYSTORIES.train ? DEFAULT_TRAIN_CAP : DEFAULT_VALID_CAP));
      try {
        const r = await download({
          url,
          dest,
          capBytes: effectiveCap,
          retries: options.retries,
          retryDelayMs: options.retryDelayMs,
          timeoutMs: options.timeoutMs,
          progress: options.progress,
          log,
          label: file,
        });
        return resolveSource(r.path, { capBytes: effectiveCap, partial: !r.complete });
      } catch (e) {
        if (e instanceof DownloadError) throw new CorpusError(offlineMessage(e.message));
        throw e;
      }
    };
    trainSource = await fetchFile(TINYSTORIES.train, options.capBytes);
    if (!options.valid) validSource = await fetchFile(TINYSTORIES.valid, options.validCapBytes);
  }
  if (options.valid) validSource = resolveSource(options.valid, { capBytes: options.validCapBytes });

  // 2. GPT-2 token streams (cached by content).
  const trainKey = hashSource(trainSource, tokensDir);
  const trainStream = await gpt2Stream(trainKey, tokensDir, "train", options);
  let trainG = trainStream.tokens;
  let validG: Uint16Array;
  let validKey: string;
  let validCached = true;
  const fraction = options.holdOut ?? DEFAULT_HOLD_OUT;
  if (validSource) {
    const vs = await gpt2Stream(hashSource(validSource, tokensDir), tokensDir, "valid", options);
    validG = vs.tokens;
    validKey = vs.key;
    validCached = vs.cached;
  } else {
    const cut = tailStart(trainG, heldOutCount(trainStream.stories, fraction));
    validG = trainG.subarray(cut);
    trainG = trainG.subarray(0, cut);
    validKey = `holdout:${fraction}`;
  }

  // 3. Reduced vocabulary and streams (cached by both streams and the vocabulary size).
  const rkey = hashParts("reduced", TOKENIZER, String(PIPELINE_VERSION), trainStream.key, validKey, String(vocabSize)).slice(0, 32);
  const files = {
    train: join(tokensDir, `${rkey}.train.u16`),
    valid: join(tokensDir, `${rkey}.valid.u16`),
    vocab: join(tokensDir, `${rkey}.vocab.json`),
  };
  const statsPath = join(tokensDir, `${rkey}.stats.json`);
  if ([files.train, files.valid, files.vocab, statsPath].every((p) => existsSync(p))) {
    try {
      const stats = JSON.parse(readFileSync(statsPath, "utf8")) as CorpusStats;
      const train = readTokens(files.train);
      const valid = readTokens(files.valid);
      const vocab = Vocab.load(files.vocab);
      if (train.length === stats.trainTokens && valid.length === stats.validTokens && vocab.size === vocabSize)
        return { train, valid, vocab, stats, cached: { tokens: trainStream.cached && validCached, reduced: true }, files };
    } catch {}
  }
  const counts = countTokens(trainG);
  const vocab = Vocab.fromCounts(counts, vocabSize);
  const train = vocab.reduce(trainG);
  const valid = vocab.reduce(validG);
  let distinct = 0;
  for (let g = 0; g < GPT2_EOT; g++) if (counts[g] > 0) distinct++;
  const stats: CorpusStats = {
    trainSource: `${trainSource.path}${trainSource.whole ? "" : ` (first ${trainSource.end} bytes)`}`,
    validSource: validSource
      ? `${validSource.path}${validSource.whole ? "" : ` (first ${validSource.end} bytes)`}`
      : `last ${fraction * 100}% of the training stories`,
    trainBytes: trainSource.end,
    validBytes: validSource?.end ?? 0,
    trainStories: storiesIn(trainG),
    validStories: storiesIn(validG),
    trainTokens: train.length,
    validTokens: valid.length,
    distinctTokens: distinct,
    vocabSize,
    trainCoverage: vocabCoverage(trainG, vocab),
    validCoverage: vocabCoverage(validG, vocab),
  };
  writeTokens(files.train, train);
  writeTokens(files.valid, valid);
  vocab.save(files.vocab);
  writeFileAtomic(statsPath, JSON.stringify(stats, null, 1));
  return { train, valid, vocab, stats, cached: { tokens: trainStream.cached && validCached, reduced: false }, files };
}
