#!/usr/bin/env bun
// bun run corpus [--full] [--cap MB] [--corpus FILE] [--valid FILE] [--vocab N] [--help]
import { parseArgs } from "node:util";
import { CorpusError } from "./errors.ts";
import { DEFAULT_TRAIN_CAP, DEFAULT_VALID_CAP, prepareCorpus } from "./prepare.ts";
import { formatBytes } from "./progress.ts";
import { cacheDir } from "./paths.ts";

const HELP = `bun run corpus — download and tokenize the training corpus, print statistics

Usage: bun run corpus [options]

  (no options)      fetch the first ${DEFAULT_TRAIN_CAP / 2 ** 20} MiB of TinyStoriesV2-GPT4-train.txt and ${DEFAULT_VALID_CAP / 2 ** 20} MiB of
                    the validation file (enough for the default 2,000-step run), tokenize, cache
  --full            download the complete files (~2.2 GB; resumable) and tokenize them all;
                    later runs without --cap then use the whole corpus
  --cap MB          use (and fetch) only the first MB MiB of the training text, cut at a story boundary
  --corpus FILE     a local UTF-8 text instead of TinyStories: stories separated by lines holding
                    <|endoftext|> or by blank lines; the last 5% of its stories are held out for validation
  --valid FILE      a validation file (instead of the held-out stories or the TinyStories validation file)
  --vocab N         reduced vocabulary size (default 8000: the 7,999 most frequent tokens + end-of-text)
  --workers N       tokenizer workers (default: all cores)
  --help            this text

Environment: PULLBACK_CORPUS_URL (base URL of the dataset files, default Hugging Face),
PULLBACK_CORPUS_CACHE (cache folder, default corpus/cache), PULLBACK_SHARED (the shared folder).
Cache: ${cacheDir()}`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: Bun.argv.slice(2),
      options: {
        full: { type: "boolean" },
        cap: { type: "string" },
        corpus: { type: "string" },
        valid: { type: "string" },
        vocab: { type: "string" },
        workers: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`corpus: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const num = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new CorpusError(`--${name} expects a number ≥ ${min}, got "${v}"`);
    return n;
  };
  try {
    const capMiB = num("cap", args.cap, 0.001);
    const t0 = performance.now();
    const r = await prepareCorpus({
      corpus: args.corpus,
      valid: args.valid,
      full: args.full,
      capBytes: capMiB === undefined ? undefined : Math.round(capMiB * 2 ** 20),
      vocabSize: num("vocab", args.vocab, 2),
      workers: num("workers", args.workers, 0),
    });
    const s = r.stats;
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const n = (x: number) => x.toLocaleString("en-US");
    console.log(
      [
        `train: ${s.trainSource}`,
        `       ${formatBytes(s.trainBytes)}, ${n(s.trainStories)} stories, ${n(s.trainTokens)} tokens (${(s.trainBytes / Math.max(1, s.trainTokens)).toFixed(2)} bytes/token)`,
        `valid: ${s.validSource}`,
        `       ${n(s.validStories)} stories, ${n(s.validTokens)} tokens`,
        `vocab: ${n(s.vocabSize)} ids (${n(s.vocabSize - 1)} most frequent GPT-2 tokens + end-of-text) of ${n(s.distinctTokens)} distinct GPT-2 tokens in the training stories`,
        `       coverage: ${pct(s.trainCoverage)} of training tokens, ${pct(s.validCoverage)} of validation tokens (the rest map to end-of-text)`,
        `cache: ${r.cached.reduced ? "hit" : r.cached.tokens ? "tokens hit, vocabulary rebuilt" : "tokenized now"} (${((performance.now() - t0) / 1000).toFixed(2)} s)`,
        `       ${r.files.train}`,
        `       ${r.files.vocab}`,
      ].join("\n"),
    );
    return 0;
  } catch (e) {
    if (e instanceof CorpusError) {
      console.error(`corpus: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exit(await main());
