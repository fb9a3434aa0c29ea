// Throughput of the elementwise, reduction and permute ops on the model's shapes (seed preset):
// medians of wall-clock and of process CPU time (user + system, all threads: robust to other
// processes taking the cores), and GB/s of memory traffic (bytes read + written) over the wall time.
// Each op allocates its output (Tensor.zeros), which is included; "alloc+memcpy" and "memcpy"
// (TypedArray.set into an existing array) of 8 MB are the yardsticks, measured in the same run.
//   bun packages/tensor/bench/elementwise.ts [--threads 1]
import { add, exp, gelu, geluBackward, maxAlong, permute, setThreads, sum, sumAlong, sumToShape, tanh, getThreads } from "@pullback/tensor";
import { randTensor } from "@pullback/tensor/testing";
import { bindKernels } from "../src/native/library.ts";
import { median } from "./harness.ts";

// The bare kernels, writing into a preallocated output (what an op costs without allocating it).
const K = bindKernels({
  pb_elementwise_exp: { args: ["ptr", "ptr", "u64"], returns: "void" },
  pb_elementwise_gelu: { args: ["ptr", "ptr", "u64"], returns: "void" },
  pb_elementwise_add_scalar: { args: ["ptr", "f32", "ptr", "u64"], returns: "void" },
});

const threadsArg = process.argv.indexOf("--threads");
if (threadsArg > 0) setThreads(Number(process.argv[threadsArg + 1]));

function time(f: () => unknown, repeats = 21): { wall: number; cpu: number } {
  Bun.gc(true);
  for (let i = 0; i < 3; i++) f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
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
  ["memcpy 8 MB (TypedArray.set)", () => dst.set(x.data), 2 * n * f32],
  ["alloc+memcpy 8 MB", () => new Float32Array(n).set(x.data), 2 * n * f32],
  ["kernel only: addScalar (8192,256)", () => K.pb_elementwise_add_scalar(x.data as Float32Array, 1, dst, n), 2 * n * f32],
  ["kernel only: exp (8192,256)", () => K.pb_elementwise_exp(x.data as Float32Array, dst, n), 2 * n * f32],
  ["kernel only: gelu (8192,256)", () => K.pb_elementwise_gelu(x.data as Float32Array, dst, n), 2 * n * f32],
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

console.log(`threads: ${getThreads()}            wall ms   cpu ms   GB/s (wall)`);
for (const [name, f, bytes] of cases) {
  const t = time(f);
  console.log(`${name.padEnd(34)} ${t.wall.toFixed(3).padStart(8)} ${t.cpu.toFixed(3).padStart(8)} ${(bytes / t.wall / 1e6).toFixed(1).padStart(7)}`);
}
