// The kernel benchmark harness: section interface, timing helpers and the NumPy bridge.
// Each op family contributes a section (bench/<family>.ts) registered in bench/kernels.ts;
// kernels.ts runs every section once per thread count and prints one table (or --json).

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
