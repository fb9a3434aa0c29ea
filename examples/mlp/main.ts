// Fits y = sin(3x) on [-1, 1] with a 32-unit tanh MLP and Adam (written out here in a few lines).
//   bun examples/mlp/main.ts
import { valueAndGrad } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { loss, type MLP } from "./model.ad.ts";

const rng = new Rng(3);
const n = 128,
  hidden = 32;
const x = Tensor.from(
  Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1)),
  [n, 1],
);
const y = Tensor.from(
  Array.from(x.data, (v) => Math.sin(3 * v)),
  [n, 1],
);

const p: MLP = {
  w1: Tensor.randn([1, hidden], { rng, std: 1 }),
  b1: Tensor.randn([hidden], { rng, std: 0.5 }),
  w2: Tensor.randn([hidden, 1], { rng, std: 1 / Math.sqrt(hidden) }),
  b2: Tensor.zeros([1]),
};
const keys = ["w1", "b1", "w2", "b2"] as const;
const m = Object.fromEntries(keys.map((k) => [k, new Float64Array(p[k].size)]));
const v = Object.fromEntries(keys.map((k) => [k, new Float64Array(p[k].size)]));
const step = valueAndGrad(loss);
const lr = 0.01,
  b1 = 0.9,
  b2 = 0.999;
const first = step(p, x, y)[0];
let last = first;
for (let t = 1; t <= 1500; t++) {
  const [value, g] = step(p, x, y);
  last = value;
  for (const k of keys) {
    for (let i = 0; i < p[k].size; i++) {
      const gi = g[k].data[i];
      m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
      v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
      p[k].data[i] -= (lr * (m[k][i] / (1 - b1 ** t))) / (Math.sqrt(v[k][i] / (1 - b2 ** t)) + 1e-8);
    }
  }
}
console.log(`loss ${first.toFixed(4)} → ${last.toExponential(3)}`);
