// The inputs the op table is checked on (packages/tensor/src/rules/): for every op, the cases its
// rule is gradchecked on (op_table.test.ts) and its forward rule jvpchecked on
// (forward/op_frules.test.ts); for every kernel (backward kernels, forward forms, Tensor's
// constructors: the table's kernelTable), the samples its forward rule is jvpchecked on. Both
// tests iterate over the table: an op or kernel without its cases here fails them.
import { Rng, softmax, Tensor } from "@pullback/tensor";
import type { Tree } from "../src/runtime/tree.ts";

export const rand = (shape: number[], seed: number, low = -1, high = 1) => Tensor.uniform(shape, { seed, low, high, dtype: "float64" });
const positive = (shape: number[], seed: number) => rand(shape, seed, 0.5, 2);

export interface Case {
  /** The differentiable arguments (the first ones); `rest` are the others. */
  diff: Tree[];
  rest?: unknown[];
}

/** Operands of a binary op; the divisor is kept away from 0. */
const bin = (a: number[], b: number[], seed: number, divisor = false): Case => ({
  diff: [rand(a, seed), divisor ? positive(b, seed + 1) : rand(b, seed + 1)],
});
const broadcastShapes: [number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [[3, 4], [4]],
  [
    [2, 1, 3],
    [4, 1],
  ],
  [[1], [2, 3]],
];

/** The gradcheck cases of every op of the table (at least two each); their forward rules are jvpchecked on them too. */
export const opCases: Record<string, Case[]> = {
  add: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i)),
  sub: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i + 1)),
  mul: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i + 2)),
  div: broadcastShapes.map(([a, b], i) => bin(a, b, 10 * i + 3, true)),
  addScalar: [{ diff: [rand([3, 4], 1), 0.3] }, { diff: [rand([5], 2), -2] }],
  mulScalar: [{ diff: [rand([3, 4], 3), 1.7] }, { diff: [rand([2, 1, 3], 4), -0.5] }],
  divScalar: [{ diff: [rand([3, 4], 5), 1.7] }, { diff: [rand([6], 6), -0.8] }],
  exp: [{ diff: [rand([3, 4], 7)] }, { diff: [rand([5], 8)] }],
  log: [{ diff: [positive([3, 4], 9)] }, { diff: [positive([2, 3, 2], 10)] }],
  sqrt: [{ diff: [positive([3, 4], 11)] }, { diff: [positive([7], 12)] }],
  square: [{ diff: [rand([3, 4], 13)] }, { diff: [rand([1, 5], 14)] }],
  tanh: [{ diff: [rand([3, 4], 15)] }, { diff: [rand([2, 2, 2], 16)] }],
  gelu: [{ diff: [rand([3, 4], 17, -3, 3)] }, { diff: [rand([9], 18, -3, 3)] }],
  matmul: [{ diff: [rand([3, 4], 19), rand([4, 5], 20)] }, { diff: [rand([1, 3], 21), rand([3, 1], 22)] }],
  bmm: [
    { diff: [rand([2, 3, 4], 23), rand([2, 4, 5], 24)] },
    { diff: [rand([3, 2, 1], 25), rand([3, 1, 4], 26)], rest: [{}] },
    { diff: [rand([2, 4, 3], 27), rand([2, 5, 4], 28)], rest: [{ transA: true, transB: true }] },
  ],
  linear: [{ diff: [rand([3, 4], 29), rand([4, 5], 30), rand([5], 31)] }, { diff: [rand([1, 2], 32), rand([2, 1], 33), rand([1], 34)] }],
  softmax: [{ diff: [rand([3, 4], 35, -2, 2)] }, { diff: [rand([2, 1, 5], 36, -2, 2)] }],
  logSoftmax: [{ diff: [rand([3, 4], 37, -2, 2)] }, { diff: [rand([6], 38, -2, 2)] }],
  layerNorm: [
    { diff: [rand([3, 4], 39, -2, 2), rand([4], 40, 0.5, 1.5), rand([4], 41)] },
    { diff: [rand([2, 3, 5], 42, -2, 2), rand([5], 43, 0.5, 1.5), rand([5], 44)], rest: [0.1] },
  ],
  crossEntropy: [
    { diff: [rand([3, 5], 45, -3, 3)], rest: [[0, 4, 2]] },
    { diff: [rand([1, 2], 46, -3, 3)], rest: [Int32Array.from([1])] },
  ],
  linearCrossEntropy: [
    { diff: [rand([3, 4], 80, -2, 2), rand([4, 5], 81, -1, 1)], rest: [[0, 4, 2]] },
    { diff: [rand([7, 2], 82, -2, 2), rand([2, 3], 83, -1, 1)], rest: [Int32Array.from([2, 0, 0, 1, 2, 2, 1]), { chunkRows: 2 }] },
  ],
  attention: [
    { diff: [rand([1, 2, 5, 3], 47), rand([1, 2, 5, 3], 48), rand([1, 2, 5, 3], 49)] },
    { diff: [rand([2, 1, 4, 2], 50), rand([2, 1, 4, 2], 51), rand([2, 1, 4, 2], 52)], rest: [{ dropout: 0.3, seed: 7, offset: 2 }] },
  ],
  attentionRows: [
    { diff: [rand([6, 18], 78)], rest: [2, 2] }, // B = 2, T = 3, H = 2, D = 3
    { diff: [rand([10, 12], 79)], rest: [2, 2, { dropout: 0.3, seed: 7, offset: 2 }] }, // B = 2, T = 5, H = 2, D = 2
  ],
  dropout: [
    { diff: [rand([3, 4], 53)], rest: [0.25, 9, 1] },
    { diff: [rand([17], 54)], rest: [0, 3, 0] },
  ],
  addDropout: [
    { diff: [rand([3, 4], 55), rand([3, 4], 56)], rest: [0.25, 9, 1] },
    { diff: [rand([17], 57), rand([17], 58)], rest: [0, 3, 0] },
  ],
  take: [
    { diff: [rand([5, 3], 55)], rest: [[4, 0, 4, 2]] },
    {
      diff: [rand([3, 2], 56)],
      rest: [
        [1, 2, 1, 0, 0, 2],
        [2, 3],
      ],
    },
  ],
  pick: [
    {
      diff: [rand([3, 4], 57)],
      rest: [
        [0, 2, 2],
        [3, 1, 3],
      ],
    },
    { diff: [rand([1, 2], 58)], rest: [[0], [1]] },
  ],
  sum: [{ diff: [rand([3, 4], 59)] }, { diff: [rand([2, 1, 3], 60)] }],
  sumAlong: [
    { diff: [rand([3, 4], 61)], rest: [1] },
    { diff: [rand([2, 3, 4], 62)], rest: [-2, true] },
  ],
  maxAlong: [
    { diff: [rand([3, 4], 63)], rest: [1] },
    { diff: [rand([2, 3, 4], 64)], rest: [0, true] },
  ],
  reshape: [
    { diff: [rand([3, 4], 65)], rest: [[2, 6]] },
    { diff: [rand([2, 3, 4], 66)], rest: [[4, 6]] },
  ],
  permute: [
    { diff: [rand([3, 4], 67)], rest: [[1, 0]] },
    { diff: [rand([2, 3, 4, 1], 68)], rest: [[2, 0, 3, 1]] },
  ],
  swapAxes: [
    { diff: [rand([3, 4], 69)], rest: [0, 1] },
    { diff: [rand([2, 3, 4], 70)], rest: [-1, 0] },
  ],
  splitAt: [
    { diff: [rand([5, 4], 71)], rest: [0, 2] },
    { diff: [rand([2, 3, 6], 72)], rest: [-1, 5] },
  ],
  concat: [
    { diff: [[rand([2, 3], 73), rand([1, 3], 74), rand([4, 3], 75)]], rest: [0] },
    { diff: [[rand([2, 1, 2], 76), rand([2, 3, 2], 77)]], rest: [-2] },
  ],
};

/** Inputs of a kernel's forward rule and which arguments get a (random) tangent. */
export interface KernelSample {
  args: unknown[];
  diff: number[];
}

const rng = new Rng(11);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
/** Values in [1, 2): away from the poles of log, sqrt, division. */
const pos = (...shape: number[]) => Tensor.uniform(shape, { rng, low: 1, high: 2, dtype: "float64" });
const idx = (...v: number[]) => Int32Array.from(v);
const s = (args: unknown[], diff: number[]): KernelSample => ({ args, diff });
const drop = { dropout: 0.3, seed: 5, offset: 7 };

/** The jvpcheck samples of every kernel of the table, by name. */
export const kernelSamples: Record<string, () => KernelSample[]> = {
  // helpers of the pullbacks
  sumToShape: () => [s([r(3, 4), [1, 4]], [0]), s([r(2, 3, 4), [3, 1]], [0])],
  gemm: () => [
    s([r(3, 4), r(5, 4), { transB: true, alpha: 0.5 }], [0, 1]),
    s([r(4, 3), r(4, 5), { transA: true }], [0, 1]),
    s([r(4, 3), r(4, 5), { transA: true }], [1]),
  ],
  // backward kernels
  expBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  logBackward: () => [s([pos(3, 4), r(3, 4)], [0, 1])],
  sqrtBackward: () => [s([pos(3, 4), r(3, 4)], [0, 1])],
  squareBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  tanhBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  geluBackward: () => [s([r(3, 4), r(3, 4)], [0, 1])],
  softmaxBackward: () => [s([softmax(r(3, 5)), r(3, 5)], [0, 1])],
  logSoftmaxBackward: () => [s([r(3, 5), r(3, 5)], [0, 1])],
  layerNormBackward: () => [s([r(3, 5), r(3, 5), r(5), r(3), pos(3)], [0, 1, 2, 3, 4]), s([r(3, 5), r(3, 5), r(5), r(3), pos(3)], [1])],
  crossEntropyBackward: () => [s([r(4, 6), idx(0, 5, 2, 3), r(4), 0.7], [0, 2, 3])],
  attentionBackward: () => [
    s([r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4)], [0, 1, 2, 3, 4, 5]),
    s([r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5), drop], [0, 1, 2, 3, 4, 5]),
  ],
  attentionRowsBackward: () => [
    s([r(8, 6), r(8, 18), r(8, 6), r(2, 2, 4), 2, 2], [0, 1, 2, 3]),
    s([r(8, 6), r(8, 18), r(8, 6), r(2, 2, 4), 2, 2, drop], [0, 1, 2, 3]),
  ],
  dropoutBackward: () => [s([r(3, 4), 0.3, 1, 0], [0])],
  takeBackward: () => [s([r(4, 3), idx(0, 2, 4, 2), 5], [0])],
  pickBackward: () => [s([r(3), idx(0, 1, 2), idx(3, 0, 1), [3, 4]], [0])],
  maxAlongBackward: () => [s([r(3), idx(1, 0, 3), [3, 4], 1], [0])],
  // the forms that also return the backward kernels' statistics
  maxAlongForward: () => [s([r(3, 4), 1], [0]), s([r(3, 4), 0, true], [0])],
  layerNormForward: () => [s([r(3, 5), r(5), r(5), 1e-5], [0, 1, 2]), s([r(2, 2, 5), r(5), r(5), 1e-5], [0]), s([r(3, 5), r(5), r(5), 1e-5], [1, 2])],
  crossEntropyForward: () => [s([r(4, 6), idx(0, 5, 2, 3)], [0])],
  linearCrossEntropyForward: () => [s([r(4, 3), r(3, 6), idx(0, 5, 2, 3)], [0, 1]), s([r(4, 3), r(3, 6), idx(1, 1, 2, 0)], [1])],
  attentionForward: () => [
    s([r(1, 2, 4, 3), r(1, 2, 4, 3), r(1, 2, 4, 3)], [0, 1, 2]),
    s([r(2, 1, 5, 2), r(2, 1, 5, 2), r(2, 1, 5, 2), drop], [0, 1, 2]),
  ],
  attentionRowsForward: () => [s([r(8, 18), 2, 2], [0]), s([r(8, 18), 2, 2, drop], [0])],
  // Tensor's constructors
  "Tensor.zeros": () => [s([[2, 3], "float64"], [])],
  "Tensor.ones": () => [s([[2, 3], "float64"], [])],
  "Tensor.full": () => [s([[2, 3], 0.5, "float64"], [1])],
};
