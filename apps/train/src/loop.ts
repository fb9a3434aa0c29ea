// The training loop: batches from a loader, loss and gradients from a TrainableModel, clipping,
// the learning-rate schedule, Adam, metrics, progress, validation, samples, checkpoints, the
// loss chart, the time budget, and resume. No model math here.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { MemoryPool, Rng, stopSignal, stoppable, StopRequested } from "@pullback/tensor";
import { AnomalyError } from "@pullback/tensor/rrules";
import { writeLossChart } from "./chart.ts";
import { clipGradients } from "./clip.ts";
import { saveCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { MetricsLog, readMetrics, truncateMetrics } from "./metrics.ts";
import { flattenTree, unflattenLike, type ModelConfig, type ParamTree, type TrainableModel } from "./model.ts";
import { adamStep, initAdam, type AdamHyper } from "./optimizer.ts";
import type { TrainOptions } from "./options.ts";
import type { TrainingData } from "./plug.ts";
import { formatDuration, Progress, type ProgressOptions } from "./progress.ts";
import { generate } from "./sampling.ts";
import { learningRate } from "./schedule.ts";

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
}

export interface LoopHooks {
  /** Progress output (default: stderr). */
  progress?: ProgressOptions["stream"];
  /** Where samples and messages go (default: the progress stream, as lines). */
  log?: (line: string) => void;
  /** Polled after every step: true stops the run cleanly (with a checkpoint), as Ctrl-C does. */
  shouldStop?: () => boolean;
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
export function runTraining(model: TrainableModel, data: TrainingData, opts: TrainOptions, runDir: string, resume?: LoadedCheckpoint, hooks: LoopHooks = {}): RunResult {
  mkdirSync(runDir, { recursive: true });
  const ckptDir = join(runDir, "checkpoints");
  removeStaleTempFiles(runDir);
  removeStaleTempFiles(ckptDir);
  const metricsPath = join(runDir, "metrics.jsonl");
  const chartPath = join(runDir, "loss.svg");
  const vocabName = basename(data.vocabularyFile);
  if (existsSync(data.vocabularyFile) && !existsSync(join(runDir, vocabName))) copyFileSync(data.vocabularyFile, join(runDir, vocabName));

  const hyper = (lr: number): AdamHyper => ({ lr, beta1: opts.beta1, beta2: opts.beta2, eps: opts.eps, weightDecay: opts.weightDecay });
  let rng = new Rng(opts.seed);
  let params: ParamTree = model.initParams(rng);
  const adam = initAdam(params);
  let step = 0, elapsedBefore = 0;
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
    truncateMetrics(metricsPath, step);
  }
  const metrics = new MetricsLog(metricsPath);
  const progress = new Progress({ totalSteps: opts.steps, timeBudget: opts.time || undefined, elapsedBefore, stream: hooks.progress });
  const log = hooks.log ?? ((line: string) => progress.log(line));
  const validStart = data.valid?.state();
  const started = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
  const tokensPerStep = opts.batch * opts.context;
  const losses: number[] = [];
  let lastCheckpoint: string | undefined;
  let lastSavedStep = resume ? step : -1;

  /** Memory of every step's tensors, reused from step to step (see MemoryPool). */
  const pool = new MemoryPool();
  const checkpoint = () => {
    lastCheckpoint = saveCheckpoint(
      ckptDir,
      { step, config: model.config, params, adam, hyper: hyper(opts.lr), rng: rng.state, data: data.train.state(), vocabulary: vocabName, options: { ...opts }, elapsed: elapsed() },
      opts.keep,
    );
    lastSavedStep = step;
  };
  const chart = () => writeLossChart(chartPath, readMetrics(metricsPath), { title: `${basename(runDir)}: loss` });
  const evaluate = () => {
    if (!data.valid) return;
    data.valid.restore(validStart);
    let sum = 0;
    for (let i = 0; i < opts.evalBatches; i++) sum += pool.run(() => model.loss(params, data.valid!.next()));
    const loss = sum / opts.evalBatches;
    metrics.append({ type: "eval", step, loss, time: elapsed() });
    log(`step ${step}: validation loss ${loss.toFixed(4)}`);
  };
  const sample = () => {
    const v = data.vocabulary;
    const ids = generate(model, params, v.encode(opts.prompt), { maxTokens: opts.sampleTokens, temperature: 0, rng: new Rng(0), stopToken: v.endOfText });
    const text = opts.prompt + v.decode(ids);
    metrics.append({ type: "sample", step, prompt: opts.prompt, text });
    log(`step ${step} sample: ${text}`);
  };

  let stoppedBy: RunResult["stoppedBy"] = "steps";
  let signal: string | undefined;
  const stop = (by: string, abandoned: boolean) => {
    stoppedBy = "signal";
    signal = by;
    const save = step === 0 && lastSavedStep < 0 ? "nothing to save" : lastSavedStep === step ? "its checkpoint is written" : "writing its checkpoint";
    log(`${by}: stopping at step ${step}${abandoned ? ` (step ${step + 1} abandoned)` : ""}; ${save} (send it again to quit at once)`);
  };
  while (step < opts.steps) {
    const t0 = performance.now();
    // A stop signal (Ctrl-C, SIGTERM) abandons the forward and backward pass between two kernels
    // (`stoppable`); the parameters are untouched until adamStep, so the checkpoint written after
    // the loop is the last completed step's — once the batch and the RNG are put back as well.
    const dataBefore = data.train.state(), rngBefore = rng.state;
    const batch = data.train.next();
    const dropoutSeed = rng.nextU32();
    const next = step + 1;
    const keep = lastCheckpoint ?? (lastSavedStep >= 0 ? "the checkpoint it resumed from" : "no checkpoint yet");
    const lr = learningRate(next, { lr: opts.lr, warmup: opts.warmup, schedule: opts.schedule, minLr: opts.minLr, steps: opts.steps });
    // Every tensor of the step (activations, cotangents, gradients) lives in the pool: from the
    // second step on, the step allocates no new memory. Parameters and Adam state live outside.
    const result = pool.run(() => {
      let loss: number, grads: ParamTree;
      try {
        [loss, grads] = stoppable(() => model.lossAndGrads(params, batch, { dropoutSeed, train: opts.dropout > 0, detectAnomaly: opts.detectAnomaly }));
      } catch (e) {
        if (e instanceof StopRequested) return e;
        // --detect-anomaly: the first op with a non-finite output, and where it is called.
        if (e instanceof AnomalyError) throw new NonFiniteError(next, `step ${next}: ${e.message}; training stopped (last good checkpoint: ${keep})`);
        throw e;
      }
      if (!Number.isFinite(loss)) throw new NonFiniteError(next, `step ${next}: the loss is ${loss}; training stopped (last good checkpoint: ${keep})`);
      const { norm } = clipGradients(grads, opts.clip);
      if (!Number.isFinite(norm)) {
        const bad = flattenTree(grads).find(([, t]) => t.data.some((x) => !Number.isFinite(x)))?.[0] ?? "?";
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
    metrics.append({ type: "train", step, loss, lr, gradNorm: norm, ms, tokensPerSecond: (tokensPerStep * 1000) / ms, time: elapsed() });
    progress.update({ step, loss, lr, tokens: tokensPerStep, ms });
    // The first two steps fill the memory pool and warm up; the third is a steady-state step.
    if (losses.length === 3 && step < opts.steps) {
      const left = opts.steps - step;
      const projected = (left * ms) / 1000;
      log(`step ${step}: ${ms.toFixed(0)} ms per step → the remaining ${left} steps take about ${formatDuration(projected)}` + (opts.time > 0 && projected > opts.time - elapsed() ? ` (the --time budget stops the run earlier)` : ""));
    }

    try {
      // Evaluation and samples only read the parameters: a signal may cut them short (unrecorded).
      if (opts.evalEvery > 0 && step % opts.evalEvery === 0) stoppable(evaluate);
      if (opts.sampleEvery > 0 && step % opts.sampleEvery === 0) stoppable(sample);
    } catch (e) {
      if (!(e instanceof StopRequested)) throw e;
      if (step < opts.steps) {
        stop(e.signal, false);
        break;
      }
    }
    if (opts.checkpointEvery > 0 && step % opts.checkpointEvery === 0) {
      checkpoint();
      chart();
    }
    if (opts.time > 0 && elapsed() >= opts.time && step < opts.steps) {
      stoppedBy = "time";
      break;
    }
    const pending = stopSignal() ?? (hooks.shouldStop?.() ? "stop" : undefined);
    if (pending && step < opts.steps) {
      stop(pending, false);
      break;
    }
  }
  progress.finish();
  // A signal before the first step of a fresh run leaves nothing worth saving (the initialization is the seed's).
  if (lastSavedStep !== step && !(signal !== undefined && step === 0)) checkpoint();
  chart();
  return { runDir, step, losses, stoppedBy, signal, checkpoint: lastCheckpoint };
}
