// GEMM benchmarks: the GPT-2 seed preset's matmuls (N = B·T = 8192 rows, width 64, MLP 256,
// QKV 192, vocab 8000) in their forward form and the two backward forms
//   dX = dY·Wᵀ (transB) and dW = Xᵀ·dY (transA, K = 8192),
// against NumPy/OpenBLAS sgemm timed in the same run (bench/numpy_gemm.py).
import { join } from "node:path";
import { gemm, Tensor } from "@pullback/tensor";
import { median, numpyAvailable, runPythonJson, timeMs, type BenchContext, type BenchRow } from "./harness.ts";

interface GemmCase {
  name: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

const rows = 8192;
/** (width, output) of the model's linear layers: qkv, mlp up, mlp down, lm head. */
const layers: [number, number][] = [[64, 192], [64, 256], [256, 64], [64, 8000]];

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

interface NumpyResult {
  threadpool: { internal_api?: string; architecture?: string; num_threads?: number; version?: string; filepath?: string }[];
  results: { spec: string; ms: number }[];
}

let reported = new Set<number>();

function timeNumpy(cases: GemmCase[], threads: number, ctx: BenchContext): Map<string, number> | null {
  if (!numpyAvailable()) return null;
  const r = runPythonJson<NumpyResult>(join(import.meta.dir, "numpy_gemm.py"), [String(threads), ctx.quick ? "3" : "7", ...cases.map(spec)]);
  if (!reported.has(threads)) {
    reported.add(threads);
    for (const p of r.threadpool) {
      ctx.log(`numpy (${threads} thread${threads > 1 ? "s" : ""}): ${p.internal_api} ${p.version} kernel ${p.architecture}, num_threads ${p.num_threads}`);
    }
  }
  return new Map(r.results.map((x) => [x.spec, x.ms]));
}

function timeOurs(c: GemmCase, ctx: BenchContext): number {
  const a = Tensor.uniform(c.transA ? [c.k, c.m] : [c.m, c.k], { seed: 1, low: -1, high: 1 });
  const b = Tensor.uniform(c.transB ? [c.n, c.k] : [c.k, c.n], { seed: 2, low: -1, high: 1 });
  const out = Tensor.zeros([c.m, c.n]);
  return timeMs(() => gemm(a, b, { transA: c.transA, transB: c.transB, out }), { minRepeats: ctx.quick ? 3 : 5, minMs: ctx.quick ? 50 : 200 });
}

export async function gemmSection(threads: number, ctx: BenchContext): Promise<BenchRow[]> {
  const cases = gemmCases(ctx.quick);
  const ours = new Map<string, number[]>();
  const theirs = new Map<string, number[]>();
  // Alternate whole rounds of ours and NumPy so machine load hits both alike.
  for (let round = 0; round < ctx.rounds; round++) {
    for (const c of cases) {
      const list = ours.get(spec(c)) ?? [];
      list.push(timeOurs(c, ctx));
      ours.set(spec(c), list);
    }
    const np = timeNumpy(cases, threads, ctx);
    if (np) for (const [s, ms] of np) theirs.set(s, [...(theirs.get(s) ?? []), ms]);
  }
  return cases.map((c) => {
    const ms = median(ours.get(spec(c))!);
    const ref = theirs.get(spec(c));
    return {
      kernel: `gemm ${c.name}`,
      shape: describe(c),
      threads,
      ms,
      gflops: (2 * c.m * c.n * c.k) / (ms * 1e6),
      reference: ref ? { name: "numpy", ms: median(ref) } : undefined,
    };
  });
}
