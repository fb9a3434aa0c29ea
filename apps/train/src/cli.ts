#!/usr/bin/env bun
// `bun run train`: trains GPT-2 on TinyStories (see --help). Wires the options, the model
// (@pullback/gpt2) and the corpus (@pullback/corpus) to the loop in loop.ts.
import { isAbsolute, join, resolve } from "node:path";
import { bf16KernelInUse, catchStopSignals, getThreads, setPrecision, setThreads, stopSignalNumber } from "@pullback/tensor";
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { configFor, NonFiniteError, runDirOf, runTraining } from "./loop.ts";
import { presets } from "@pullback/gpt2";
import { ParamMismatchError } from "./params.ts";
import { parseOrExit, parseTrainOptions, resumedTrainOptions, trainHelp, type TrainOptions } from "./options.ts";
import { CorpusError, formatDuration, repoRoot } from "@pullback/corpus";
import { checkTrainingMemory, MemoryError } from "./memory_limits.ts";
import { DataError, loadModel, loadTrainingData, ModelConfigError } from "./plug.ts";
import { singleProcess, type Communicator } from "./parallel.ts";
import type { Mpi } from "./mpi.ts";
import { availableParallelism } from "node:os";

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
}

/** The ranks of this run (this process alone unless started by mpirun). */
let comm: Communicator = singleProcess;

/**
 * Prints the error and exits. Under MPI, an error that every rank meets alike (`collective`: a
 * bad option, a non-finite loss after the allreduce) is printed by rank 0 alone; any other names
 * its rank, and the whole job is aborted (the other ranks may be waiting for this one).
 */
function fail(message: string, status = 1, collective = false): never {
  if (comm.size === 1) {
    process.stderr.write(`error: ${message}\n`);
    process.exit(status);
  }
  if (collective) {
    if (comm.rank === 0) process.stderr.write(`error: ${message}\n`);
    process.exit(status);
  }
  process.stderr.write(`error: rank ${comm.rank} of ${comm.size}: ${message}; aborting all ranks\n`);
  return (comm as Mpi).abort(status);
}

/**
 * Joins the MPI job when this process was started by mpirun (or --distributed asks for it):
 * exits with a clear message when MPI is asked for and missing. Threads per rank default to the
 * cores of this machine divided among its ranks.
 */
async function joinRanks(opts: TrainOptions): Promise<void> {
  const { launchedByMpirun, initMpi, installHint, MpiError } = await import("./mpi.ts");
  const launch = launchedByMpirun();
  if (!launch) {
    if (opts.distributed)
      fail(
        `--distributed: this process was not started by mpirun (no OMPI_COMM_WORLD_SIZE or PMI_SIZE in its environment); run e.g. mpirun -np 2 bun run train …, after installing MPI if needed: ${installHint}`,
        2,
      );
    return;
  }
  try {
    comm = initMpi();
  } catch (e) {
    if (e instanceof MpiError) fail(`started by mpirun (rank ${launch.rank} of ${launch.size}) but MPI cannot be used: ${e.message}`);
    throw e;
  }
  if (opts.threads === 0) setThreads(Math.max(1, Math.floor(availableParallelism() / Math.max(1, launch.localSize))));
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
  await joinRanks(opts);
  let resume: LoadedCheckpoint | undefined;
  if (opts.resume !== undefined) {
    try {
      resume = loadCheckpoint(opts.resume);
      const saved = resume.meta.options as TrainOptions | undefined;
      if (saved) opts = parseOrExit(() => resumedTrainOptions(saved, argv), trainHelp);
    } catch (e) {
      if (e instanceof CheckpointError) fail(e.message, 1, true);
      throw e;
    }
  }
  if (resume && resume.meta.step >= opts.steps) {
    const more = resume.meta.step + Math.max(1, opts.steps);
    fail(
      `${resume.path} is at step ${resume.meta.step}, and --steps is ${opts.steps}: there is nothing left to train. To continue, pass a larger --steps (e.g. --steps ${more})`,
      2,
      true,
    );
  }
  setPrecision(opts.precision);
  const say = (line: string) => comm.rank === 0 && process.stderr.write(line);
  if (opts.precision === "bf16") say(`precision bf16: ${bf16KernelInUse().message}\n`);
  const runDir = opts.out ?? (resume ? runDirOf(resume.path) : join("runs", timestamp()));
  const config = resume ? resume.meta.config : configFor(presets[opts.preset], opts);
  // The global batch is cut into ranks × accumulate parts: a rank holds one part's activations at a time.
  const parts = comm.size * opts.accumulate;
  if (opts.batch < parts)
    fail(
      `--batch ${opts.batch} cannot be split into ${comm.size} ranks × --accumulate ${opts.accumulate}: it needs at least ${parts} sequences`,
      2,
      true,
    );
  const microBatch = Math.ceil(opts.batch / parts);
  try {
    checkTrainingMemory(config, microBatch, opts.context);
  } catch (e) {
    if (e instanceof MemoryError)
      fail(
        `${e.message} (--batch ${opts.batch}${parts > 1 ? ` in parts of ${microBatch}` : ""}, --context ${opts.context}${resume ? `, the config of ${resume.path}` : `, --preset ${opts.preset}`})`,
        1,
        true,
      );
    throw e;
  }
  if (comm.size > 1) {
    const threads = getThreads();
    say(
      `${comm.size} ranks × ${threads} thread${threads > 1 ? "s" : ""} (${comm.implementation}); global batch ${opts.batch} = ${comm.size} ranks × ${opts.accumulate > 1 ? `${opts.accumulate} micro-batches × ` : ""}about ${microBatch} sequences; gradients summed with MPI_Allreduce\n`,
    );
  } else if (opts.accumulate > 1) {
    say(`gradient accumulation: ${opts.accumulate} micro-batches of about ${microBatch} sequences per step\n`);
  }
  try {
    const model = await loadModel(config);
    // Rank 0 prepares the corpus (download, tokenization, its cache) before the others read it.
    const load = () =>
      loadTrainingData({
        corpus: opts.corpus,
        valid: opts.valid,
        vocab: config.vocab,
        batch: opts.batch,
        context: opts.context,
        seed: opts.seed,
        log: (line) => say(`${line}\n`),
      });
    if (comm.rank > 0) (comm as Mpi).barrier();
    const data = await load();
    if (comm.rank === 0 && comm.size > 1) (comm as Mpi).barrier();
    say(
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
    const result = runTraining(model, data, opts, runDir, resume, { communicator: comm });
    const how = result.stoppedBy === "steps" ? "all steps" : result.stoppedBy === "time" ? "time budget" : `stopped by ${result.signal}`;
    say(
      `done: step ${result.step} (${how}) in ${formatDuration((performance.now() - t0) / 1000)}; ` +
        `checkpoint ${result.checkpoint ?? "none written"}; chart ${join(runDir, "loss.svg")}\n`,
    );
    if (comm.size > 1) (comm as Mpi).finalize();
    if (result.stoppedBy === "signal") {
      say(result.checkpoint || resume || comm.rank > 0 ? `resume with: ${resumeCommand(runDir)}\n` : "no step was completed: nothing to resume\n");
      process.exit(128 + (stopSignalNumber() || 2));
    }
  } catch (e) {
    // Every rank meets these alike (the same data, the same summed gradients).
    if (
      e instanceof DataError ||
      e instanceof CorpusError ||
      e instanceof NonFiniteError ||
      e instanceof ParamMismatchError ||
      e instanceof MemoryError
    )
      fail(e.message, 1, true);
    if (e instanceof CheckpointError) fail(e.message);
    if (e instanceof ModelConfigError) fail(`${resume ? `${resume.path}: ` : ""}${e.message}`, 1, true);
    if (e instanceof RangeError && /out of memory/i.test(e.message)) {
      fail(
        `out of memory (--batch ${opts.batch} × --context ${opts.context}, a model of ${config.layers} layers, width ${config.width}, vocabulary ${config.vocab}): use a smaller --batch or --context`,
      );
    }
    throw e;
  }
}

if (import.meta.main) await main(process.argv.slice(2));
