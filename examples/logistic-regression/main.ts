// Separates two Gaussian clouds with logistic regression; prints the loss and the accuracy.
//   bun examples/logistic-regression/main.ts
import { valueAndGrad } from "@pullback/ad";
import { add, matmul, Rng, Tensor } from "@pullback/tensor";
import { loss, type Classifier } from "./model.ad.ts";

const rng = new Rng(2);
const n = 400;
const x = Tensor.zeros([n, 2]);
const labels = new Int32Array(n);
for (let i = 0; i < n; i++) {
  labels[i] = i % 2; // class 0 around (-1, -1), class 1 around (1, 1)
  const c = labels[i] === 0 ? -1 : 1;
  x.data[2 * i] = c + 0.7 * rng.normal();
  x.data[2 * i + 1] = c + 0.7 * rng.normal();
}

const p: Classifier = { w: Tensor.zeros([2, 2]), b: Tensor.zeros([2]) };
const step = valueAndGrad(loss);
let value = 0;
for (let it = 0; it < 100; it++) {
  const [l, g] = step(p, x, labels);
  value = l;
  for (const k of ["w", "b"] as const) for (let i = 0; i < p[k].size; i++) p[k].data[i] -= 0.5 * g[k].data[i];
}
const logits = add(matmul(x, p.w), p.b);
let correct = 0;
for (let i = 0; i < n; i++) if ((logits.data[2 * i + 1] > logits.data[2 * i] ? 1 : 0) === labels[i]) correct++;
console.log(`loss ${value.toFixed(4)}`);
console.log(`accuracy ${(correct / n).toFixed(3)}`);
