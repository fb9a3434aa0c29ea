// Kernel benchmarks: every registered section with 1 thread and with all threads.
//   bun run bench:kernels [--json] [--quick] [--only=gemm,…] [--threads=1,2] [--rounds=3] [--match=regex]
// Prints a table (kernel, shape, threads, ms, GFLOP/s or GB/s, reference ms, speed ratio);
// --json prints the rows as JSON instead. Progress and notes go to stderr.
import { poolSize, setThreads } from "@pullback/tensor";
import { gemmBenchDone, gemmBf16Section, gemmSection } from "./gemm.ts";
import { printTable, type BenchContext, type BenchRow, type BenchSection } from "./harness.ts";
import { bench as linearCrossEntropyBench } from "./linear_cross_entropy.ts";
import { bench as normlossBench } from "./normloss.ts";

/** LayerNorm, softmax and cross-entropy forward+backward on the seed shapes (memory-bound: GB/s). */
const normlossSection: BenchSection = async (threads) => (await normlossBench(threads)).map((r) => ({ ...r, threads }));

/** Families register their section here: `<family>: <family>Section`. */
const sections: Record<string, BenchSection> = {
  gemm: gemmSection,
  gemm_bf16: gemmBf16Section,
  normloss: normlossSection,
  // the fused vocabulary head + loss against matmul + cross-entropy + the two backward GEMMs
  head: linearCrossEntropyBench,
};

function parseArgs(argv: string[]) {
  const opts = {
    json: false,
    quick: false,
    only: null as string[] | null,
    threads: null as number[] | null,
    rounds: 3,
    match: undefined as RegExp | undefined,
  };
  for (const arg of argv) {
    const [key, value] = arg.split("=", 2);
    if (key === "--json") opts.json = true;
    else if (key === "--quick") opts.quick = true;
    else if (key === "--only" && value) opts.only = value.split(",");
    else if (key === "--threads" && value) opts.threads = value.split(",").map(Number);
    else if (key === "--rounds" && value) opts.rounds = Number(value);
    else if (key === "--match" && value) opts.match = new RegExp(value);
    else {
      console.error(
        `bench:kernels: unknown argument ${arg}\nusage: bun run bench:kernels [--json] [--quick] [--only=${Object.keys(sections).join(",")}] [--threads=1,2] [--rounds=3] [--match=regex]`,
      );
      process.exit(2);
    }
  }
  return opts;
}

function fmt(x: number | undefined, digits = 2): string {
  return x === undefined ? "" : x.toFixed(digits);
}

function printRows(rows: BenchRow[]): void {
  const header = ["kernel", "shape", "threads", "ms", "GFLOP/s", "GB/s", "reference", "ref ms", "speed vs ref", "cpu ms", "ref cpu ms", "cpu ratio"];
  const body = rows.map((r) => [
    r.kernel,
    r.shape,
    String(r.threads),
    fmt(r.ms, 3),
    fmt(r.gflops, 1),
    fmt(r.gbps, 1),
    r.reference?.name ?? "",
    fmt(r.reference?.ms, 3),
    r.reference ? `${(r.reference.ms / r.ms).toFixed(2)}×` : "",
    r.threads === 1 ? fmt(r.cpuMs, 3) : "",
    r.threads === 1 ? fmt(r.reference?.cpuMs, 3) : "",
    r.threads === 1 && r.cpuMs && r.reference?.cpuMs ? `${(r.reference.cpuMs / r.cpuMs).toFixed(2)}×` : "",
  ]);
  printTable(header, body);
  console.log("speed vs ref = reference ms / our ms (> 1: ours is faster); medians of wall time.");
  console.log("cpu ratio (1 thread) = reference CPU ms / our CPU ms: the same comparison without time lost to other processes.");
}

const opts = parseArgs(process.argv.slice(2));
const all = poolSize();
const threadCounts = opts.threads ?? [...new Set([1, all])];
const notes: string[] = [];
const log = (line: string) => {
  console.error(line);
  if (!line.startsWith("  ") && !line.endsWith("…")) notes.push(line);
};
const ctx: BenchContext = { rounds: opts.rounds, quick: opts.quick, match: opts.match, log };
const rows: BenchRow[] = [];
for (const [name, section] of Object.entries(sections)) {
  if (opts.only && !opts.only.includes(name)) continue;
  for (const t of threadCounts) {
    const used = setThreads(t);
    ctx.log(`${name}: ${used} thread${used > 1 ? "s" : ""}…`);
    rows.push(...(await section(used, ctx)));
  }
}
setThreads(all);
gemmBenchDone();
if (opts.json) console.log(JSON.stringify({ poolSize: all, notes, rows }, null, 2));
else {
  printRows(rows);
  for (const n of notes) console.log(n);
}
