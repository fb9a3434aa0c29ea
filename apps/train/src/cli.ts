#!/usr/bin/env bun
// `bun run train`: trains GPT-2 on TinyStories (see --help). Wires the options, the model
// (@pullback/gpt2) and the corpus (@pullback/corpus) to the loop in loop.ts.
import { join } from "node:path";
import { bf16KernelInUse, setPrecision, setThreads } from "@pullback/tensor";
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { configFor, NonFiniteError, runDirOf, runTraining } from "./loop.ts";
import { ParamMismatchError, presets } from "./model.ts";
import { parseOrExit, parseTrainOptions, resumedTrainOptions, trainHelp, type TrainOptions } from "./options.ts";
import { CorpusError } from "@pullback/corpus";
import { DataError, loadModel, loadTrainingData } from "./plug.ts";
import { formatDuration } from "./progress.ts";

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
}

function fail(message: string, status = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(status);
}

export async function main(argv: readonly string[]): Promise<void> {
  let opts = parseOrExit(() => parseTrainOptions(argv), trainHelp);
  if (opts.threads > 0) setThreads(opts.threads);
  let resume: LoadedCheckpoint | undefined;
  if (opts.resume !== undefined) {
    try {
      resume = loadCheckpoint(opts.resume);
      const saved = resume.meta.options as TrainOptions | undefined;
      if (saved) opts = parseOrExit(() => resumedTrainOptions(saved, argv), trainHelp);
    } catch (e) {
      if (e instanceof CheckpointError) fail(e.message);
      throw e;
    }
  }
  setPrecision(opts.precision);
  if (opts.precision === "bf16") process.stderr.write(`precision bf16: ${bf16KernelInUse().message}\n`);
  const runDir = opts.out ?? (resume ? runDirOf(resume.path) : join("runs", timestamp()));
  const config = resume ? resume.meta.config : configFor(presets[opts.preset], opts);
  try {
    const model = await loadModel(config);
    const data = await loadTrainingData({ corpus: opts.corpus, valid: opts.valid, vocab: config.vocab, batch: opts.batch, context: opts.context, seed: opts.seed, log: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(
      `${resume ? `resuming ${resume.path} at step ${resume.meta.step}` : `preset ${opts.preset}`}: ` +
        `${config.layers} layers, width ${config.width}; ` +
        `batch ${opts.batch} × ${opts.context}; run folder ${runDir}\n`,
    );
    let interrupted = false;
    process.on("SIGINT", () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write("\nstopping after this step (Ctrl-C again to quit at once)…\n");
    });
    const t0 = performance.now();
    const result = runTraining(model, data, opts, runDir, resume, { shouldStop: () => interrupted });
    process.stderr.write(
      `done: step ${result.step} (${result.stoppedBy === "steps" ? "all steps" : result.stoppedBy === "time" ? "time budget" : "interrupted"}) ` +
        `in ${formatDuration((performance.now() - t0) / 1000)}; checkpoint ${result.checkpoint}; chart ${join(runDir, "loss.svg")}\n`,
    );
  } catch (e) {
    if (e instanceof DataError || e instanceof CorpusError || e instanceof NonFiniteError || e instanceof CheckpointError || e instanceof ParamMismatchError) fail(e.message);
    throw e;
  }
}

if (import.meta.main) await main(process.argv.slice(2));
