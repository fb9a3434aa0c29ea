// The training loop: batches from a loader, loss and gradients from a TrainableModel, clipping,
// the learning-rate schedule, Adam, metrics, progress, validation, samples, checkpoints, the
// loss chart, the time budget, and resume. No model math here.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { MemoryPool, Rng, stopSignal, stoppable, StopRequested } from "@pullback/tensor";
import { AnomalyError } from "@pullback/ad";
import { writeLossChart } from "./chart.ts";
import { clipGradients } from "./clip.ts";
import { saveCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { MetricsLog, readMetrics, truncateMetrics } from "./metrics.ts";
import type { ModelConfig, ParamTree, TrainableModel } from "@pullback/gpt2";
import { namedTensors, unflattenLike } from "./params.ts";
import { adamStep, initAdam, type AdamHyper } from "./optimizer.ts";
import type { TrainOptions } from "./options.ts";
import type { TrainingData } from "./plug.ts";
import { formatDuration } from "@pullback/corpus";
import { StepProgress, type StepProgressOptions } from "./progress.ts";
import { generate } from "./sampling.ts";
import { learningRate } from "./schedule.ts";
import { addScaled, flatGradients, partRows, partSeed, singleProcess, sliceBatch, type Communicator, type FlatGradients } from "./parallel.ts";

/** Training stopped on a non-finite loss or gradient (the last good checkpoint is kept). */
export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
    this.name = "NonFiniteError";
  }
}

export interface RunResult {
  runDir: string;
  /** Last step done. */
  step: number;
  /** Training losses of the steps done by this call, in order. */
  losses: number[];
  stoppedBy: "steps" | "time" | "signal";
  /** With stoppedBy "signal": the signal ("SIGINT", "SIGTERM") or "stop" for the shouldStop hook. */
  signal?: string;
  checkpoint?: string;
  /** Bytes of the step memory pool at the end: the peak memory of a step's tensors (one micro-batch's with --accumulate). */
  poolBytes: number;
}

export interface LoopHooks {
  /** Progress output (default: stderr). */
  progress?: StepProgressOptions["stream"];
  /** Where samples and messages go (default: the progress stream, as lines). */
  log?: (line: string) => void;
  /** Polled after every step: true stops the run cleanly (with a checkpoint), as Ctrl-C does. */
  shouldStop?: () => boolean;
  /**
   * The ranks that train together (default: this process alone). Every rank runs this loop on
   * its share of every batch; rank 0 alone writes progress, metrics, samples and checkpoints.
   */
  communicator?: Communicator;
}

/** Stop decisions of every rank, agreed on after each step (all ranks stop at the same step). */
const stopReasons = ["SIGINT", "SIGTERM", "SIGHUP", "stop"] as const;
function agreeOnStop(
  comm: Communicator,
  local: { timeUp: boolean; interrupted?: string; signal?: string },
): { timeUp: boolean; interrupted?: string; signal?: string } {
  if (comm.size === 1) return local;
  // One slot triple per rank: [time up (rank 0's clock decides), interrupted, signal]; the sum
  // gives every rank everybody's slots, and the first rank that has a reason gives it.
  const code = (s?: string) => (s === undefined ? 0 : stopReasons.indexOf(s as (typeof stopReasons)[number]) + 1 || stopReasons.length);
  const slots = new Float64Array(3 * comm.size);
  slots.set([comm.rank === 0 && local.timeUp ? 1 : 0, code(local.interrupted), code(local.signal)], 3 * comm.rank);
  comm.allreduceSum(slots);
  const name = (c: number) => (c === 0 ? undefined : stopReasons[c - 1]);
  let interrupted: string | undefined, signal: string | undefined;
  for (let r = 0; r < comm.size; r++) {
    interrupted ??= name(slots[3 * r + 1]);
    signal ??= name(slots[3 * r + 2]);
  }
  return { timeUp: slots[0] === 1, interrupted, signal };
}

/** Is `pid` a running process (other than this one)? */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temp files (`.NAME.PID.N.tmp`, see writeFileAtomic) that a killed run left in `dir`,
 * unless the process that writes them is still running. Returns the names removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^\..+\.(\d+)\.\d+\.tmp$/.exec(f);
    if (m && !alive(Number(m[1]))) {
      rmSync(join(dir, f), { force: true });
      removed.push(f);
    }
  }
  return removed;
}

export function runDirOf(checkpointJson: string): string {
  const dir = join(checkpointJson, "..");
  return basename(dir) === "checkpoints" ? join(dir, "..") : dir;
}

/** The model config of a run: the preset with the run's context and dropout. */
export function configFor(base: ModelConfig, opts: TrainOptions): ModelConfig {
  return { ...base, dropout: opts.dropout };
}

/**
 * Trains `model` on `data` as `opts` says, writing everything into `runDir`. With `resume`
 * (a loaded checkpoint) it continues where that checkpoint stopped, so that the losses equal
 * those of an uninterrupted run with the same options and seed.
 */
export function runTraining(
  model: TrainableModel,
  data: TrainingData,
  opts: TrainOptions,
  runDir: string,
  resume?: LoadedCheckpoint,
  hooks: LoopHooks = {},
): RunResult {
  const comm = hooks.communicator ?? singleProcess;
  /** Rank 0 writes (the run folder, metrics, checkpoints, output); the other ranks only compute. */
  const writer = comm.rank === 0;
  // The global batch is cut into `parts` parts: `accumulate` consecutive ones per rank.
  const accumulate = opts.accumulate ?? 1;
  const parts = comm.size * accumulate;
  if (opts.batch < parts) {
    throw new Error(
      `--batch ${opts.batch} cannot be split into ${comm.size} rank${comm.size > 1 ? "s" : ""} × ${accumulate} micro-batch${accumulate > 1 ? "es" : ""}: it needs at least ${parts} sequences`,
    );
  }
  const ckptDir = join(runDir, "checkpoints");
  const metricsPath = join(runDir, "metrics.jsonl");
  const chartPath = join(runDir, "loss.svg");
  const vocabName = basename(data.vocabularyFile);
  if (writer) {
    mkdirSync(runDir, { recursive: true });
    removeStaleTempFiles(runDir);
    removeStaleTempFiles(ckptDir);
    if (existsSync(data.vocabularyFile) && !existsSync(join(runDir, vocabName))) copyFileSync(data.vocabularyFile, join(runDir, vocabName));
  }

  const hyper = (lr: number): AdamHyper => ({ lr, beta1: opts.beta1, beta2: opts.beta2, eps: opts.eps, weightDecay: opts.weightDecay });
  let rng = new Rng(opts.seed);
  let params: ParamTree = model.initParams(rng);
  const adam = initAdam(params);
  let step = 0,
    elapsedBefore = 0;
  if (resume) {
    const what = `checkpoint ${resume.path}`;
    params = unflattenLike(params, resume.params, what);
    adam.m = unflattenLike(params, resume.m, `${what} (Adam m)`);
    adam.v = unflattenLike(params, resume.v, `${what} (Adam v)`);
    adam.step = resume.meta.optimizer.step;
    rng = new Rng(resume.meta.rng);
    data.train.restore(resume.meta.data);
    step = resume.meta.step;
    elapsedBefore = resume.meta.elapsed;
    if (writer) truncateMetrics(metricsPath, step);
  }
  const silent = { write: () => true, isTTY: false };
  const metrics = writer ? new MetricsLog(metricsPath) : { append: () => {} };
  const progress = new StepProgress({
    totalSteps: opts.steps,
    timeBudget: opts.time || undefined,
    elapsedBefore,
    stream: writer ? hooks.progress : silent,
  });
  const log = writer ? (hooks.log ?? ((line: string) => progress.log(line))) : () => {};
  const validStart = data.valid?.state();
  const started = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
  const tokensPerStep = opts.batch * opts.context;
  const losses: number[] = [];
  let lastCheckpoint: string | undefined;
  let lastSavedStep = resume ? step : -1;

  /** Memory of every step's tensors, reused from step to step (see MemoryPool). */
  const pool = new MemoryPool();
  // Several parts per rank, or several ranks: the parts' gradients are summed into buffers made
  // here, outside the pool, as the Adam state is (and ranks sum those buffers: one allreduce).
  const summed: FlatGradients | undefined = parts > 1 ? flatGradients(params) : undefined;
  const lossSum = new Float64Array(1);
  // Under MPI a rank must not abandon a step the others finish (they would wait for its
  // gradients): a stop signal is handled after the step, by all ranks together.
  const guard: <T>(f: () => T) => T = comm.size > 1 ? (f) => f() : stoppable;
  const checkpoint = () => {
    if (!writer) {
      lastSavedStep = step;
      return;
    }
    lastCheckpoint = saveCheckpoint(
      ckptDir,
      {
        step,
        config: model.config,
        params,
        adam,
        hyper: hyper(opts.lr),
        rng: rng.state,
        data: data.train.state(),
        vocabulary: vocabName,
        options: { ...opts },
        elapsed: elapsed(),
      },
      opts.keep,
    );
    lastSavedStep = step;
  };
  const chart = () => writer && writeLossChart(chartPath, readMetrics(metricsPath), { title: `${basename(runDir)}: loss` });
  const evaluate = () => {
    if (!data.valid || !writer) return;
    data.valid.restore(validStart);
    let sum = 0;
    for (let i = 0; i < opts.evalBatches; i++) sum += pool.run(() => model.loss(params, data.valid!.next()));
    const loss = sum / opts.evalBatches;
    metrics.append({ type: "eval", step, loss, time: elapsed() });
    log(`step ${step}: validation loss ${loss.toFixed(4)}`);
  };
  const sample = () => {
    if (!writer) return;
    const v = data.vocabulary;
    const ids = generate(model, params, v.encode(opts.prompt), {
      maxTokens: opts.sampleTokens,
      temperature: 0,
      rng: new Rng(0),
      stopToken: v.endOfText,
    });
    const text = opts.prompt + v.decode(ids);
    metrics.append({ type: "sample", step, prompt: opts.prompt, text });
    log(`step ${step} sample: ${text}`);
  };

  let stoppedBy: RunResult["stoppedBy"] = "steps";
  let signal: string | undefined;
  const stop = (by: string, abandoned: boolean) => {
    stoppedBy = "signal";
    signal = by;
    const save =
      step === 0 && lastSavedStep < 0 ? "nothing to save" : lastSavedStep === step ? "its checkpoint is written" : "writing its checkpoint";
    log(`${by}: stopping at step ${step}${abandoned ? ` (step ${step + 1} abandoned)` : ""}; ${save} (send it again to quit at once)`);
  };
  while (step < opts.steps) {
    const t0 = performance.now();
    // A stop signal (Ctrl-C, SIGTERM) abandons the forward and backward pass between two kernels
    // (`stoppable`); the parameters are untouched until adamStep, so the checkpoint written after
    // the loop is the last completed step's — once the batch and the RNG are put back as well.
    const dataBefore = data.train.state(),
      rngBefore = rng.state;
    const batch = data.train.next();
    const dropoutSeed = rng.nextU32();
    const next = step + 1;
    const keep = lastCheckpoint ?? (lastSavedStep >= 0 ? "the checkpoint it resumed from" : "no checkpoint yet");
    const lr = learningRate(next, { lr: opts.lr, warmup: opts.warmup, schedule: opts.schedule, minLr: opts.minLr, steps: opts.steps });
    // Every tensor of the step (activations, cotangents, gradients) lives in the pool: from the
    // second step on, the step allocates no new memory. Parameters and Adam state live outside.
    const stepOptions = (seed: number) => ({ dropoutSeed: seed, train: opts.dropout > 0, detectAnomaly: opts.detectAnomaly });
    let allreduceMs = 0;
    const result = pool.run(() => {
      let loss: number, grads: ParamTree;
      try {
        [loss, grads] = guard((): [number, ParamTree] => {
          if (!summed) return model.lossAndGrads(params, batch, stepOptions(dropoutSeed));
          // This rank's parts one after the other, each in its own pool run (the memory of one
          // part's activations is reused by the next), summed with weights rows / batch.
          lossSum[0] = 0;
          for (let i = 0; i < accumulate; i++) {
            const k = comm.rank * accumulate + i;
            const [start, end] = partRows(opts.batch, parts, k);
            const weight = (end - start) / opts.batch;
            pool.run(() => {
              const [l, g] = model.lossAndGrads(params, sliceBatch(batch, start, end), stepOptions(partSeed(dropoutSeed, k)));
              lossSum[0] += weight * l;
              addScaled(summed.tree, g, weight, i === 0);
            });
          }
          if (comm.size > 1) {
            const t = performance.now();
            comm.allreduceSum(summed.flat);
            comm.allreduceSum(lossSum);
            allreduceMs = performance.now() - t;
          }
          return [lossSum[0], summed.tree];
        });
      } catch (e) {
        if (e instanceof StopRequested) return e;
        // --detect-anomaly: the first op with a non-finite output, and where it is called.
        if (e instanceof AnomalyError) throw new NonFiniteError(next, `step ${next}: ${e.message}; training stopped (last good checkpoint: ${keep})`);
        throw e;
      }
      if (!Number.isFinite(loss))
        throw new NonFiniteError(next, `step ${next}: the loss is ${loss}; training stopped (last good checkpoint: ${keep})`);
      const { norm } = clipGradients(grads, opts.clip);
      if (!Number.isFinite(norm)) {
        const bad = namedTensors(grads).find(([, t]) => t.data.some((x) => !Number.isFinite(x)))?.[0] ?? "?";
        throw new NonFiniteError(next, `step ${next}: the gradient of ${bad} is not finite; training stopped (last good checkpoint: ${keep})`);
      }
      adamStep(params, grads, adam, hyper(lr));
      return { loss, norm };
    });
    if (result instanceof StopRequested) {
      // The step was abandoned before its update: put the loader and the RNG back before it.
      data.train.restore(dataBefore);
      rng = new Rng(rngBefore);
      stop(result.signal, true);
      break;
    }
    const { loss, norm } = result;
    step = next;
    losses.push(loss);
    const ms = performance.now() - t0;
    metrics.append({
      type: "train",
      step,
      loss,
      lr,
      gradNorm: norm,
      ms,
      tokensPerSecond: (tokensPerStep * 1000) / ms,
      time: elapsed(),
      ...(comm.size > 1 ? { allreduceMs } : {}),
    });
    progress.update({ step, loss, lr, tokens: tokensPerStep, ms });
    // The first two steps fill the memory pool and warm up; the third is a steady-state step.
    if (losses.length === 3 && step < opts.steps) {
      const left = opts.steps - step;
      const projected = (left * ms) / 1000;
      log(
        `step ${step}: ${ms.toFixed(0)} ms per step → the remaining ${left} steps take about ${formatDuration(projected)}` +
          (opts.time > 0 && projected > opts.time - elapsed() ? ` (the --time budget stops the run earlier)` : ""),
      );
    }

    let interrupted: string | undefined;
    try {
      // Evaluation and samples only read the parameters: a signal may cut them short (unrecorded).
      if (opts.evalEvery > 0 && step % opts.evalEvery === 0) stoppable(evaluate);
      if (opts.sampleEvery > 0 && step % opts.sampleEvery === 0) stoppable(sample);
    } catch (e) {
      if (!(e instanceof StopRequested)) throw e;
      if (step < opts.steps) interrupted = e.signal;
    }
    if (!interrupted && opts.checkpointEvery > 0 && step % opts.checkpointEvery === 0) {
      checkpoint();
      chart();
    }
    const timeUp = opts.time > 0 && elapsed() >= opts.time && step < opts.steps;
    const pending = interrupted || timeUp ? undefined : (stopSignal() ?? (hooks.shouldStop?.() ? "stop" : undefined));
    // Every rank stops at the same step, for the reason of the first rank that has one.
    const agreed = agreeOnStop(comm, { timeUp, interrupted, signal: pending });
    if (agreed.interrupted) {
      stop(agreed.interrupted, false);
      break;
    }
    if (agreed.timeUp) {
      stoppedBy = "time";
      break;
    }
    if (agreed.signal && step < opts.steps) {
      stop(agreed.signal, false);
      break;
    }
  }
  progress.finish();
  // A signal before the first step of a fresh run leaves nothing worth saving (the initialization is the seed's).
  if (lastSavedStep !== step && !(signal !== undefined && step === 0)) checkpoint();
  chart();
  return { runDir, step, losses, stoppedBy, signal, checkpoint: lastCheckpoint, poolBytes: pool.stats().bytes };
}
