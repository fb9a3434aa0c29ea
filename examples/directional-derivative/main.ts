// The derivative of the `tiny` GPT-2 loss L along a random unit direction v of parameter space, three ways:
//  - forward mode: jvp(loss, [params, …], [v]) runs the forward pass once, each value carrying its
//    tangent (its derivative along v) beside it, nothing recorded: about the cost of a forward pass,
//    but one pass per direction;
//  - reverse mode: valueAndGrad(loss) runs a forward and a backward pass and gives the gradient,
//    the derivative along every direction at once; ⟨grad L, v⟩ picks out v;
//  - a central finite difference (L(p + εv) − L(p − εv)) / 2ε.
// The three are compared in float64 (float64 tensors run on the reference backend). One jvp is then
// timed against one valueAndGrad in float32 (the kernels), for information.
//   bun examples/directional-derivative/main.ts
import { jvp, randomTangent, treeFlatten, treeMap, treeZip, valueAndGrad, type Tree } from "@pullback/ad";
import { createModel, loss, presets, randomLossArgs, type GPT2Params } from "@pullback/gpt2";
import { add, mul, mulScalar, Rng, sum, type Tensor } from "@pullback/tensor";
import { median } from "@pullback/tensor/bench";

const config = presets.tiny;
const B = 4;
const T = config.context;
const rng = new Rng(1);
const [s, tokens, positions, targets] = randomLossArgs(config, B, rng); // dropout off

// ⟨a, b⟩ and a + e·b over two trees of the parameters' structure
const leaves = (tree: unknown) => treeFlatten(tree as Tree).leaves as Tensor[];
const dot = (a: unknown, b: unknown) => leaves(a).reduce((acc, x, k) => acc + sum(mul(x, leaves(b)[k])), 0);
const axpy = (a: unknown, b: unknown, e: number) =>
  treeZip([a as Tree, b as Tree], ([x, y]: Tensor[]) => add(x, mulScalar(y, e))) as unknown as GPT2Params;

const params32 = createModel(config).initParams(rng);
const params = treeMap(params32 as unknown as Tree, (t: Tensor) => t.clone("float64")) as unknown as GPT2Params;
const raw = randomTangent(params, rng); // N(0, 1) in every coordinate, in the structure of params
const norm = Math.sqrt(dot(raw, raw));
const v = treeMap(raw, (t: Tensor) => mulScalar(t, 1 / norm)) as unknown as GPT2Params; // a unit direction

const [value, forward] = jvp(loss, [params, s, tokens, positions, targets], [v]); // [loss, dloss along v]
const [, grads] = valueAndGrad(loss)(params, s, tokens, positions, targets);
const reverse = dot(grads, v);
const eps = 1e-5; // the error of the difference: ~ε² (truncation) + ~1e-16/ε (rounding)
const numeric = (loss(axpy(params, v, eps), s, tokens, positions, targets) - loss(axpy(params, v, -eps), s, tokens, positions, targets)) / (2 * eps);

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
console.log(`tiny GPT-2, ${leaves(params).reduce((n, t) => n + t.size, 0)} parameters, batch ${B}×${T}, float64; loss ${value.toFixed(6)}`);
console.log(`jvp (forward mode):         ${forward.toExponential(12)}`);
console.log(`⟨grad, v⟩ (reverse mode):   ${reverse.toExponential(12)}`);
console.log(`central difference:         ${numeric.toExponential(12)}`);
console.log(`jvp vs ⟨grad, v⟩: relative difference ${rel(forward, reverse).toExponential(2)}`);
console.log(`jvp vs central difference: relative difference ${rel(forward, numeric).toExponential(2)}`);

// Time, float32, the median of a few interleaved runs: one jvp against one valueAndGrad, and one
// plain forward pass (loss) for scale. At this size the cost of each op call dominates, and the
// forward rule of the fused attention is written with unfused ops, so a jvp costs several forward
// passes here.
const v32 = randomTangent(params32, rng);
const lossAndGrad = valueAndGrad(loss);
const times: Record<"loss" | "jvp" | "grad", number[]> = { loss: [], jvp: [], grad: [] };
const timed = (key: keyof typeof times, f: () => unknown) => {
  const t0 = performance.now();
  f();
  times[key].push(performance.now() - t0);
};
for (let i = 0; i < 9; i++) {
  timed("loss", () => loss(params32, s, tokens, positions, targets));
  timed("jvp", () => jvp(loss, [params32, s, tokens, positions, targets], [v32]));
  timed("grad", () => lossAndGrad(params32, s, tokens, positions, targets));
}
const [tl, tj, tg] = [median(times.loss), median(times.jvp), median(times.grad)];
console.log(
  `time (float32, median of 9): loss ${tl.toFixed(2)} ms, jvp ${tj.toFixed(2)} ms, valueAndGrad ${tg.toFixed(2)} ms; jvp / valueAndGrad ${(tj / tg).toFixed(2)}`,
);
