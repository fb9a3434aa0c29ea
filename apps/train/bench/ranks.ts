// `bun run bench:train --ranks R`: the training step of `bun run train` (the real loop: data,
// forward, backward, allreduce, Adam) in one process with R threads against R MPI ranks of
// cores/R threads each (`mpirun -np R`), in the same run, on the same global batch. Reports the
// median step time over the steps after the first two (warm-up), the median time in
// MPI_Allreduce (metrics.jsonl's allreduceMs), and the ratio. Needs Open MPI's mpirun.
//
//   bun run bench:train --ranks 2 [--preset seed|gpt2|tiny]... [--batch N] [--steps N] [--repeats N] [--json]
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { findSharedSample, repoRoot, writeSyntheticStories } from "@pullback/corpus";
import { presets, type PresetName } from "@pullback/gpt2";
import { readMetrics } from "../src/metrics.ts";
import { median } from "@pullback/tensor/bench";

interface RanksResult {
  preset: PresetName;
  batch: number;
  context: number;
  ranks: number;
  threadsPerRank: number;
  /** Median step ms of one process with ranks × threadsPerRank threads. */
  oneProcessMs: number;
  /** Median step ms of `ranks` ranks. */
  ranksMs: number;
  /** Median ms per step in MPI_Allreduce (gradients + loss) on rank 0. */
  allreduceMs: number;
  /** ranksMs / oneProcessMs per repeat (below 1: the ranks are faster). */
  ratios: number[];
}

export function benchRanks(argv: string[]): void {
  const o = { ranks: 2, presets: [] as PresetName[], batch: 0, steps: 8, repeats: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i],
      value = () =>
        argv[++i] ??
        (() => {
          throw new Error(`${a} needs a value`);
        })();
    if (a === "--ranks") o.ranks = Number(value());
    else if (a === "--preset") o.presets.push(value() as PresetName);
    else if (a === "--batch") o.batch = Number(value());
    else if (a === "--steps") o.steps = Number(value());
    else if (a === "--repeats") o.repeats = Number(value());
    else if (a === "--json") o.json = true;
    else if (a === "--no-jax") continue;
    else throw new Error(`bench:train --ranks: unknown option ${a} (options: --ranks R --preset P --batch N --steps N --repeats N --json)`);
  }
  if (!Number.isInteger(o.ranks) || o.ranks < 2) throw new Error(`--ranks must be an integer ≥ 2, got ${o.ranks}`);
  for (const p of o.presets) if (!(p in presets)) throw new Error(`--preset must be one of ${Object.keys(presets).join(", ")}, got ${p}`);
  const mpirun = Bun.which("mpirun");
  if (!mpirun) throw new Error("bench:train --ranks needs mpirun: apt-get install -y openmpi-bin libopenmpi-dev");
  const dir = mkdtempSync(join(tmpdir(), "pullback-bench-ranks-"));
  const corpus = findSharedSample() ?? writeSyntheticStories(join(dir, "stories.txt"));
  const threadsPerRank = Math.max(1, Math.floor(availableParallelism() / o.ranks));
  const results: RanksResult[] = [];
  try {
    for (const preset of o.presets.length ? o.presets : (["seed"] as PresetName[])) {
      const batch = o.batch || (preset === "gpt2" ? 2 : 64);
      const context = presets[preset].context;
      const args = [
        "--corpus",
        corpus,
        "--preset",
        preset,
        "--batch",
        String(batch),
        "--steps",
        String(o.steps),
        "--sample-every",
        "0",
        "--eval-every",
        "0",
        "--checkpoint-every",
        "0",
      ];
      const timed = (cmd: string[], out: string, extra: string[] = []) => {
        const r = Bun.spawnSync([...cmd, "bun", join(repoRoot(), "apps/train/src/cli.ts"), ...args, ...extra, "--out", out], {
          cwd: repoRoot(),
          stdout: "pipe",
          stderr: "pipe",
          env: { ...process.env, PULLBACK_THREADS: undefined, OMPI_MCA_btl_vader_single_copy_mechanism: "none" },
        });
        if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} bun run train exited ${r.exitCode}:\n${r.stderr.toString()}`);
        const train = readMetrics(join(out, "metrics.jsonl"))
          .filter((m) => m.type === "train")
          .slice(2);
        return { ms: median(train.map((m) => m.ms as number)), allreduce: median(train.map((m) => m.allreduceMs ?? 0)) };
      };
      const one: number[] = [],
        many: number[] = [],
        allreduce: number[] = [],
        ratios: number[] = [];
      // Alternate the two, so that the machine's noise falls on both alike.
      for (let rep = 0; rep < o.repeats; rep++) {
        // One process: all the threads the ranks have together.
        const a = timed([], join(dir, `${preset}-one-${rep}`), ["--threads", String(o.ranks * threadsPerRank)]);
        const b = timed([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", String(o.ranks)], join(dir, `${preset}-ranks-${rep}`));
        one.push(a.ms), many.push(b.ms), allreduce.push(b.allreduce), ratios.push(b.ms / a.ms);
      }
      results.push({
        preset,
        batch,
        context,
        ranks: o.ranks,
        threadsPerRank,
        oneProcessMs: median(one),
        ranksMs: median(many),
        allreduceMs: median(allreduce),
        ratios,
      });
      const r = results.at(-1)!;
      if (!o.json) {
        console.log(`\nGPT-2 ${preset}, global batch ${batch} × ${context}, ${o.steps} steps (median of steps 3…), ${o.repeats} repeats alternated`);
        console.log(`  1 process × ${o.ranks * threadsPerRank} threads   ${r.oneProcessMs.toFixed(1)} ms/step`);
        console.log(
          `  ${o.ranks} ranks × ${threadsPerRank} thread${threadsPerRank > 1 ? "s" : ""}      ${r.ranksMs.toFixed(1)} ms/step, of which MPI_Allreduce ${r.allreduceMs.toFixed(1)} ms`,
        );
        console.log(
          `  ranks / one process = ${median(ratios).toFixed(2)}× (per repeat: ${ratios.map((x) => x.toFixed(2)).join(", ")}; below 1: the ranks are faster)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) console.log(JSON.stringify({ cores: availableParallelism(), results }, null, 2));
}

if (import.meta.main) benchRanks(process.argv.slice(2));
