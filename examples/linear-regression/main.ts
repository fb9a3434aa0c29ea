// Fits y = X·w + b by gradient descent on the mean squared error; the data come from known w and b.
//   bun examples/linear-regression/main.ts
import { valueAndGrad } from "@pullback/ad";
import { matmul, Rng, Tensor } from "@pullback/tensor";
import { mse, type Linear } from "./model.ad.ts";

const rng = new Rng(1);
const n = 256,
  features = 3;
const trueW = Tensor.from([[2], [-3], [0.5]]),
  trueB = 1.5;
const x = Tensor.randn([n, features], { rng });
const y = matmul(x, trueW);
for (let i = 0; i < n; i++) y.data[i] += trueB + 0.01 * rng.normal();

const p: Linear = { w: Tensor.zeros([features, 1]), b: Tensor.zeros([1]) };
const step = valueAndGrad(mse);
const lr = 0.1;
let loss = 0;
for (let it = 0; it < 200; it++) {
  const [value, g] = step(p, x, y);
  loss = value;
  // plain gradient descent, in place
  for (let i = 0; i < features; i++) p.w.data[i] -= lr * g.w.data[i];
  p.b.data[0] -= lr * g.b.data[0];
}
console.log(`loss ${loss.toExponential(3)}`);
console.log(`w ${Array.from(p.w.data, (v) => v.toFixed(3)).join(" ")} (true ${Array.from(trueW.data).join(" ")})`);
console.log(`b ${p.b.data[0].toFixed(3)} (true ${trueB})`);
