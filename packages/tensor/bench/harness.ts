// The kernel benchmark harness: section interface, timing helpers and the NumPy bridge.
// Each op family contributes a section (bench/<family>.ts) registered in bench/kernels.ts;
// kernels.ts runs every section once per thread count and prints one table (or --json).
// compareCost and peakTensorBytes compare whole calls (a gradient, an hvp) in time and memory.
import { MemoryPool } from "../src/index.ts";

/** One measured kernel call: medians over repeats, optionally against a reference implementation. */
export interface BenchRow {
  kernel: string;
  /** Human-readable problem size, e.g. "(8192×64)·(64×192)". */
  shape: string;
  threads: number;
  /** Median milliseconds per call. */
  ms: number;
  /** Arithmetic rate (compute-bound kernels). */
  gflops?: number;
  /** Memory rate (bandwidth-bound kernels). */
  gbps?: number;
  /** Median process CPU milliseconds per call (meaningful with 1 thread: immune to time slicing by other processes). */
  cpuMs?: number;
  /** The same computation in a reference implementation (e.g. NumPy), timed in the same run. */
  reference?: { name: string; ms: number; cpuMs?: number };
}

export interface BenchContext {
  /** Rounds of (ours, reference) alternation; each value is the median over rounds. */
  rounds: number;
  /** Fewer shapes / repeats (smoke test of the harness). */
  quick: boolean;
  /** Only cases whose "kernel shape" text matches (--match=regex). */
  match?: RegExp;
  /** Progress and notes (stderr), e.g. which BLAS the reference used. */
  log: (line: string) => void;
}

/** Runs a family's benchmarks with the kernel pool limited to `threads` (set by the caller). */
export type BenchSection = (threads: number, ctx: BenchContext) => Promise<BenchRow[]>;

/** Prints a text table: the header, a rule, the rows; the first `left` columns left-aligned, the others right-aligned. */
export function printTable(header: string[], rows: string[][], left = 2): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Median milliseconds of `fn()` after one warm-up call: repeats until `minMs` of total time
 * has run (at least `minRepeats`, at most `maxRepeats` calls).
 */
export function timeMs(fn: () => void, options: { minRepeats?: number; maxRepeats?: number; minMs?: number } = {}): number {
  return timeMsCpu(fn, options).ms;
}

/** Like `timeMs`, also returning the median process CPU milliseconds per call. */
export function timeMsCpu(fn: () => void, options: { minRepeats?: number; maxRepeats?: number; minMs?: number } = {}): { ms: number; cpuMs: number } {
  const { minRepeats = 5, maxRepeats = 200, minMs = 150 } = options;
  fn();
  const times: number[] = [];
  const cpu: number[] = [];
  let total = 0;
  while (times.length < minRepeats || (total < minMs && times.length < maxRepeats)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    times.push(dt);
    cpu.push((c.user + c.system) / 1000);
    total += dt;
  }
  return { ms: median(times), cpuMs: median(cpu) };
}

/** What a call costs against a reference call (compareCost). */
export interface CallCost {
  /** Median milliseconds of the reference and of the call. */
  referenceMs: number;
  ms: number;
  /** Median of the per-round ratios call / reference. */
  ratio: number;
  /** Peak tensor bytes of one reference call and of one call (peakTensorBytes). */
  referenceBytes: number;
  bytes: number;
}

/**
 * Time and memory of `call` against `reference`: after one warm-up call of each, `rounds` rounds
 * of both, which runs first alternating from round to round (neither always runs first, or on
 * memory the other just freed). Each runs in its own MemoryPool, as a training step does: from
 * the second call on it allocates no new memory and waits on no garbage collector.
 */
export function compareCost(reference: () => unknown, call: () => unknown, rounds: number): CallCost {
  const pools = [new MemoryPool(), new MemoryPool()];
  const fs = [reference, call];
  const run = (k: number) => {
    const t0 = performance.now();
    pools[k].run(fs[k]);
    return performance.now() - t0;
  };
  run(0);
  run(1);
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    const first = r % 2;
    times[first].push(run(first));
    times[1 - first].push(run(1 - first));
  }
  return {
    referenceMs: median(times[0]),
    ms: median(times[1]),
    ratio: median(times[1].map((t, i) => t / times[0][i])),
    referenceBytes: peakTensorBytes(reference),
    bytes: peakTensorBytes(call),
  };
}

/** Prints CallCosts as a table: one row per model, `names` naming the reference and the call; × is call / reference. */
export function printCostTable(names: [reference: string, call: string], rows: { model: string; shapes: string; cost: CallCost }[]): void {
  const [r, c] = names;
  const MiB = (b: number) => (b / 2 ** 20).toFixed(2);
  printTable(
    ["model", "shapes", `${r} ms`, `${c} ms`, "time ×", `${r} MiB`, `${c} MiB`, "memory ×"],
    rows.map(({ model, shapes, cost }) => [
      model,
      shapes,
      cost.referenceMs.toFixed(3),
      cost.ms.toFixed(3),
      cost.ratio.toFixed(2),
      MiB(cost.referenceBytes),
      MiB(cost.bytes),
      (cost.bytes / cost.referenceBytes).toFixed(2),
    ]),
  );
}

/**
 * The tensor memory `f()` needs at its peak, in bytes: `f` runs once in a fresh MemoryPool and
 * the pool's size is read after. Inside a pool a buffer is reused only once it is given back —
 * at the end of a nested releasingTemporaries scope (each generated pullback of @pullback/ad) or
 * of the run — and only for a tensor of the same byte length, so this is the high-water mark of
 * the tensor memory held at once (a tensor is held until its scope ends, even if dead before),
 * rounded up by that size bucketing: what the call holds when run in a pool, as a training step
 * is. It counts every tensor created inside f (its result too), not those it was given, nor
 * kernels' internal scratch or JavaScript objects.
 */
export function peakTensorBytes(f: () => unknown): number {
  const pool = new MemoryPool();
  pool.run(f);
  return pool.stats().bytes;
}

// ---- Python / NumPy ------------------------------------------------------------------------

let numpyOk: boolean | null = null;

/** The environment for a NumPy subprocess: OpenBLAS tuning overrides removed (they mis-detect the CPU). */
export function pythonEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== "OPENBLAS_CORETYPE" && k !== "OPENBLAS_L2_SIZE") env[k] = v;
  }
  return env;
}

/** True when `python3 -c "import numpy, threadpoolctl"` works. */
export function numpyAvailable(): boolean {
  if (numpyOk === null) {
    try {
      const r = Bun.spawnSync(["python3", "-c", "import numpy, threadpoolctl"], { env: pythonEnv(), stdout: "ignore", stderr: "ignore" });
      numpyOk = r.exitCode === 0;
    } catch {
      numpyOk = false;
    }
  }
  return numpyOk;
}

/** A long-lived `python3 script` answering one JSON line per JSON request line (see bench/numpy_gemm.py). */
export class PythonServer {
  private proc: ReturnType<typeof Bun.spawn> & { stdin: import("bun").FileSink; stdout: ReadableStream<Uint8Array> };
  private reader: { read(): Promise<{ value?: Uint8Array; done?: boolean }> };
  private buffer = "";
  private decoder = new TextDecoder();

  constructor(script: string) {
    this.proc = Bun.spawn(["python3", script], { env: pythonEnv(), stdin: "pipe", stdout: "pipe", stderr: "inherit" }) as any;
    this.reader = this.proc.stdout.getReader();
  }

  async request<T>(req: object): Promise<T> {
    this.proc.stdin.write(JSON.stringify(req) + "\n");
    this.proc.stdin.flush();
    for (;;) {
      const nl = this.buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        return JSON.parse(line) as T;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error(`python server exited (code ${await this.proc.exited})`);
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  close(): void {
    this.proc.stdin.end();
  }
}
