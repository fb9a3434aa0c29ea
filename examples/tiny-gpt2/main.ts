// Trains the `tiny` GPT-2 from code — no CLI — on a few hundred generated stories: tokenizer,
// batches, valueAndGrad of the model's loss, Adam, and a memory pool so steps reuse their memory.
//   bun examples/tiny-gpt2/main.ts [steps]
import { valueAndGrad } from "@pullback/ad";
import { encodeGpt2, syntheticStories } from "@pullback/corpus";
import { createModel, loss, presets } from "@pullback/gpt2";
import { adamUpdate, MemoryPool, Rng, type Tensor } from "@pullback/tensor";

const steps = Number(process.argv[2] ?? 60);
const config = { ...presets.tiny, vocab: 256, context: 32 };
const B = 8,
  T = config.context;

// Tokens: GPT-2 BPE ids folded into the small vocabulary (id mod V) — enough for a demo.
const text = syntheticStories(300, 9).join("\n");
const tokens = Int32Array.from(encodeGpt2(text), (id) => id % config.vocab);

const model = createModel(config);
const rng = new Rng(1);
const params = model.initParams(rng);
const leaves = (tree: unknown): Tensor[] =>
  tree && typeof tree === "object" && "data" in tree ? [tree as Tensor] : Object.values(tree as object).flatMap(leaves);
const state = leaves(params).map((p) => ({ m: new Float32Array(p.size), v: new Float32Array(p.size) }));
const positions = Int32Array.from({ length: T }, (_, i) => i);
const lossAndGrad = valueAndGrad(loss);
const memory = new MemoryPool();

let first = 0,
  last = 0;
for (let step = 1; step <= steps; step++) {
  // a batch of B random windows: inputs and next-token targets
  const x = new Int32Array(B * T),
    y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = rng.int(tokens.length - T - 1);
    x.set(tokens.subarray(start, start + T), b * T);
    y.set(tokens.subarray(start + 1, start + T + 1), b * T);
  }
  const s = { batch: B, time: T, heads: config.heads, width: config.width, dropout: 0, seed: step };
  last = memory.run(() => {
    const [value, grads] = lossAndGrad(params, s, x, positions, y);
    leaves(grads).forEach((g, i) =>
      adamUpdate(leaves(params)[i].data, g.data, state[i].m, state[i].v, { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, step }),
    );
    return value;
  });
  if (step === 1) first = last;
  if (step % 20 === 0) console.log(`step ${step}: loss ${last.toFixed(4)}`);
}
console.log(`loss ${first.toFixed(4)} → ${last.toFixed(4)} in ${steps} steps`);
