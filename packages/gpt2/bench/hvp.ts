// bun run bench:hvp (second part) — what a Hessian-vector product costs against one gradient for
// the `tiny` GPT-2 loss (2 layers, width 32, 4 heads, vocab 128; batch 4 × context 16), float32,
// measured as packages/ad/bench/hvp.ts measures its MLP (compareCost, @pullback/tensor/bench):
// time in alternating rounds, each call in its own MemoryPool, the ratio the median of per-round
// ratios; memory the tensor memory one call holds at its peak in a fresh MemoryPool.
//   bun packages/gpt2/bench/hvp.ts [--rounds=15] [--batch=4]
import { hvp, randomTangent, treeFlatten, valueAndGrad, type Tree } from "@pullback/ad";
import { getThreads, Rng, type Tensor } from "@pullback/tensor";
import { compareCost, printCostTable } from "@pullback/tensor/bench";
import { createModel, loss, presets, randomLossArgs } from "../src/index.ts";

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const rounds = arg("rounds", 15);
const config = presets.tiny;
const B = arg("batch", 4);
const T = config.context;
const rng = new Rng(1);
const [s, tokens, positions, targets] = randomLossArgs(config, B, rng); // dropout off
const params = createModel(config).initParams(rng);
const v = randomTangent(params, rng);
const count = (treeFlatten(params as unknown as Tree).leaves as Tensor[]).reduce((n, t) => n + t.size, 0);

const cost = compareCost(
  () => valueAndGrad(loss)(params, s, tokens, positions, targets),
  () => hvp(loss, [params, s, tokens, positions, targets], [v]),
  rounds,
);
console.log(
  `\nbench:hvp — one hvp against one valueAndGrad, tiny GPT-2 (${config.layers} layers, width ${config.width}, ${config.heads} heads, vocab ${config.vocab}, ${count} parameters), float32, ${getThreads()} threads, median of ${rounds} alternating rounds`,
);
printCostTable(["valueAndGrad", "hvp"], [{ model: "tiny GPT-2", shapes: `tokens (${B}, ${T}), residual (${B * T}, ${config.width})`, cost }]);
