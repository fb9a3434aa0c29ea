// Ops that allocate their outputs with Tensor.empty (no zero-fill) must write every element.
// Before each op, freed buffers of exactly the output's size are poisoned with NaN: the allocator
// hands that memory back for the output (the test checks it does — it does for buffers up to
// ~256 KiB, so the shapes stay below that), so an element a kernel skipped would stay NaN — all
// but the first two, where the allocator keeps its free-list link.
import { expect, test } from "bun:test";
import { add, bmm, dropout, dropoutBackward, exp, gelu, geluBackward, gemm, matmul, mul, mulScalar, permute, Tensor } from "@pullback/tensor";
import { linear } from "@pullback/tensor/rrules";
import { randTensor } from "@pullback/tensor/testing";

function poison(elements: number): void {
  for (let i = 0; i < 16; i++) {
    const b = Buffer.allocUnsafeSlow(elements * 4);
    new Float32Array(b.buffer, b.byteOffset, elements).fill(Number.NaN);
  }
  Bun.gc(true);
}

const finite = (t: Tensor) => t.data.every(Number.isFinite);

test("every element of an empty-allocated output is written (GEMM, bmm, linear, elementwise, permute, dropout)", () => {
  const x = randTensor([129, 67], 1), w = randTensor([67, 129], 2), b = randTensor([129], 3);
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
    // Make sure poisoned memory of this size does come back (else the check below could not fail).
    let poisoned = false;
    for (let attempt = 0; attempt < 10 && !poisoned; attempt++) {
      poison(size);
      poisoned = Tensor.empty([size]).data.some(Number.isNaN);
    }
    expect({ name, poisoned }).toEqual({ name, poisoned: true });
    poison(size);
    expect({ name, finite: finite(run()) }).toEqual({ name, finite: true });
  }
});
