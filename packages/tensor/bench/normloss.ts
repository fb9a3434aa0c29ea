// Benchmarks of the normalization / loss kernels at the model's shapes (seed preset: N = 8192
// rows, C = 64, V = 8000): LayerNorm and softmax forward + backward on (8192, 64) and
// (8192, 8000), fused cross-entropy forward + backward on (8192, 8000); plus dropout and AdamW.
//   bun packages/tensor/bench/normloss.ts        prints a table for 1 thread and all threads
// Kernels are called with preallocated outputs (what the kernel costs); rows marked "(op)" time
// the public op instead, including the allocation of its zeroed output tensor.
// GB/s counts the bytes each kernel must read and write once (float32): a lower bound on traffic;
// the "baseline: memcpy" rows (single-threaded copy of the same size) show what the machine gives.
import {
  crossEntropyBackward,
  crossEntropyForward,
  getThreads,
  layerNormBackward,
  layerNormForward,
  poolSize,
  setThreads,
  softmax,
  softmaxBackward,
  Tensor,
} from "@pullback/tensor";
import { bindKernels } from "../src/native/library.ts";
import { randTensor } from "../src/testing.ts";
import { median, printTable, type BenchRow } from "./harness.ts";

const K = bindKernels({
  pb_softmax_forward: { args: ["ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_softmax_backward: { args: ["ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_layernorm_forward: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64", "f32"], returns: "void" },
  pb_layernorm_backward_chunks: { args: ["u64", "u64"], returns: "u64" },
  pb_layernorm_backward: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_cross_entropy_forward: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64"], returns: "void" },
  pb_cross_entropy_backward: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64", "f32"], returns: "void" },
  pb_dropout_forward: { args: ["ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
  pb_dropout_add_forward: { args: ["ptr", "ptr", "ptr", "u64", "u64", "u64", "u32", "f32"], returns: "void" },
  pb_elementwise_add: { args: ["ptr", "ptr", "ptr", "u64", "ptr", "ptr", "ptr"], returns: "void" },
  pb_adam_update: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "f32", "f32", "f32", "f32", "f32", "u64"], returns: "void" },
});

/** Median ms of `fn` after a warm-up call; repeats until ~300 ms ran (at least 5, at most 200 calls). */
function timeMs(fn: () => void): number {
  fn();
  const times: number[] = [];
  let total = 0;
  while (times.length < 5 || (total < 300 && times.length < 200)) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
  }
  return median(times);
}

/** One row per timed function; `bytes` = float32 elements read + written once, times 4. */
function row(kernel: string, shape: string, threads: number, fn: () => void, elements: number): BenchRow {
  const ms = timeMs(fn);
  return { kernel, shape, threads, ms, gbps: (elements * 4) / (ms * 1e6) };
}

export async function bench(threads: number): Promise<BenchRow[]> {
  const before = getThreads();
  setThreads(threads);
  const rows: BenchRow[] = [];
  try {
    for (const [n, c] of [
      [8192, 64],
      [8192, 8000],
    ]) {
      const shape = `(${n}, ${c})`;
      const size = n * c;
      const x = randTensor([n, c], 1, { low: -4, high: 4 });
      const dy = randTensor([n, c], 2);
      const y = new Float32Array(size),
        dx = new Float32Array(size);
      // Baseline for the GB/s column: a plain memcpy of the same size (TypedArray.set), same run.
      rows.push(row("baseline: memcpy", shape, threads, () => y.set(x.data), 2 * size));
      // LayerNorm: forward reads x, writes y (+ w, b, mean, rstd); backward reads dy, x, writes dx.
      const w = randTensor([c], 3, { low: 0.5, high: 1.5 }),
        b = randTensor([c], 4);
      const mean = new Float32Array(n),
        rstd = new Float32Array(n),
        dw = new Float32Array(c),
        db = new Float32Array(c);
      const scratch = new Float32Array(Number(K.pb_layernorm_backward_chunks(n, c)) * 2 * c);
      rows.push(
        row("layernorm.forward", shape, threads, () => K.pb_layernorm_forward(x.data, w.data, b.data, y, mean, rstd, n, c, 1e-5), 2 * size + 2 * n),
      );
      rows.push(
        row(
          "layernorm.backward",
          shape,
          threads,
          () => K.pb_layernorm_backward(dy.data, x.data, w.data, mean, rstd, dx, dw, db, scratch, n, c),
          3 * size + 2 * n,
        ),
      );
      // Softmax: forward reads x, writes y; backward reads y, dy, writes dx.
      rows.push(row("softmax.forward", shape, threads, () => K.pb_softmax_forward(x.data, y, n, c), 2 * size));
      rows.push(row("softmax.backward", shape, threads, () => K.pb_softmax_backward(y, dy.data, dx, n, c), 3 * size));
      if (c > 1000) {
        rows.push(
          row(
            "layernorm fwd+bwd (op)",
            shape,
            threads,
            () => {
              const f = layerNormForward(x, w, b);
              layerNormBackward(dy, x, w, f.mean, f.rstd);
            },
            5 * size,
          ),
        );
        rows.push(row("softmax fwd+bwd (op)", shape, threads, () => softmaxBackward(softmax(x), dy), 5 * size));
        // Cross-entropy: forward reads the logits once (one-pass online softmax); backward reads
        // the logits and writes dlogits.
        const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919) % c);
        const losses = new Float32Array(n),
          lse = new Float32Array(n);
        rows.push(row("cross_entropy.forward", shape, threads, () => K.pb_cross_entropy_forward(x.data, targets, losses, lse, n, c), size));
        rows.push(row("cross_entropy.backward", shape, threads, () => K.pb_cross_entropy_backward(x.data, targets, lse, dx, n, c, 1 / n), 2 * size));
        rows.push(
          row(
            "cross_entropy fwd+bwd (op)",
            shape,
            threads,
            () => {
              const f = crossEntropyForward(x, targets);
              crossEntropyBackward(x, targets, f.lse, 1);
            },
            3 * size,
          ),
        );
        const dlogits = new Tensor(dx, [n, c]);
        rows.push(
          row(
            "cross_entropy fwd+bwd (op, out)",
            shape,
            threads,
            () => {
              const f = crossEntropyForward(x, targets);
              crossEntropyBackward(x, targets, f.lse, 1, { out: dlogits });
            },
            3 * size,
          ),
        );
      }
    }
    // Extras at the training step's sizes: dropout on the residual stream (B·T·C = 8192·64) and
    // one AdamW step over ~1.4M parameters (the seed preset's parameter count, rounded).
    const act = randTensor([8192 * 64], 5),
      out = new Float32Array(8192 * 64);
    rows.push(
      row(
        "dropout.forward p=0.2",
        "(524288,)",
        threads,
        () => K.pb_dropout_forward(act.data, out, act.size, 1, 2, Math.ceil(0.2 * 16777216), 1 / 0.8),
        2 * act.size,
      ),
    );
    // The residual add after a dropout: fused (one pass over x, r, out) against dropout then add
    // (two passes and an intermediate), same buffers, same run.
    const res = randTensor([8192 * 64], 6),
      tmp = new Float32Array(8192 * 64);
    const flat = (n: number) => new BigUint64Array([BigInt(n)]),
      one = new BigUint64Array([1n]);
    const dropThenAdd = () => {
      K.pb_dropout_forward(act.data, tmp, act.size, 1, 2, Math.ceil(0.2 * 16777216), 1 / 0.8);
      K.pb_elementwise_add(res.data, tmp, out, 1, flat(act.size), one, one);
    };
    rows.push({
      ...row(
        "dropout+add, fused p=0.2",
        "(524288,)",
        threads,
        () => K.pb_dropout_add_forward(res.data, act.data, out, act.size, 1, 2, Math.ceil(0.2 * 16777216), 1 / 0.8),
        3 * act.size,
      ),
      reference: { name: "dropout, then add", ms: timeMs(dropThenAdd) },
    });
    const np = 1_400_000;
    const p = randTensor([np], 6).data as Float32Array,
      g = randTensor([np], 7).data as Float32Array,
      m = new Float32Array(np),
      v = new Float32Array(np);
    rows.push(row("adam.update", `(${np},)`, threads, () => K.pb_adam_update(p, g, m, v, np, 1e-4, 0.9, 0.95, 1e-8, 0, 10), 7 * np));
  } finally {
    setThreads(before);
  }
  return rows;
}

function printRows(rows: BenchRow[]): void {
  printTable(
    ["kernel", "shape", "threads", "ms", "GB/s"],
    rows.map((r) => [r.kernel, r.shape, String(r.threads), r.ms.toFixed(3), r.gbps?.toFixed(1) ?? ""]),
  );
}

if (import.meta.main) {
  const rows: BenchRow[] = [];
  for (const t of [...new Set([1, poolSize()])]) rows.push(...(await bench(t)));
  printRows(rows);
}
