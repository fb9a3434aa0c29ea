// bun run bench:ad (second part) — what implicit mode costs GPT-2:
//  1. load time: cold expansion of the model's .ad.ts files, each process expanding all of them
//     once (the first expansion in a fresh process, as `bun run train` pays it without the disk
//     cache), medians over fresh processes;
//  2. run time: the overhead of the generated code in a `seed`-preset training step (forward +
//     pullback). The generated forward and pullback do the same work whatever the tensor sizes
//     (the same rule calls, property reads, cotangent sums), so a step on a 1×1 batch — where the
//     kernels have almost nothing to do — bounds that overhead from above; it is compared with
//     the sum of the kernel times of a full B×T step, measured in the same run;
//  3. implicit against explicit mode: one transformer block (model.ad.ts `block`, plain
//     TypeScript, against block_explicit.ad.ts, the rrule-call convention), forward + pullback at
//     the seed preset's shapes, alternating runs in one process; same kernels.
import { join } from "node:path";
import { pullback } from "@pullback/ad";
import { Rng, Tensor, getThreads, startKernelProfile, stopKernelProfile } from "@pullback/tensor";
import { median } from "@pullback/tensor/bench";
import { blockExplicit, block, initParams, loss, presets, randomLossArgs } from "../src/index.ts";

const root = join(import.meta.dir, "..", "..", "..");
const FILES = [
  "packages/gpt2/src/model.ad.ts",
  "packages/gpt2/src/block_explicit.ad.ts",
  "packages/ad/test/composed/softmax.ad.ts",
  "packages/ad/test/composed/layer_norm.ad.ts",
  "packages/ad/test/composed/attention.ad.ts",
];
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
};

async function child(): Promise<void> {
  const { loadAllPasses, transformAd } = await import("@pullback/ad/transform");
  // Load the passes (oxc-parser's native binding, magic-string) first: timed apart in part 1 of bench:ad.
  loadAllPasses();
  const times: Record<string, number> = {};
  let functions = 0;
  let lines = 0;
  for (const f of FILES) {
    const path = join(root, f);
    const source = await Bun.file(path).text();
    const t = performance.now();
    const r = transformAd(source, path, { map: true, noCache: true });
    times[f] = performance.now() - t;
    functions += r.functions;
    lines += source.split("\n").length;
  }
  console.log(JSON.stringify({ times, functions, lines }));
}

function expansion(): void {
  const repeats = 7;
  const runs = Array.from({ length: repeats }, () => {
    const p = Bun.spawnSync(["bun", import.meta.path, "--child"], { stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(p.stderr.toString());
    return JSON.parse(p.stdout.toString()) as { times: Record<string, number>; functions: number; lines: number };
  });
  console.log(
    `\nbench:ad — cold expansion of the model's files (${runs[0].lines} lines, ${runs[0].functions} rules or ad functions generated), median of ${repeats} fresh processes`,
  );
  for (const f of FILES)
    console.log(
      `  ${f.padEnd(48)} ${median(runs.map((r) => r.times[f]))
        .toFixed(2)
        .padStart(7)} ms`,
    );
  const totals = runs.map((r) => Object.values(r.times).reduce((a, b) => a + b, 0));
  console.log(
    `  ${"all of them".padEnd(48)} ${median(totals).toFixed(2).padStart(7)} ms   [target < 50 ms] (best ${Math.min(...totals).toFixed(2)} ms)`,
  );
}

function overhead(): void {
  const config = presets.seed;
  const B = arg("batch", 64),
    T = arg("time", config.context);
  const rng = new Rng(1);
  const params = initParams(config, rng);
  const make = (b: number, t: number) => {
    const args = randomLossArgs(config, b, rng, { time: t, dropout: config.dropout });
    return () => {
      const [, back] = pullback(loss, params, ...args);
      back(1);
    };
  };
  const full = make(B, T);
  const tiny = make(1, 1);
  full();
  for (let i = 0; i < 20; i++) tiny();
  const walls: number[] = [],
    kernels: number[] = [],
    tinies: number[] = [];
  const rounds = arg("rounds", 5);
  for (let r = 0; r < rounds; r++) {
    startKernelProfile();
    const t = performance.now();
    full();
    walls.push(performance.now() - t);
    kernels.push(stopKernelProfile().reduce((a, k) => a + k.ms, 0));
    const ts: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      tiny();
      ts.push(performance.now() - t0);
    }
    tinies.push(median(ts));
  }
  const wall = median(walls),
    kernel = median(kernels),
    gen = median(tinies);
  console.log(
    `\nbench:ad — generated-code overhead in a seed-preset step (forward + pullback, B=${B}, T=${T}, ${config.layers} layers, ${getThreads()} threads, median of ${rounds})`,
  );
  console.log(`  step wall time                                   ${wall.toFixed(1).padStart(8)} ms`);
  console.log(
    `  sum of kernel times                              ${kernel.toFixed(1).padStart(8)} ms   (${((kernel / wall) * 100).toFixed(1)}% of the step)`,
  );
  console.log(
    `  the same step on a 1×1 batch (generated code,    ${gen.toFixed(2).padStart(8)} ms   = ${((gen / kernel) * 100).toFixed(2)}% of the kernel time [target < 2%]`,
  );
  console.log(`    op wrappers and FFI calls; bounds the overhead)`);
}

function conventions(): void {
  const config = presets.seed;
  const B = arg("batch", 64),
    T = arg("time", config.context);
  const rng = new Rng(2);
  const p = initParams(config, rng).blocks[0];
  const x = Tensor.randn([B * T, config.width], { rng });
  const dy = Tensor.randn([B * T, config.width], { rng });
  const s = { batch: B, time: T, heads: config.heads, width: config.width, dropout: config.dropout, seed: 1 };
  const implicit = () => pullback(block, x, p, s, 0)[1](dy);
  const explicit = () => blockExplicit(s, 0)([x, p])[1](dy);
  implicit();
  explicit();
  const a: number[] = [],
    b: number[] = [];
  const rounds = arg("rounds", 5) * 3;
  // Wall time, and the time outside kernels (the code around them: generated or hand-written).
  const outside: Record<"a" | "b", number[]> = { a: [], b: [] };
  const time = (f: () => unknown, which: "a" | "b"): number => {
    startKernelProfile();
    const t = performance.now();
    f();
    const wall = performance.now() - t;
    outside[which].push(wall - stopKernelProfile().reduce((sum, k) => sum + k.ms, 0));
    return wall;
  };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first: the second of a pair runs on memory the first just freed.
    if (r % 2 === 0) a.push(time(implicit, "a")), b.push(time(explicit, "b"));
    else b.push(time(explicit, "b")), a.push(time(implicit, "a"));
  }
  const ratio = median(a.map((x, i) => x / b[i]));
  console.log(
    `\nbench:ad — one transformer block, forward + pullback (B=${B}, T=${T}, C=${config.width}, ${getThreads()} threads, median of ${rounds} pairs, alternating which runs first)`,
  );
  console.log(
    `  implicit mode (model.ad.ts block)                ${median(a).toFixed(1).padStart(8)} ms   (outside kernels ${median(outside.a).toFixed(1)} ms)`,
  );
  console.log(
    `  explicit mode (block_explicit.ad.ts)             ${median(b).toFixed(1).padStart(8)} ms   (outside kernels ${median(outside.b).toFixed(1)} ms)`,
  );
  console.log(`  implicit / explicit, per pair                    ${ratio.toFixed(3).padStart(8)}   [target ≤ 1.02]`);
}

// `--only=expansion|overhead|conventions` runs one part.
const only = process.argv.find((a) => a.startsWith("--only="))?.split("=")[1];
if (process.argv.includes("--child")) await child();
else {
  if (!only || only === "expansion") expansion();
  if (!only || only === "overhead") overhead();
  if (!only || only === "conventions") conventions();
}
