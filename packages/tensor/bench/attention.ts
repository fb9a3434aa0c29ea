// Benchmark of the fused causal attention kernels (forward + backward), and, for scale, a naive
// per-head composed path in plain TypeScript loops (scores materialized per head, softmax, P·V).
//   bun packages/tensor/bench/attention.ts        prints a table for 1 thread and all threads
// GFLOP/s count the matrix products only (causal half): forward 4·D, backward 10·D (scores
// recomputed, dp, dv, dq, dk) flops per (query, key) pair — the exp/softmax work is not counted.
import { attentionBackward, attentionForward, getThreads, poolSize, setThreads, Tensor } from "@pullback/tensor";
import { median, type BenchRow } from "./harness.ts";

/** Median wall time (ms) of `fn` over `repeats` runs after one warm-up. */
function time(fn: () => void, repeats: number): number {
  fn();
  const ts: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

function pairs(T: number): number {
  return (T * (T + 1)) / 2;
}

/**
 * The composed path for one head, materializing the T×T probabilities (no dropout):
 * S = scale·QKᵀ (masked), P = softmax(S), O = P·V; dP = dO·Vᵀ, dV = Pᵀ·dO,
 * dS = P ⊙ (dP − rowsum(dO ⊙ O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
 */
function composedHead(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  dout: Float32Array,
  T: number,
  D: number,
  P: Float32Array,
  out: Float32Array,
  dq: Float32Array,
  dk: Float32Array,
  dv: Float32Array,
): void {
  const scale = 1 / Math.sqrt(D);
  for (let i = 0; i < T; i++) {
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += q[i * D + d] * k[j * D + d];
      P[i * T + j] = s * scale;
      if (P[i * T + j] > max) max = P[i * T + j];
    }
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += P[i * T + j] = Math.exp(P[i * T + j] - max);
    for (let j = 0; j <= i; j++) P[i * T + j] /= sum;
    for (let d = 0; d < D; d++) {
      let acc = 0;
      for (let j = 0; j <= i; j++) acc += P[i * T + j] * v[j * D + d];
      out[i * D + d] = acc;
    }
  }
  dq.fill(0);
  dk.fill(0);
  dv.fill(0);
  for (let i = 0; i < T; i++) {
    let delta = 0;
    for (let d = 0; d < D; d++) delta += dout[i * D + d] * out[i * D + d];
    for (let j = 0; j <= i; j++) {
      let dp = 0;
      for (let d = 0; d < D; d++) dp += dout[i * D + d] * v[j * D + d];
      const p = P[i * T + j];
      const ds = p * (dp - delta) * scale;
      for (let d = 0; d < D; d++) {
        dv[j * D + d] += p * dout[i * D + d];
        dq[i * D + d] += ds * k[j * D + d];
        dk[j * D + d] += ds * q[i * D + d];
      }
    }
  }
}

function composed(q: Tensor, k: Tensor, v: Tensor, dout: Tensor): void {
  const [B, H, T, D] = q.shape;
  const P = new Float32Array(T * T);
  const n = T * D;
  const out = new Float32Array(n),
    dq = new Float32Array(n),
    dk = new Float32Array(n),
    dv = new Float32Array(n);
  for (let bh = 0; bh < B * H; bh++) {
    const at = (t: Tensor) => (t.data as Float32Array).subarray(bh * n, (bh + 1) * n);
    composedHead(at(q), at(k), at(v), at(dout), T, D, P, out, dq, dk, dv);
  }
}

export async function bench(threads: number): Promise<BenchRow[]> {
  const previous = getThreads();
  const used = setThreads(threads);
  const rows: BenchRow[] = [];
  try {
    const cases: { shape: [number, number, number, number]; dropout: number; repeats: number; composed?: boolean }[] = [
      { shape: [64, 16, 128, 4], dropout: 0, repeats: 9, composed: true },
      { shape: [64, 16, 128, 4], dropout: 0.2, repeats: 9 },
      { shape: [1, 12, 1024, 64], dropout: 0, repeats: 5, composed: true },
      { shape: [1, 12, 1024, 64], dropout: 0.1, repeats: 5 },
    ];
    for (const c of cases) {
      const [B, H, T, D] = c.shape;
      const q = Tensor.randn(c.shape, { seed: 1 });
      const k = Tensor.randn(c.shape, { seed: 2 });
      const v = Tensor.randn(c.shape, { seed: 3 });
      const dout = Tensor.randn(c.shape, { seed: 4 });
      const opts = { dropout: c.dropout, seed: 7, offset: 0 };
      const shape = `B=${B} H=${H} T=${T} D=${D}${c.dropout ? ` p=${c.dropout}` : ""}`;
      const flops = (f: number) => (f * D * pairs(T) * B * H) / 1e9;
      const fwd = attentionForward(q, k, v, opts);
      const tf = time(() => attentionForward(q, k, v, opts), c.repeats);
      const tb = time(() => attentionBackward(dout, q, k, v, fwd.out, fwd.lse, opts), c.repeats);
      const tfb = time(() => {
        const r = attentionForward(q, k, v, opts);
        attentionBackward(dout, q, k, v, r.out, r.lse, opts);
      }, c.repeats);
      rows.push({ kernel: "attention forward", shape, threads: used, ms: tf, gflops: flops(4) / (tf / 1e3) });
      rows.push({ kernel: "attention backward", shape, threads: used, ms: tb, gflops: flops(10) / (tb / 1e3) });
      rows.push({ kernel: "attention fwd+bwd", shape, threads: used, ms: tfb, gflops: flops(14) / (tfb / 1e3) });
      if (c.composed && used === 1) {
        const tc = time(() => composed(q, k, v, dout), 1);
        rows.push({ kernel: "composed per-head TS loops fwd+bwd", shape, threads: 1, ms: tc, gflops: flops(12) / (tc / 1e3) });
      }
    }
  } finally {
    setThreads(previous);
  }
  return rows;
}

if (import.meta.main) {
  const rows = [...(await bench(1)), ...(poolSize() > 1 ? await bench(poolSize()) : [])];
  console.table(rows.map((r) => ({ ...r, ms: Number(r.ms.toFixed(2)), gflops: r.gflops === undefined ? undefined : Number(r.gflops.toFixed(2)) })));
}
