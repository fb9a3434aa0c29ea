// Fused causal attention vs the composed path, forward + backward, at the seed preset's shapes
// (B = 64, H = 16, T = 128, D = 4) — issue 2's target: fused at least 3× faster.
//   bun packages/ad/bench/attention_vs_composed.ts [--rounds=7] [--shape=B,H,T,D] [--dropout=0.2] [--baseline=lib.so]
// --dropout: the attention dropout of the "rows + dropout" row (GPT-2's training call; default 0.2).
// --baseline: another build of the kernel library (e.g. a copy of zig-out/lib/libpullback.so made
// before a change); its pb_attention_rows_* kernels run in the same rounds ("rows + dropout,
// baseline library") and a last line prints baseline ms / ms (the speed-up, same run). Its results
// are not compared with this build's: a library from before the attention dropout took one byte
// of Philox per pair (docs/kernels.md) draws a different mask.
// Rows (median ms per forward + backward, rounds of the three variants interleaved in one run):
//   fused               attentionForward + attentionBackward (one kernel each; probabilities never stored)
//   fused + permutes    the same from the (B·T, 3C) projection rows, as GPT-2 used it before
//                       attentionRows: reshape + permute + splitAt into q, k, v, permute out back to
//                       (B·T, C) rows; backward: dout permuted to heads, dq | dk | dv concatenated
//                       and permuted back to (B·T, 3C) rows (what the shape rrules do)
//   rows                attentionRowsForward + attentionRowsBackward: the same kernels reading the
//                       heads in place from the (B·T, 3C) rows and writing (B·T, C) rows
//   rows + dropout      the same with attention dropout (the forward keeps the mask for the backward)
//   composed (ops)      the ops the composition runs, called directly: bmm(Q, Kᵀ) (transpose as a GEMM
//                       flag), mulScalar, add of the causal mask, softmax, bmm(P, V); backward
//                       bmm ×2 for dP and dV, softmaxBackward, mulScalar, bmm ×2 for dQ and dK —
//                       the least work a composition of these ops can do (no mask gradient)
//   composed (.ad.ts)   test/composed/attention.ad.ts through its generated pullback: the same ops plus
//                       what the rrules add (the swapAxes copy of K, add's cotangents for both operands)
// The .ad.ts file is expanded once at import (loader cost is not timed).
import { attention as composedAttention, causalMask } from "../test/composed/index.ts";
import {
  add,
  attentionBackward,
  attentionForward,
  attentionRowsBackward,
  attentionRowsForward,
  bmm,
  concat,
  getThreads,
  mulScalar,
  permute,
  poolSize,
  reshape,
  setThreads,
  softmax,
  softmaxBackward,
  splitAt,
  Tensor,
} from "@pullback/tensor";
import { dlopen } from "bun:ffi";
import { randTensor } from "@pullback/tensor/testing";
import { median, printTable, type BenchRow } from "@pullback/tensor/bench";

/** Forward + backward through the plain ops (what the composition computes, minus rrule overhead). */
function composedOps(q: Tensor, k: Tensor, v: Tensor, dout: Tensor, mask: Tensor): [Tensor, Tensor, Tensor, Tensor] {
  const [B, H, T, D] = q.shape;
  const bh = [B * H, T, D];
  const q3 = reshape(q, bh),
    k3 = reshape(k, bh),
    v3 = reshape(v, bh),
    do3 = reshape(dout, bh);
  const scale = 1 / Math.sqrt(D);
  // forward
  const s = bmm(q3, k3, { transB: true });
  const p = softmax(add(mulScalar(s, scale), mask));
  const out = bmm(p, v3);
  // backward
  const dp = bmm(do3, v3, { transB: true });
  const dv = bmm(p, do3, { transA: true });
  const ds = mulScalar(softmaxBackward(p, dp), scale);
  const dq = bmm(ds, k3);
  const dk = bmm(ds, q3, { transA: true });
  return [out, dq, dk, dv];
}

function fused(q: Tensor, k: Tensor, v: Tensor, dout: Tensor): [Tensor, Tensor, Tensor, Tensor] {
  const { out, lse } = attentionForward(q, k, v);
  const { dq, dk, dv } = attentionBackward(dout, q, k, v, out, lse);
  return [out, dq, dk, dv];
}

/** (B, H, T, D) heads → (B·T, C) rows, and back. */
const rowsOf = (x: Tensor) => {
  const [B, H, T, D] = x.shape;
  return reshape(permute(x, [0, 2, 1, 3]), [B * T, H * D]);
};
const headsOf = (x: Tensor, B: number, H: number) => {
  const [BT, C] = x.shape;
  return permute(reshape(x, [B, BT / B, H, C / H]), [0, 2, 1, 3]);
};

/** The fused kernels on (B, H, T, D) copies of the (B·T, 3C) rows, results permuted back to rows. */
function fusedPermuted(qkv: Tensor, doutRows: Tensor, B: number, H: number): [Tensor, Tensor] {
  const [BT, C3] = qkv.shape;
  const T = BT / B,
    D = C3 / 3 / H;
  const [q1, kv] = splitAt(permute(reshape(qkv, [B, T, 3, H, D]), [2, 0, 3, 1, 4]), 0, 1);
  const [k1, v1] = splitAt(kv, 0, 1);
  const [q, k, v] = [q1, k1, v1].map((x) => reshape(x, [B, H, T, D]));
  const { out, lse } = attentionForward(q, k, v);
  const outRows = rowsOf(out);
  const { dq, dk, dv } = attentionBackward(headsOf(doutRows, B, H), q, k, v, out, lse);
  const dqkv = permute(
    concat(
      [dq, dk, dv].map((x) => reshape(x, [1, B, H, T, D])),
      0,
    ),
    [1, 3, 0, 2, 4],
  );
  return [outRows, reshape(dqkv, [BT, C3])];
}

function fusedRows(qkv: Tensor, doutRows: Tensor, B: number, H: number): [Tensor, Tensor] {
  const { out, lse } = attentionRowsForward(qkv, H, B);
  return [out, attentionRowsBackward(doutRows, qkv, out, lse, H, B)];
}

function fusedRowsDropout(qkv: Tensor, doutRows: Tensor, B: number, H: number, dropout: number): [Tensor, Tensor] {
  const opts = { dropout, seed: 11, offset: 3 };
  const { out, lse, keep } = attentionRowsForward(qkv, H, B, opts);
  return [out, attentionRowsBackward(doutRows, qkv, out, lse, H, B, opts, keep)];
}

/**
 * The rows kernels of another build of the library (out, lse, dqkv allocated here; no saved
 * dropout mask): the same-run baseline.
 */
function baselineRows(path: string) {
  let withKeep = true; // a library with pb_attention_keep_len takes the keep pointer (passed null)
  try {
    dlopen(path, { pb_attention_keep_len: { args: ["u64", "u64", "u64", "u64"], returns: "u64" } }).close();
  } catch {
    withKeep = false;
  }
  const keepArg = withKeep ? (["ptr"] as const) : ([] as const);
  const k = dlopen(path, {
    pb_threads_set: { args: ["u64"], returns: "u64" },
    pb_attention_rows_forward: { args: ["ptr", "ptr", "ptr", ...keepArg, "u64", "u64", "u64", "u64", "f64", "u64", "u64"], returns: "void" },
    pb_attention_rows_backward: {
      args: ["ptr", "ptr", "ptr", "ptr", ...keepArg, "ptr", "u64", "u64", "u64", "u64", "f64", "u64", "u64"],
      returns: "void",
    },
  }).symbols;
  const none = withKeep ? [null] : [];
  return {
    setThreads: (n: number) => k.pb_threads_set(n),
    run(qkv: Tensor, dout: Tensor, B: number, H: number, dropout: number): [Tensor, Tensor] {
      const [BT, C3] = qkv.shape;
      const T = BT / B,
        D = C3 / 3 / H;
      const out = Tensor.empty([BT, C3 / 3]),
        lse = Tensor.empty([B, H, T]),
        dqkv = Tensor.empty(qkv.shape);
      (k.pb_attention_rows_forward as Function)(qkv.data, out.data, lse.data, ...none, B, H, T, D, dropout, 11, 3);
      (k.pb_attention_rows_backward as Function)(dout.data, qkv.data, out.data, lse.data, ...none, dqkv.data, B, H, T, D, dropout, 11, 3);
      return [out, dqkv];
    },
  };
}

function composedAd(q: Tensor, k: Tensor, v: Tensor, dout: Tensor): [Tensor, Tensor, Tensor, Tensor] {
  const [out, pullback] = composedAttention([q, k, v]);
  const [dq, dk, dv] = pullback(dout) as Tensor[];
  return [out, dq, dk, dv];
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  let m = 0,
    s = 0;
  for (let i = 0; i < b.size; i++) {
    m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
    s = Math.max(s, Math.abs(b.data[i]));
  }
  return m / Math.max(s, 1e-30);
}

export async function bench(
  threads: number,
  options: { rounds?: number; shape?: [number, number, number, number]; dropout?: number; baseline?: string; log?: (line: string) => void } = {},
): Promise<BenchRow[]> {
  const [B, H, T, D] = options.shape ?? [64, 16, 128, 4];
  const rounds = options.rounds ?? 7;
  const dropout = options.dropout ?? 0.2;
  const log = options.log ?? (() => {});
  const before = getThreads();
  setThreads(threads);
  const baseline = options.baseline ? baselineRows(options.baseline) : null;
  baseline?.setThreads(threads);
  try {
    const shape = [B, H, T, D];
    const q = randTensor(shape, 1, { low: -2, high: 2 }),
      k = randTensor(shape, 2),
      v = randTensor(shape, 3),
      dout = randTensor(shape, 4);
    const mask = causalMask(T);
    const qkv = concat([q, k, v].map(rowsOf), 1),
      doutRows = rowsOf(dout); // (B·T, 3C), (B·T, C)
    // The rows variants' results as (B, H, T, D) out, dq, dk, dv, for the check.
    const rowsAsHeads = ([out, dqkv]: Tensor[]) =>
      [out, ...[0, 1, 2].map((i) => splitAt(splitAt(dqkv, 1, (i + 1) * H * D)[0], 1, i * H * D)[1])].map((x) => headsOf(x, B, H));
    // [name, run, to (B, H, T, D) heads, dropout (checked against the first dropout variant), unchecked]
    const variants: [string, () => Tensor[], ((ts: Tensor[]) => Tensor[])?, boolean?, boolean?][] = [
      ["attention fused fwd+bwd", () => fused(q, k, v, dout)],
      ["attention fused + permutes from/to (B·T, 3C) rows fwd+bwd", () => fusedPermuted(qkv, doutRows, B, H), rowsAsHeads],
      ["attention rows (B·T, 3C) → (B·T, C) fwd+bwd", () => fusedRows(qkv, doutRows, B, H), rowsAsHeads],
      ["attention composed (ops) fwd+bwd", () => composedOps(q, k, v, dout, mask)],
      ["attention composed (.ad.ts) fwd+bwd", () => composedAd(q, k, v, dout)],
      // Not checked against the others (dropout changes the result); against each other below.
      [`attention rows + dropout ${dropout} fwd+bwd`, () => fusedRowsDropout(qkv, doutRows, B, H, dropout), undefined, true],
    ];
    if (baseline)
      variants.push([
        `attention rows + dropout ${dropout} fwd+bwd, baseline library`,
        () => baseline.run(qkv, doutRows, B, H, dropout),
        undefined,
        true,
        true,
      ]);
    // Warm-up, and a check that all compute the same thing.
    const results = variants.map(([, fn, asHeads]) => (asHeads ?? ((ts) => ts))(fn()));
    const firstDropout = variants.findIndex(([, , , drop]) => drop);
    for (let r = 1; r < results.length; r++) {
      const ref = variants[r][3] ? firstDropout : 0;
      if (r === ref || variants[r][4]) continue;
      const worst = Math.max(...results[ref].map((t, i) => maxRelDiff(results[r][i], t)));
      if (!(worst < 1e-3)) throw new Error(`${variants[r][0]} differs from ${variants[ref][0]} (max normwise rel diff ${worst})`);
    }
    results.length = 0;
    const times = variants.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      variants.forEach(([, fn], i) => {
        Bun.gc(true); // free the previous round's (B·H, T, T) buffers outside the timed region
        const t0 = performance.now();
        fn();
        times[i].push(performance.now() - t0);
      });
      log(`  round ${round + 1}/${rounds}: ${times.map((t) => t[round].toFixed(1)).join(" / ")} ms`);
    }
    return variants.map(([kernel], i) => ({ kernel, shape: `(${B}, ${H}, ${T}, ${D})`, threads, ms: median(times[i]) }));
  } finally {
    setThreads(before);
  }
}

function printRows(rows: BenchRow[]): void {
  const fusedMs = (t: number) => rows.find((r) => r.threads === t && r.kernel.includes("fused"))!.ms;
  printTable(
    ["kernel", "shape", "threads", "ms", "vs fused"],
    rows.map((r) => [r.kernel, r.shape, String(r.threads), r.ms.toFixed(2), `${(r.ms / fusedMs(r.threads)).toFixed(2)}×`]),
  );
  console.log("vs fused = composed ms / fused ms (the fused kernels are that many times faster; target ≥ 3×)");
  for (const t of [...new Set(rows.map((r) => r.threads))]) {
    const mine = rows.find((r) => r.threads === t && r.kernel.includes("rows + dropout") && !r.kernel.includes("baseline"));
    const base = rows.find((r) => r.threads === t && r.kernel.includes("baseline library"));
    if (mine && base)
      console.log(
        `rows + dropout, ${t} thread${t > 1 ? "s" : ""}: baseline library ${base.ms.toFixed(2)} ms, this build ${mine.ms.toFixed(2)} ms: ${(base.ms / mine.ms).toFixed(2)}× faster (same run)`,
      );
  }
}

if (import.meta.main) {
  let rounds = 7;
  let shape: [number, number, number, number] | undefined;
  let dropout: number | undefined;
  let baseline: string | undefined;
  for (const arg of process.argv.slice(2)) {
    const [key, value] = arg.split("=", 2);
    if (key === "--rounds") rounds = Number(value);
    else if (key === "--shape") shape = value.split(",").map(Number) as [number, number, number, number];
    else if (key === "--dropout") dropout = Number(value);
    else if (key === "--baseline") baseline = value;
    else {
      console.error(
        `unknown argument ${arg}\nusage: bun packages/ad/bench/attention_vs_composed.ts [--rounds=7] [--shape=B,H,T,D] [--dropout=0.2] [--baseline=lib.so]`,
      );
      process.exit(2);
    }
  }
  const rows: BenchRow[] = [];
  for (const t of [...new Set([1, poolSize()])]) {
    console.error(`${t} thread${t > 1 ? "s" : ""}…`);
    rows.push(...(await bench(t, { rounds, shape, dropout, baseline, log: (l) => console.error(l) })));
  }
  printRows(rows);
}
