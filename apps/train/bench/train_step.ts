// `bun run bench:train`: steady-state training-step time of GPT-2 (forward, backward, Adam) with a
// breakdown and the top kernels, peak resident memory, page faults per step, the FLOP roof, and —
// when tools/reference/.venv (`bun run reference:setup`) or python3 has JAX — the same model and batch timed in JAX in the same run
// (tools/reference/bench_train_step.py), with the ratio.
//
// The roof is measured, not assumed: the step's GEMMs (every shape the model runs, forward and
// backward) are timed in isolation in the same run with the same threads; their FLOPs over that
// time is the rate, and roof = the step's FLOPs (GEMMs + causal attention) / that rate.
//
//   bun run bench:train [--preset seed|gpt2|tiny] [--batch N] [--steps N] [--threads N] [--precision fp32|bf16] [--no-jax] [--json]
//   bun run bench:train --ranks 2 [--preset seed|gpt2]... [--batch N] [--steps N] [--repeats N]: 1 process against 2 MPI ranks (bench/ranks.ts)
// --precision bf16 runs every GEMM with bf16 inputs and fp32 accumulation (@pullback/tensor setPrecision).
// Defaults: the seed preset at batch 64 × 128 with dropout 0.2, then gpt2 at batch 2 × 1024.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pullback } from "@pullback/ad";
import { gemmFlops, loss, presets, stepFlops, stepGemms, createModel, type GPT2Params, type ModelConfig, type PresetName } from "@pullback/gpt2";
import {
  bf16KernelInUse,
  gemm,
  getPrecision,
  withPrecision,
  getThreads,
  MemoryPool,
  poolSize,
  precisions,
  Rng,
  setPrecision,
  setThreads,
  type Precision,
  startKernelProfile,
  stopKernelProfile,
  Tensor,
  type KernelTime,
} from "@pullback/tensor";
import { adamStep, initAdam } from "../src/optimizer.ts";
import { median } from "@pullback/tensor/bench";

interface Config {
  preset: PresetName;
  batch: number;
  context: number;
  steps: number;
}

interface Result {
  preset: PresetName;
  /** GEMM precision (and, for bf16, which kernel ran). */
  precision: string;
  batch: number;
  context: number;
  threads: number;
  dropout: number;
  params: number;
  stepMs: number;
  forwardMs: number;
  backwardMs: number;
  optimizerMs: number;
  tokensPerSecond: number;
  kernelMs: number;
  topKernels: KernelTime[];
  peakRssMB: number;
  /** Memory of one step's tensors (the pool). */
  poolMB: number;
  /** Minor page faults of each timed step (steps 1…). */
  faultsPerStep: number[];
  /** FLOPs of one step (GEMMs + causal attention). */
  flops: number;
  /** The step's GEMM shapes timed in isolation: their FLOPs / time. */
  gemmGflops: number;
  roofMs: number;
  jax?: { stepMs: number; forwardMs?: number; forwardBackwardMs?: number; threads: number; version?: string } | { error: string };
}

function parseArgs(argv: string[]) {
  const opts = { presets: [] as PresetName[], batch: 0, steps: 0, threads: 0, precision: "fp32" as Precision, jax: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--preset") {
      const p = value();
      if (!(p in presets)) throw new Error(`--preset must be one of ${Object.keys(presets).join(", ")}, got ${p}`);
      opts.presets.push(p as PresetName);
    } else if (a === "--batch") opts.batch = Number(value());
    else if (a === "--steps") opts.steps = Number(value());
    else if (a === "--threads") opts.threads = Number(value());
    else if (a === "--precision") {
      const p = value();
      if (!precisions.includes(p as Precision)) throw new Error(`--precision must be one of ${precisions.join(", ")}, got ${p}`);
      opts.precision = p as Precision;
    } else if (a === "--no-jax") opts.jax = false;
    else if (a === "--json") opts.json = true;
    else if (a === "--help") {
      console.log(
        "Usage: bun run bench:train [--preset seed|gpt2|tiny]... [--batch N] [--steps N] [--threads N] [--precision fp32|bf16] [--no-jax] [--json]",
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (opts.presets.length === 0) opts.presets = ["seed", "gpt2"];
  return opts;
}

function count(p: GPT2Params): number {
  let n = 0;
  const walk = (x: unknown) => {
    if (x && typeof x === "object" && "data" in (x as object) && "shape" in (x as object)) n += (x as { size: number }).size;
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") Object.values(x).forEach(walk);
  };
  walk(p);
  return n;
}

function benchOurs(c: Config): Result {
  const config = presets[c.preset];
  const model = createModel(config);
  const rng = new Rng(1);
  const params = model.initParams(rng);
  const adam = initAdam(params as never);
  const B = c.batch,
    T = c.context;
  const tokens = Int32Array.from({ length: B * T }, () => rng.int(config.vocab));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(config.vocab));
  const positions = Int32Array.from({ length: T }, (_, i) => i);
  const hyper = { lr: 2e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 };
  const fwd: number[] = [],
    bwd: number[] = [],
    opt: number[] = [],
    total: number[] = [],
    faults: number[] = [];
  const memory = new MemoryPool(); // as the trainer: every tensor of a step reuses the previous step's memory
  const run = (seed: number) =>
    memory.run(() => {
      const step = { batch: B, time: T, heads: config.heads, width: config.width, dropout: config.dropout, seed };
      const t0 = performance.now();
      const [, back] = pullback(loss, params, step, tokens, positions, targets);
      const t1 = performance.now();
      const grads = back(1)[0];
      const t2 = performance.now();
      adamStep(params as never, grads as never, adam, hyper);
      const t3 = performance.now();
      return [t1 - t0, t2 - t1, t3 - t2];
    });
  run(0); // warm-up: binds kernels, expands the .ad.ts module, fills the memory pool
  for (let s = 1; s <= c.steps; s++) {
    const faults0 = process.resourceUsage().minorPageFault;
    const [f, b, o] = run(s);
    faults.push(process.resourceUsage().minorPageFault - faults0);
    fwd.push(f), bwd.push(b), opt.push(o), total.push(f + b + o);
  }
  startKernelProfile();
  const profiled = run(c.steps + 1);
  const kernels = stopKernelProfile();
  const stepMs = median(total);
  const peakRssMB = process.resourceUsage().maxRSS / 1024; // before the isolated GEMMs below allocate
  const poolMB = memory.stats().bytes / 2 ** 20;
  const flops = stepFlops(config, B, T);
  const gemmGflops = withPrecision("fp32", () => gemmRate(config, B, T)); // the fp32 roof, whatever the step's precision
  return {
    preset: c.preset,
    precision: getPrecision() === "bf16" ? `bf16 (${bf16KernelInUse().kernel})` : "fp32",
    batch: B,
    context: T,
    threads: getThreads(),
    dropout: config.dropout,
    params: count(params),
    stepMs,
    forwardMs: median(fwd),
    backwardMs: median(bwd),
    optimizerMs: median(opt),
    tokensPerSecond: (B * T * 1000) / stepMs,
    kernelMs: kernels.reduce((s, k) => s + k.ms, 0) * (stepMs / profiled.reduce((a, b) => a + b, 0)),
    topKernels: kernels.slice(0, 10),
    peakRssMB,
    poolMB,
    faultsPerStep: faults,
    flops,
    gemmGflops,
    roofMs: flops / gemmGflops / 1e6,
  };
}

/**
 * GFLOP/s of the step's own GEMMs run in isolation (same threads): each shape timed on reused
 * operands and output (median of `repeats`), weighted by how often the step runs it.
 */
function gemmRate(config: ModelConfig, batch: number, time: number, repeats = 5): number {
  const rng = new Rng(7);
  let flops = 0,
    ms = 0;
  for (const g of stepGemms(config, batch, time)) {
    const a = Tensor.uniform(g.transA ? [g.k, g.m] : [g.m, g.k], { rng, low: -1 });
    const b = Tensor.uniform(g.transB ? [g.n, g.k] : [g.k, g.n], { rng, low: -1 });
    const out = Tensor.zeros([g.m, g.n]);
    const times: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      const t0 = performance.now();
      gemm(a, b, { transA: g.transA, transB: g.transB, out });
      if (r > 0) times.push(performance.now() - t0); // the first call faults the output in
    }
    flops += gemmFlops(g);
    ms += median(times) * g.count;
  }
  return flops / ms / 1e6;
}

function benchJax(c: Config, threads: number): Result["jax"] {
  const script = join(import.meta.dir, "../../../tools/reference/bench_train_step.py");
  if (!existsSync(script)) return { error: "tools/reference/bench_train_step.py is missing" };
  const venv = join(import.meta.dir, "../../../tools/reference/.venv/bin/python");
  const python = existsSync(venv) ? venv : "python3";
  const probe = Bun.spawnSync([python, "-c", "import jax"], { stdout: "pipe", stderr: "pipe" });
  if (probe.exitCode !== 0) return { error: `${python} has no jax (bun run reference:setup) — reference not timed` };
  const r = Bun.spawnSync(
    [
      python,
      script,
      "--preset",
      c.preset,
      "--batch",
      String(c.batch),
      "--repeats",
      String(Math.max(3, c.steps)),
      "--threads",
      String(threads),
      "--json",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) return { error: `bench_train_step.py failed: ${r.stderr.toString().trim().split("\n").slice(-3).join(" | ")}` };
  try {
    const j = JSON.parse(r.stdout.toString().trim().split("\n").pop()!);
    return { stepMs: j.ms.train_step, forwardMs: j.ms.forward, forwardBackwardMs: j.ms.forward_backward, threads, version: j.versions?.jax };
  } catch {
    return { error: `bench_train_step.py printed no JSON: ${r.stdout.toString().slice(0, 200)}` };
  }
}

function print(r: Result): void {
  const f = (x: number) => x.toFixed(1).padStart(8);
  console.log(
    `\nGPT-2 ${r.preset}: ${(r.params / 1e6).toFixed(2)} M parameters, batch ${r.batch} × ${r.context}, dropout ${r.dropout}, ${r.threads} thread(s), GEMMs ${r.precision}`,
  );
  console.log(`  step      ${f(r.stepMs)} ms   (${Math.round(r.tokensPerSecond).toLocaleString("en-US")} tokens/s)`);
  console.log(`  forward   ${f(r.forwardMs)} ms`);
  console.log(`  backward  ${f(r.backwardMs)} ms`);
  console.log(`  optimizer ${f(r.optimizerMs)} ms`);
  console.log(`  in kernels ${f(r.kernelMs)} ms (${((100 * r.kernelMs) / r.stepMs).toFixed(1)} % of the step)`);
  console.log(`  peak RSS  ${f(r.peakRssMB)} MB (one step's tensors: ${r.poolMB.toFixed(0)} MB)`);
  console.log(`  page faults per step ${r.faultsPerStep.join(", ")} (steps 1…${r.faultsPerStep.length})`);
  console.log(
    `  FLOPs per step ${(r.flops / 1e9).toFixed(1)} G (GEMMs + causal attention); the step's GEMMs alone run at ${r.gemmGflops.toFixed(1)} GFLOP/s in fp32`,
  );
  console.log(`  fp32 roof ms = FLOPs / that fp32 rate = ${f(r.roofMs)} ms;  step / roof = ${(r.stepMs / r.roofMs).toFixed(2)}×`);
  console.log(`  top kernels (one profiled step):`);
  for (const k of r.topKernels) console.log(`    ${k.kernel.padEnd(32)} ${f(k.ms)} ms  ${String(k.calls).padStart(4)} calls`);
  if (r.jax && "stepMs" in r.jax) {
    const j = r.jax;
    console.log(
      `  JAX ${j.version ?? ""} (jit, ${j.threads} thread(s)): step ${f(j.stepMs)} ms, forward ${f(j.forwardMs ?? NaN)} ms, forward+backward ${f(j.forwardBackwardMs ?? NaN)} ms`,
    );
    console.log(`  ours / JAX step time = ${(r.stepMs / j.stepMs).toFixed(2)}× (below 1: ours is faster)`);
  } else if (r.jax) console.log(`  JAX: ${r.jax.error}`);
}

// --ranks R: one process against R MPI ranks, through `bun run train` (bench/ranks.ts).
if (process.argv.includes("--ranks")) {
  (await import("./ranks.ts")).benchRanks(process.argv.slice(2));
  process.exit(0);
}
const opts = parseArgs(process.argv.slice(2));
if (opts.threads > 0) setThreads(opts.threads);
setPrecision(opts.precision);
if (opts.precision === "bf16") console.log(`precision bf16: ${bf16KernelInUse().message}`);
const results: Result[] = [];
for (const preset of opts.presets) {
  const c: Config = {
    preset,
    batch: opts.batch || (preset === "gpt2" ? 2 : preset === "seed" ? 64 : 8),
    context: presets[preset].context,
    steps: opts.steps || (preset === "gpt2" ? 2 : 5),
  };
  const r = benchOurs(c);
  if (opts.jax) r.jax = benchJax(c, getThreads());
  results.push(r);
  if (!opts.json) print(r);
}
if (opts.json) console.log(JSON.stringify({ poolSize: poolSize(), results }, null, 2));
