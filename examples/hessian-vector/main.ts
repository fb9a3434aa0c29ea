// The curvature of the `tiny` GPT-2 loss L along a random unit direction v of parameter space:
// vᵀHv = d²/dt² L(p + tv) at t = 0, where H is the Hessian of L in the parameters p. Three ways:
//  - forward over reverse: hvp(loss, [params, …], [v]) runs the reverse code of L (forward pass
//    and pullback) once with every value carrying its tangent along v, so the gradient comes
//    back carrying its own directional derivative, H·v (one entry per argument, in its
//    structure; H is never formed). ⟨Hv, v⟩ is the curvature;
//  - a central difference of the gradient along v: ⟨(∇L(p + εv) − ∇L(p − εv)) / 2ε, v⟩;
//  - a second difference of L itself: (L(p + εv) − 2L(p) + L(p − εv)) / ε², with a larger ε
//    (its rounding error grows like 1e-16·L/ε², not 1e-16/ε).
// All three in float64 (float64 tensors run on the reference backend); the example exits non-zero
// when the hvp and the gradient difference disagree by more than 1e-6 (relative). Then one
// Newton step along v, and the time of one hvp against one valueAndGrad in float32 (the kernels).
//   bun examples/hessian-vector/main.ts
import { hvp, randomTangent, treeFlatten, treeMap, treeZip, valueAndGrad, type Tree } from "@pullback/ad";
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

const L = (p: GPT2Params) => loss(p, s, tokens, positions, targets);
const lossAndGrad = valueAndGrad(loss);
const gradient = (p: GPT2Params) => lossAndGrad(p, s, tokens, positions, targets)[1];

const [hv] = hvp(loss, [params, s, tokens, positions, targets], [v]); // H·v, in the structure of params
const curvature = dot(hv, v);
// ε for the gradient difference: error ~ε² (truncation) + ~1e-16/ε (rounding), smallest near 1e-5
const eps = 1e-5;
const gradDifference = (dot(gradient(axpy(params, v, eps)), v) - dot(gradient(axpy(params, v, -eps)), v)) / (2 * eps);
// ε for the second difference of L: error ~ε² (truncation) + ~1e-16·L/ε² (rounding), smallest near 1e-4
const eps2 = 1e-4;
const [value, grads] = lossAndGrad(params, s, tokens, positions, targets);
const lossDifference = (L(axpy(params, v, eps2)) - 2 * value + L(axpy(params, v, -eps2))) / (eps2 * eps2);

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const tolerance = 1e-6;
console.log(`tiny GPT-2, ${leaves(params).reduce((n, t) => n + t.size, 0)} parameters, batch ${B}×${T}, float64; loss ${value.toFixed(6)}`);
console.log(`vᵀHv = ⟨hvp, v⟩ (forward over reverse): ${curvature.toExponential(12)}`);
console.log(`gradient difference (ε = ${eps.toExponential()}):       ${gradDifference.toExponential(12)}`);
console.log(`second difference of L (ε = ${eps2.toExponential()}):    ${lossDifference.toExponential(12)}`);
console.log(
  `hvp vs gradient difference: relative difference ${rel(curvature, gradDifference).toExponential(2)} (tolerance ${tolerance.toExponential()})`,
);
console.log(`hvp vs second difference of L: relative difference ${rel(curvature, lossDifference).toExponential(2)}`);
if (!(rel(curvature, gradDifference) < tolerance)) {
  console.error(`hvp disagrees with the central difference of the gradient beyond ${tolerance.toExponential()}`);
  process.exit(1);
}

// One Newton step along v: φ(t) = L(p + tv) has φ'(0) = ⟨∇L, v⟩ and φ''(0) = vᵀHv, so where φ''(0) > 0
// its quadratic model φ(0) + tφ' + ½t²φ'' is least at t = −φ'/φ'', and predicts the decrease φ'²/2φ''.
// Where φ''(0) ≤ 0 the model has no minimum along v (the step would go uphill or nowhere).
const slope = dot(grads, v);
if (curvature > 0) {
  const t = -slope / curvature;
  const after = L(axpy(params, v, t));
  console.log(
    `Newton step along v: t = ${t.toExponential(3)}, loss ${value.toFixed(6)} → ${after.toFixed(6)}, down ${(value - after).toExponential(3)} (the quadratic model predicted ${((slope * slope) / (2 * curvature)).toExponential(3)})`,
  );
} else console.log(`Newton step along v: none, the curvature along v is ${curvature.toExponential(3)} ≤ 0`);

// Time, float32, the median of a few interleaved runs: one hvp against one valueAndGrad, and one
// plain forward pass (loss) for scale. The hvp runs the forward pass and the pullback once, each op
// through its forward rule: the op and its derivative along v, so several times the kernel calls of
// a gradient. At this size the cost of each call dominates: the hvp costs several gradients here
// (bun run bench:hvp measures it, with its memory).
const v32 = randomTangent(params32, rng);
const times: Record<"loss" | "hvp" | "grad", number[]> = { loss: [], hvp: [], grad: [] };
const timed = (key: keyof typeof times, f: () => unknown) => {
  const t0 = performance.now();
  f();
  times[key].push(performance.now() - t0);
};
for (let i = 0; i < 9; i++) {
  timed("loss", () => loss(params32, s, tokens, positions, targets));
  timed("hvp", () => hvp(loss, [params32, s, tokens, positions, targets], [v32]));
  timed("grad", () => lossAndGrad(params32, s, tokens, positions, targets));
}
const [tl, th, tg] = [median(times.loss), median(times.hvp), median(times.grad)];
console.log(
  `time (float32, median of 9): loss ${tl.toFixed(2)} ms, valueAndGrad ${tg.toFixed(2)} ms, hvp ${th.toFixed(2)} ms; hvp / valueAndGrad ${(th / tg).toFixed(2)}`,
);
