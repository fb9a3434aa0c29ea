// Throughput of the elementwise, reduction and permute kernels on the model's shapes (seed preset),
// as GB/s of memory traffic (bytes read + written), median of repeats, with a memcpy
// (TypedArray.set) of the same size measured in the same run as the bandwidth yardstick.
//   bun packages/tensor/bench/elementwise.ts [--threads 1]
import { add, exp, gelu, geluBackward, maxAlong, permute, setThreads, sum, sumAlong, sumToShape, tanh, getThreads } from "@pullback/tensor";
import { randTensor } from "@pullback/tensor/testing";

const threadsArg = process.argv.indexOf("--threads");
if (threadsArg > 0) setThreads(Number(process.argv[threadsArg + 1]));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => unknown, repeats = 21): number {
  for (let i = 0; i < 3; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const x = randTensor([8192, 256], 1);
const y = randTensor([8192, 256], 2);
const bias = randTensor([256], 3);
const bthd = randTensor([64, 128, 16, 4], 4);
const qkv = randTensor([64, 128, 3, 16, 4], 5);
const n = x.size;
const f32 = 4;

const dst = new Float32Array(n);
const cases: [string, () => unknown, number][] = [
  ["memcpy (TypedArray.set) 2M", () => dst.set(x.data), 2 * n * f32],
  ["add (8192,256)+(8192,256)", () => add(x, y), 3 * n * f32],
  ["add bias (8192,256)+(256,)", () => add(x, bias), 2 * n * f32],
  ["exp (8192,256)", () => exp(x), 2 * n * f32],
  ["tanh (8192,256)", () => tanh(x), 2 * n * f32],
  ["gelu (8192,256)", () => gelu(x), 2 * n * f32],
  ["geluBackward (8192,256)", () => geluBackward(x, y), 3 * n * f32],
  ["sum (8192,256)", () => sum(x), n * f32],
  ["sumAlong axis 0 (8192,256)", () => sumAlong(x, 0), n * f32],
  ["sumAlong axis 1 (8192,256)", () => sumAlong(x, 1), n * f32],
  ["sumToShape (8192,256)→(256,)", () => sumToShape(x, [256]), n * f32],
  ["maxAlong axis 1 (8192,256)", () => maxAlong(x, 1), n * f32],
  ["permute (B,T,H,D)→(B,H,T,D)", () => permute(bthd, [0, 2, 1, 3]), 2 * bthd.size * f32],
  ["permute (B,T,3,H,D)→(3,B,H,T,D)", () => permute(qkv, [2, 0, 3, 1, 4]), 2 * qkv.size * f32],
];

console.log(`threads: ${getThreads()}`);
for (const [name, f, bytes] of cases) {
  const ms = time(f);
  console.log(`${name.padEnd(36)} ${ms.toFixed(3).padStart(8)} ms  ${(bytes / ms / 1e6).toFixed(1).padStart(6)} GB/s`);
}
