#!/usr/bin/env bun
// `bun run sample --checkpoint PATH --prompt "One day,"`: continues a prompt with a trained model,
// greedy by default (as proc-macro-gpt), or sampled with --temperature / --top-k / --top-p.
import { join } from "node:path";
import { bf16KernelInUse, Rng, setPrecision, setThreads } from "@pullback/tensor";
import { CheckpointError, loadCheckpoint } from "./checkpoint.ts";
import { runDirOf } from "./loop.ts";
import { ParamMismatchError, unflattenLike } from "./params.ts";
import { parseOrExit, parseSampleOptions, sampleHelp } from "./options.ts";
import { CorpusError } from "@pullback/corpus";
import { loadModel, loadVocabulary, ModelConfigError } from "./plug.ts";
import { generate } from "./sampling.ts";
import { checkModelMemory, MemoryError } from "./memory_limits.ts";

export async function main(argv: readonly string[]): Promise<void> {
  const opts = parseOrExit(() => parseSampleOptions(argv), sampleHelp);
  if (opts.threads > 0) setThreads(opts.threads);
  setPrecision(opts.precision);
  if (opts.precision === "bf16") process.stderr.write(`precision bf16: ${bf16KernelInUse().message}\n`);
  try {
    const ckpt = loadCheckpoint(opts.checkpoint!);
    checkModelMemory(ckpt.meta.config, 2);
    const model = await loadModel({ ...ckpt.meta.config, dropout: 0 });
    const params = unflattenLike(model.initParams(new Rng(0)), ckpt.params, `checkpoint ${ckpt.path}`);
    if (!ckpt.meta.vocabulary) throw new CheckpointError(`${ckpt.path}: names no vocabulary file`);
    const vocab = await loadVocabulary(join(runDirOf(ckpt.path), ckpt.meta.vocabulary));
    const prompt = vocab.encode(opts.prompt);
    const ids = generate(model, params, prompt, {
      maxTokens: opts.maxTokens,
      temperature: opts.temperature,
      topK: opts.topK,
      topP: opts.topP,
      rng: new Rng(opts.seed),
      stopToken: vocab.endOfText,
    });
    process.stdout.write(opts.prompt + vocab.decode(ids) + "\n");
  } catch (e) {
    if (
      e instanceof CheckpointError ||
      e instanceof CorpusError ||
      e instanceof ParamMismatchError ||
      e instanceof MemoryError ||
      e instanceof ModelConfigError
    ) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

if (import.meta.main) await main(process.argv.slice(2));
