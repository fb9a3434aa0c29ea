// GEMM benchmarks: the GPT-2 seed preset's matmuls (N = B·T = 8192 rows, width 64, MLP 256,
// QKV 192, vocab 8000) in their forward form and the two backward forms
//   dX = dY·Wᵀ (transB) and dW = Xᵀ·dY (transA, K = 8192),
// against NumPy/OpenBLAS sgemm timed in the same run (bench/numpy_gemm.py, a persistent
// python process), interleaved case by case and round by round so machine load hits both alike.
import { join } from "node:path";
import { bf16Support, gemm, matmul, setBf16Kernel, Tensor, withPrecision, type Bf16Kernel } from "@pullback/tensor";
import { median, numpyAvailable, PythonServer, timeMsCpu, type BenchContext, type BenchRow } from "./harness.ts";

interface GemmCase {
  name: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

const rows = 8192;
/** (width in, width out) of the model's linear layers: qkv, mlp up, mlp down, lm head. */
const layers: [number, number][] = [
  [64, 192],
  [64, 256],
  [256, 64],
  [64, 8000],
];

export function gemmCases(quick = false): GemmCase[] {
  const cases: GemmCase[] = [];
  for (const [cin, cout] of quick ? layers.slice(0, 1) : layers) {
    // forward Y = X·W: (rows×cin)·(cin×cout)
    cases.push({ name: "fwd X·W", transA: false, transB: false, m: rows, n: cout, k: cin });
    // dX = dY·Wᵀ: (rows×cout)·(cin×cout)ᵀ
    cases.push({ name: "dX dY·Wᵀ", transA: false, transB: true, m: rows, n: cin, k: cout });
    // dW = Xᵀ·dY: (rows×cin)ᵀ·(rows×cout)
    cases.push({ name: "dW Xᵀ·dY", transA: true, transB: false, m: cin, n: cout, k: rows });
  }
  return cases;
}

function describe(c: GemmCase): string {
  const a = c.transA ? `(${c.k}×${c.m})ᵀ` : `(${c.m}×${c.k})`;
  const b = c.transB ? `(${c.n}×${c.k})ᵀ` : `(${c.k}×${c.n})`;
  return `${a}·${b}`;
}

const spec = (c: GemmCase) => `${c.transA ? 1 : 0},${c.transB ? 1 : 0},${c.m},${c.n},${c.k}`;

interface ThreadpoolInfo {
  internal_api?: string;
  architecture?: string;
  num_threads?: number;
  version?: string;
}

let server: PythonServer | null = null;

function numpyServer(): PythonServer | null {
  if (!server && numpyAvailable()) server = new PythonServer(join(import.meta.dir, "numpy_gemm.py"));
  return server;
}

/** Repeats per timing batch: ~150 ms of work, at least 3. */
function repeatsFor(c: GemmCase, quick: boolean): number {
  const estMs = (2 * c.m * c.n * c.k) / 60e6; // at ~60 GFLOP/s
  return Math.max(3, Math.min(quick ? 5 : 30, Math.round(150 / estMs)));
}

export async function gemmSection(threads: number, ctx: BenchContext): Promise<BenchRow[]> {
  const np = numpyServer();
  if (np) {
    const info = await np.request<{ threadpool: ThreadpoolInfo[] }>({ op: "info", threads });
    for (const p of info.threadpool) {
      ctx.log(
        `numpy (${threads} thread${threads > 1 ? "s" : ""}): ${p.internal_api} ${p.version}, kernel ${p.architecture}, num_threads ${p.num_threads}`,
      );
    }
  }
  const results: BenchRow[] = [];
  for (const c of gemmCases(ctx.quick)) {
    if (ctx.match && !ctx.match.test(`gemm ${c.name} ${describe(c)}`)) continue;
    const a = Tensor.uniform(c.transA ? [c.k, c.m] : [c.m, c.k], { seed: 1, low: -1, high: 1 });
    const b = Tensor.uniform(c.transB ? [c.n, c.k] : [c.k, c.n], { seed: 2, low: -1, high: 1 });
    const out = Tensor.zeros([c.m, c.n]);
    const run = () => gemm(a, b, { transA: c.transA, transB: c.transB, out });
    results.push(await timeCase(c, threads, ctx, np, run, "time", repeatsFor(c, ctx.quick)));
  }
  // Plain use: `matmul(a, b)` in a loop at the vocabulary shape, a new 262 MB output every call
  // (no `out`, no MemoryPool), against NumPy's `c = a @ b` loop: each fresh output is faulted in.
  const fresh: GemmCase = { name: "fwd X·W fresh output", transA: false, transB: false, m: rows, n: 8000, k: 64 };
  if (!ctx.quick && (!ctx.match || ctx.match.test(`gemm ${fresh.name}`))) {
    const a = Tensor.uniform([fresh.m, fresh.k], { seed: 1, low: -1, high: 1 });
    const b = Tensor.uniform([fresh.k, fresh.n], { seed: 2, low: -1, high: 1 });
    results.push(await timeCase(fresh, threads, ctx, np, () => matmul(a, b), "time_fresh", 8));
  }
  return results;
}

/** Alternates batches of `run` and of NumPy's `op` on case `c`, `rounds` times; medians. */
async function timeCase(
  c: GemmCase,
  threads: number,
  ctx: BenchContext,
  np: PythonServer | null,
  run: () => void,
  op: "time" | "time_fresh",
  repeats: number,
): Promise<BenchRow> {
  const ours: number[] = [],
    oursCpu: number[] = [];
  const theirs: number[] = [],
    theirsCpu: number[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    // OpenBLAS's idle threads keep spinning for a while after a call returns (THREAD_TIMEOUT,
    // ~0.1 s by default): let them fall asleep so they do not take a core from our run.
    if (np && threads > 1) Bun.sleepSync(250);
    const t = timeMsCpu(run, { minRepeats: repeats, maxRepeats: repeats, minMs: 0 });
    ours.push(t.ms);
    oursCpu.push(t.cpuMs);
    if (np) {
      const r = await np.request<{ ms: number[]; cpu_ms: number[] }>({ op, threads, spec: spec(c), repeats });
      theirs.push(median(r.ms));
      theirsCpu.push(median(r.cpu_ms));
    }
  }
  const ms = median(ours);
  ctx.log(`  ${c.name} ${describe(c)}: ${ms.toFixed(3)} ms${np ? `, numpy ${median(theirs).toFixed(3)} ms` : ""}`);
  return {
    kernel: `gemm ${c.name}`,
    shape: describe(c),
    threads,
    ms,
    cpuMs: median(oursCpu),
    gflops: (2 * c.m * c.n * c.k) / (ms * 1e6),
    reference: np ? { name: "numpy", ms: median(theirs), cpuMs: median(theirsCpu) } : undefined,
  };
}

/** Ends the NumPy server (kernels.ts calls it when every section is done). */
export function gemmBenchDone(): void {
  server?.close();
  server = null;
}

/**
 * fp32 vs bf16 at the model's GEMM shapes, interleaved case by case and round by round in one run:
 * each row is a bf16 kernel with the fp32 GEMM of the same shape as its reference. The AMX and
 * vdpbf16ps rows are only measured where the CPU (and OS) have them — never a fallback under
 * their name; the emulated row shows the cost of the fallback (same results, fp32 FMAs).
 */
export async function gemmBf16Section(threads: number, ctx: BenchContext): Promise<BenchRow[]> {
  const support = bf16Support();
  ctx.log(`gemm_bf16: ${support.message}`);
  const kernels: Bf16Kernel[] = [...(support.amx ? ["amx" as const] : []), ...(support.native ? ["avx512" as const] : []), "emulated"];
  if (!support.amx || !support.native)
    ctx.log(`gemm_bf16: ${!support.amx ? "AMX " : ""}${!support.native ? "vdpbf16ps " : ""}not measurable on this CPU`);
  const rows: BenchRow[] = [];
  for (const c of gemmCases(ctx.quick)) {
    if (ctx.match && !ctx.match.test(`gemm ${c.name} ${describe(c)}`)) continue;
    const a = Tensor.uniform(c.transA ? [c.k, c.m] : [c.m, c.k], { seed: 1, low: -1, high: 1 });
    const b = Tensor.uniform(c.transB ? [c.n, c.k] : [c.k, c.n], { seed: 2, low: -1, high: 1 });
    const out = Tensor.zeros([c.m, c.n]);
    const repeats = repeatsFor(c, ctx.quick);
    const run = () => gemm(a, b, { transA: c.transA, transB: c.transB, out });
    const fp32: number[] = [],
      fp32Cpu: number[] = [];
    const bf: Record<string, { ms: number[]; cpu: number[] }> = {};
    for (const k of kernels) bf[k] = { ms: [], cpu: [] };
    for (let round = 0; round < ctx.rounds; round++) {
      const t = timeMsCpu(run, { minRepeats: repeats, maxRepeats: repeats, minMs: 0 });
      fp32.push(t.ms);
      fp32Cpu.push(t.cpuMs);
      for (const k of kernels) {
        const prev = setBf16Kernel(k);
        const tb = withPrecision("bf16", () => timeMsCpu(run, { minRepeats: repeats, maxRepeats: repeats, minMs: 0 }));
        setBf16Kernel(prev);
        bf[k].ms.push(tb.ms);
        bf[k].cpu.push(tb.cpuMs);
      }
    }
    const ref = { name: "fp32", ms: median(fp32), cpuMs: median(fp32Cpu) };
    const line: string[] = [`fp32 ${ref.ms.toFixed(3)} ms`];
    for (const k of kernels) {
      const ms = median(bf[k].ms);
      const label = `bf16 ${k}`;
      rows.push({
        kernel: `gemm ${label} ${c.name}`,
        shape: describe(c),
        threads,
        ms,
        cpuMs: median(bf[k].cpu),
        gflops: (2 * c.m * c.n * c.k) / (ms * 1e6),
        reference: ref,
      });
      line.push(`${label} ${ms.toFixed(3)} ms (×${(ref.ms / ms).toFixed(2)})`);
    }
    ctx.log(`  ${c.name} ${describe(c)}: ${line.join(", ")}`);
  }
  return rows;
}
