// The vocabulary head and loss at the seed shape (x (8192, 64) · w (64, 8000)): the fused
// linearCrossEntropy against the unfused path the GPT-2 model used before it, timed in the same
// run with alternating rounds (medians of wall and CPU time):
//   fused fwd+bwd    linearCrossEntropyForward: the loss with dx and dw, no (N, V) buffer
//   unfused fwd+bwd  matmul into a reused (N, V) logits buffer, crossEntropyForward,
//                    crossEntropyBackward in place, dx = dlogits·wᵀ and dw = xᵀ·dlogits
//   fused loss       linearCrossEntropy (no gradients)
//   unfused loss     matmul into the buffer + crossEntropyForward
// GFLOP/s counts the GEMMs only (2·N·C·V per product: 3 with gradients, 1 without).
import { crossEntropyBackward, crossEntropyForward, gemm, linearCrossEntropy, linearCrossEntropyForward, matmul, Tensor } from "@pullback/tensor";
import { randTensor } from "../src/testing.ts";
import { median, timeMsCpu, type BenchContext, type BenchRow } from "./harness.ts";

export async function bench(threads: number, ctx: BenchContext): Promise<BenchRow[]> {
  const [n, c, v] = ctx.quick ? [1024, 64, 8000] : [8192, 64, 8000];
  const shape = `(${n}×${c})·(${c}×${v})`;
  const x = randTensor([n, c], 1, { low: -2, high: 2 });
  const w = randTensor([c, v], 2, { low: -0.5, high: 0.5 });
  const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919) % v);
  const logits = Tensor.zeros([n, v]); // the unfused path's reused buffer
  const cases: [string, () => void, () => void, number][] = [
    [
      "linearCrossEntropy fwd+bwd",
      () => linearCrossEntropyForward(x, w, targets),
      () => {
        matmul(x, w, { out: logits });
        const f = crossEntropyForward(logits, targets);
        crossEntropyBackward(logits, targets, f.lse, 1, { out: logits });
        gemm(logits, w, { transB: true });
        gemm(x, logits, { transA: true });
      },
      3,
    ],
    [
      "linearCrossEntropy loss",
      () => linearCrossEntropy(x, w, targets),
      () => {
        matmul(x, w, { out: logits });
        crossEntropyForward(logits, targets);
      },
      1,
    ],
  ];
  const rows: BenchRow[] = [];
  for (const [kernel, fused, unfused, gemms] of cases) {
    if (ctx.match && !ctx.match.test(`${kernel} ${shape}`)) continue;
    const ours: { ms: number; cpuMs: number }[] = [],
      theirs: { ms: number; cpuMs: number }[] = [];
    for (let r = 0; r < Math.max(ctx.rounds, 3); r++) {
      ours.push(timeMsCpu(fused, { minRepeats: 3, maxRepeats: 10, minMs: 300 }));
      theirs.push(timeMsCpu(unfused, { minRepeats: 3, maxRepeats: 10, minMs: 300 }));
    }
    const ms = median(ours.map((o) => o.ms));
    rows.push({
      kernel: `${kernel} (fused)`,
      shape,
      threads,
      ms,
      gflops: (gemms * 2 * n * c * v) / ms / 1e6,
      cpuMs: median(ours.map((o) => o.cpuMs)),
      reference: { name: "unfused ops", ms: median(theirs.map((o) => o.ms)), cpuMs: median(theirs.map((o) => o.cpuMs)) },
    });
  }
  return rows;
}
