#!/usr/bin/env bun
// `bun run train`: trains GPT-2 on TinyStories (see --help). Wires the options, the model
// (@pullback/gpt2) and the corpus (@pullback/corpus) to the loop in loop.ts.
import { isAbsolute, join, resolve } from "node:path";
import { bf16KernelInUse, catchStopSignals, setPrecision, setThreads, stopSignalNumber } from "@pullback/tensor";
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { configFor, NonFiniteError, runDirOf, runTraining } from "./loop.ts";
import { ParamMismatchError, presets } from "./model.ts";
import { parseOrExit, parseTrainOptions, resumedTrainOptions, trainHelp, type TrainOptions } from "./options.ts";
import { CorpusError, repoRoot } from "@pullback/corpus";
import { checkTrainingMemory, MemoryError } from "./memory_limits.ts";
import { DataError, loadModel, loadTrainingData, ModelConfigError } from "./plug.ts";
import { formatDuration } from "./progress.ts";

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
}

function fail(message: string, status = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(status);
}

/** A path as a shell word. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that resumes the run in `runDir`: `bun run train` runs from the repository root. */
export function resumeCommand(runDir: string): string {
  const path = isAbsolute(runDir) || resolve(process.cwd()) === resolve(repoRoot()) ? runDir : resolve(runDir);
  return `bun run train --resume ${shellWord(path)}`;
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
  if (resume && resume.meta.step >= opts.steps) {
    const more = resume.meta.step + Math.max(1, opts.steps);
    fail(`${resume.path} is at step ${resume.meta.step}, and --steps is ${opts.steps}: there is nothing left to train. To continue, pass a larger --steps (e.g. --steps ${more})`, 2);
  }
  setPrecision(opts.precision);
  if (opts.precision === "bf16") process.stderr.write(`precision bf16: ${bf16KernelInUse().message}\n`);
  const runDir = opts.out ?? (resume ? runDirOf(resume.path) : join("runs", timestamp()));
  const config = resume ? resume.meta.config : configFor(presets[opts.preset], opts);
  try {
    checkTrainingMemory(config, opts.batch, opts.context);
  } catch (e) {
    if (e instanceof MemoryError) fail(`${e.message} (--batch ${opts.batch}, --context ${opts.context}${resume ? `, the config of ${resume.path}` : `, --preset ${opts.preset}`})`);
    throw e;
  }
  try {
    const model = await loadModel(config);
    const data = await loadTrainingData({ corpus: opts.corpus, valid: opts.valid, vocab: config.vocab, batch: opts.batch, context: opts.context, seed: opts.seed, log: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(
      `${resume ? `resuming ${resume.path} at step ${resume.meta.step}` : `preset ${opts.preset}`}: ` +
        `${config.layers} layers, width ${config.width}; ` +
        `batch ${opts.batch} × ${opts.context}; run folder ${runDir}\n`,
    );
    // Ctrl-C and SIGTERM from here on: the first stops the loop within one kernel call, abandoning
    // the step in progress, and writes the checkpoint of the last completed step; a second one
    // (more than 0.5 s later) quits at once. Both are caught natively (zig-kernels/src/signals.zig):
    // a JavaScript listener would only run once the loop yields, after the last step.
    catchStopSignals();
    const t0 = performance.now();
    const result = runTraining(model, data, opts, runDir, resume);
    const how = result.stoppedBy === "steps" ? "all steps" : result.stoppedBy === "time" ? "time budget" : `stopped by ${result.signal}`;
    process.stderr.write(
      `done: step ${result.step} (${how}) in ${formatDuration((performance.now() - t0) / 1000)}; ` +
        `checkpoint ${result.checkpoint ?? "none written"}; chart ${join(runDir, "loss.svg")}\n`,
    );
    if (result.stoppedBy === "signal") {
      process.stderr.write(result.checkpoint || resume ? `resume with: ${resumeCommand(runDir)}\n` : "no step was completed: nothing to resume\n");
      process.exit(128 + (stopSignalNumber() || 2));
    }
  } catch (e) {
    if (e instanceof DataError || e instanceof CorpusError || e instanceof NonFiniteError || e instanceof CheckpointError || e instanceof ParamMismatchError || e instanceof MemoryError) fail(e.message);
    if (e instanceof ModelConfigError) fail(`${resume ? `${resume.path}: ` : ""}${e.message}`);
    if (e instanceof RangeError && /out of memory/i.test(e.message)) {
      fail(`out of memory (--batch ${opts.batch} × --context ${opts.context}, a model of ${config.layers} layers, width ${config.width}, vocabulary ${config.vocab}): use a smaller --batch or --context`);
    }
    throw e;
  }
}

if (import.meta.main) await main(process.argv.slice(2));
