// Ops that allocate their outputs with Tensor.empty (no zero-fill) must write every element.
// Inside a MemoryPool, Tensor.empty hands back a buffer of the same size that an earlier run
// left behind: the test fills such buffers with NaN first (and checks that they do come back), so
// an element a kernel skipped would stay NaN.
import { expect, test } from "bun:test";
import {
  add,
  bmm,
  dropout,
  dropoutBackward,
  exp,
  gelu,
  geluBackward,
  gemm,
  matmul,
  MemoryPool,
  mul,
  mulScalar,
  permute,
  Tensor,
} from "@pullback/tensor";
import { linear } from "@pullback/tensor/rrules";
import { randTensor } from "@pullback/tensor/testing";

const pool = new MemoryPool();

/** Leaves `count` NaN-filled buffers of `elements` float32 in the pool. */
function poison(elements: number, count = 4): void {
  pool.run(() => {
    for (let i = 0; i < count; i++) Tensor.empty([elements]).data.fill(Number.NaN);
  });
}

const finite = (t: Tensor) => t.data.every(Number.isFinite);

test("every element of an empty-allocated output is written (GEMM, bmm, linear, elementwise, permute, dropout)", () => {
  const x = randTensor([129, 67], 1),
    w = randTensor([67, 129], 2),
    b = randTensor([129], 3);
  const cases: [string, () => Tensor][] = [
    ["matmul", () => matmul(x, w)],
    ["gemm transB", () => gemm(x, randTensor([129, 67], 4), { transB: true })],
    ["bmm", () => bmm(randTensor([3, 65, 7], 5), randTensor([3, 7, 33], 6))],
    ["linear", () => linear([x, w, b])[0]],
    ["add broadcast", () => add(randTensor([129, 1, 67], 7), randTensor([5, 67], 8))],
    ["mul", () => mul(x, x)],
    ["mulScalar", () => mulScalar(x, 3)],
    ["exp", () => exp(x)],
    ["gelu", () => gelu(x)],
    ["geluBackward", () => geluBackward(x, x)],
    ["permute", () => permute(randTensor([12, 13, 3, 5, 16], 9), [2, 0, 3, 1, 4])],
    ["dropout", () => dropout(x, 0.3, 7, 1)],
    ["dropoutBackward", () => dropoutBackward(x, 0.3, 7, 1)],
  ];
  for (const [name, run] of cases) {
    const size = run().size;
    // Poisoned memory of this size does come back (else the check below could not fail).
    poison(size);
    const poisoned = pool.run(() => Tensor.empty([size]).data.every(Number.isNaN));
    expect({ name, poisoned }).toEqual({ name, poisoned: true });
    poison(size);
    expect({ name, finite: pool.run(() => finite(run())) }).toEqual({ name, finite: true });
  }
});
