// bun run bench:hvp (first part) — what a Hessian-vector product costs against one gradient, for a
// small MLP (mlp.ad.ts: inputs 256 → tanh 256 → tanh 256 → 10 classes, mean cross-entropy, batch 64),
// float32 (the kernels):
//  - time: one hvp(loss, [params, x, labels], [v]) against one valueAndGrad(loss) of the same
//    arguments, in alternating rounds in this run, each in its own MemoryPool; the ratio is the
//    median of the per-round ratios (compareCost, @pullback/tensor/bench);
//  - memory: the tensor memory one call holds at its peak in a fresh MemoryPool (peakTensorBytes:
//    every tensor the call creates, rounded up by the pool's size buckets; not the parameters
//    and v it is given).
// The second part, the tiny GPT-2 loss, is packages/gpt2/bench/hvp.ts (@pullback/ad does not
// depend on @pullback/gpt2).
//   bun packages/ad/bench/hvp.ts [--rounds=15]
import { hvp, randomTangent, valueAndGrad } from "@pullback/ad";
import { getThreads, Rng, Tensor } from "@pullback/tensor";
import { compareCost, printCostTable } from "@pullback/tensor/bench";
import { mlpLoss, type MLP } from "./mlp.ad.ts";

const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.split("=")[1] ?? 15);
const [batch, inputs, width, classes] = [64, 256, 256, 10];
const rng = new Rng(1);
const layer = (n: number, m: number) => Tensor.randn([n, m], { rng, std: 1 / Math.sqrt(n) });
const params: MLP = {
  w1: layer(inputs, width),
  b1: Tensor.zeros([width]),
  w2: layer(width, width),
  b2: Tensor.zeros([width]),
  w3: layer(width, classes),
  b3: Tensor.zeros([classes]),
};
const x = Tensor.randn([batch, inputs], { rng });
const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
const v = randomTangent(params, rng);
const count = Object.values(params).reduce((n, t) => n + t.size, 0);

const cost = compareCost(
  () => valueAndGrad(mlpLoss)(params, x, labels),
  () => hvp(mlpLoss, [params, x, labels], [v]),
  rounds,
);
console.log(
  `\nbench:hvp — one hvp against one valueAndGrad, MLP (tanh, cross-entropy, ${count} parameters), float32, ${getThreads()} threads, median of ${rounds} alternating rounds`,
);
printCostTable(
  ["valueAndGrad", "hvp"],
  [{ model: "MLP", shapes: `x (${batch}, ${inputs}), W (${inputs}, ${width}) (${width}, ${width}) (${width}, ${classes})`, cost }],
);
