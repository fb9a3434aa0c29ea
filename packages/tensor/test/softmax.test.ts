import { describe, expect, test } from "bun:test";
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward, Tensor } from "@pullback/tensor";
import * as ref from "../src/reference/softmax.ts";
import { assertClose, kernelSizes, randTensor } from "../src/testing.ts";
import { checkGradients, selectRows, spreadRows } from "./normloss_helpers.ts";

const ops = [
  { name: "softmax", fwd: softmax, bwd: softmaxBackward, rfwd: ref.softmax, rbwd: ref.softmaxBackward },
  { name: "logSoftmax", fwd: logSoftmax, bwd: logSoftmaxBackward, rfwd: ref.logSoftmax, rbwd: ref.logSoftmaxBackward },
];

describe.each(ops)("$name", ({ name, fwd, bwd, rfwd, rbwd }) => {
  test("Zig matches the float64 reference at every size (forward and backward)", () => {
    for (const cols of kernelSizes) {
      for (const shape of [[3, cols], [2, 2, cols], [cols]]) {
        const x = randTensor(shape, cols, { low: -8, high: 8 });
        const dy = randTensor(shape, cols + 1);
        const y = fwd(x);
        assertClose(y, rfwd(x), { rtol: 1e-5, atol: 1e-6, what: `${name} ${shape}` });
        assertClose(bwd(y, dy), rbwd(y, dy), { rtol: 1e-4, atol: 1e-6, what: `${name}Backward ${shape}` });
      }
    }
  });

  test("model shapes: (8192, 64) in full, (8192, 8000) on sampled rows", () => {
    for (const [n, c] of [
      [8192, 64],
      [8192, 8000],
    ]) {
      const x = randTensor([n, c], 11, { low: -6, high: 6 });
      const dy = randTensor([n, c], 12);
      const y = fwd(x);
      const dx = bwd(y, dy);
      const rows = c > 1000 ? spreadRows(n, 40) : Array.from({ length: n }, (_, i) => i);
      const ys = selectRows(y, rows);
      assertClose(ys, rfwd(selectRows(x, rows)), { rtol: 1e-5, atol: 1e-7, what: `${name} (${n}, ${c})` });
      assertClose(selectRows(dx, rows), rbwd(ys, selectRows(dy, rows)), { rtol: 1e-4, atol: 1e-6, what: `${name}Backward (${n}, ${c})` });
    }
  }, 60_000);

  test("backward matches central finite differences (float64, reference)", () => {
    for (const shape of [
      [1, 1],
      [3, 5],
      [2, 3, 7],
    ]) {
      const x = randTensor(shape, 5, { dtype: "float64", low: -3, high: 3 });
      checkGradients(
        `${name}${JSON.stringify(shape)}`,
        ([a]) => [fwd(a)],
        ([g]) => [bwd(fwd(x), g)],
        [x],
        7,
      );
    }
  });

  test("is stable for large logits and runs empty tensors", () => {
    const x = Tensor.from([
      [1000, 1001, 999],
      [-1000, -1e30, -1001],
    ]);
    const y = fwd(x);
    expect(y.data.every(Number.isFinite)).toBe(true);
    assertClose(y, rfwd(x.to("float64")).to("float32"), { rtol: 1e-5, atol: 1e-6 });
    expect(fwd(Tensor.zeros([0, 5])).shape).toEqual([0, 5]);
    expect(fwd(Tensor.zeros([4, 0])).shape).toEqual([4, 0]);
  });

  test("bad input is a clear TensorError", () => {
    expect(() => fwd(Tensor.from(3))).toThrow(`${name}: needs at least one axis, got a 0-d tensor`);
    expect(() => bwd(Tensor.zeros([2, 3]), Tensor.zeros([3, 2]))).toThrow(`${name}Backward: y (2, 3) and dy (3, 2) must have the same shape`);
    expect(() => bwd(Tensor.zeros([2, 3]), Tensor.zeros([2, 3], "float64"))).toThrow(`${name}Backward: y is float32 but dy is float64`);
  });
});

test("softmax rows sum to one; logSoftmax = log(softmax)", () => {
  const x = randTensor([5, 129], 3, { low: -20, high: 20 });
  const y = softmax(x),
    l = logSoftmax(x);
  for (let r = 0; r < 5; r++) {
    let s = 0;
    for (let j = 0; j < 129; j++) s += y.data[r * 129 + j];
    expect(Math.abs(s - 1)).toBeLessThan(1e-5);
  }
  for (let i = 0; i < y.size; i++) if (y.data[i] > 1e-30) expect(Math.abs(Math.log(y.data[i]) - l.data[i])).toBeLessThan(1e-4);
});
