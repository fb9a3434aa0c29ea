import { describe, expect, test } from "bun:test";
import {
  add,
  addInto,
  addScalar,
  div,
  divScalar,
  exp,
  expBackward,
  gelu,
  geluBackward,
  geluSecondBackward,
  log,
  logBackward,
  mul,
  mulScalar,
  sqrt,
  sqrtBackward,
  square,
  squareBackward,
  sub,
  sumToShape,
  tanh,
  tanhBackward,
  Tensor,
  TensorError,
  type Shape,
} from "@pullback/tensor";
import * as ref from "@pullback/tensor/reference";
import { assertClose, checkBackward, diff, kernelSizes, randomCotangent, randTensor } from "@pullback/tensor/testing";

/** Max |a − e| relative to max(|e|, 1e-3·max|e|): ignores the noise of finite differences on near-zero entries. */
function relError(a: Tensor, e: Tensor): number {
  const scale = Array.from(e.data).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return diff(a.data, e.data, 1e-3 * scale).maxRel;
}

const binaryOps = { add: [add, ref.add], sub: [sub, ref.sub], mul: [mul, ref.mul], div: [div, ref.div] } as const;

/** [a shape, b shape]: same shape, scalar-shaped, row, column, middle axis, both sides, rank mismatch. */
const broadcastCases: [Shape, Shape][] = [
  [[], []],
  [[5, 7], []],
  [[], [65]],
  [[1], [3, 17]],
  [[65, 129], [129]],
  [
    [65, 129],
    [65, 1],
  ],
  [
    [3, 17, 5],
    [3, 1, 5],
  ],
  [
    [3, 1],
    [1, 4],
  ],
  [
    [7, 1, 5],
    [1, 9, 1],
  ],
  [
    [2, 3, 4],
    [3, 4],
  ],
  [[4], [2, 3, 4]],
  [
    [2, 1, 3, 1, 5],
    [4, 1, 6, 1],
  ],
  [
    [2, 1, 2, 1, 2, 1, 2, 1, 2],
    [1, 2, 1, 2, 1, 2, 1, 2, 1],
  ],
  [[0, 3], [3]],
];

/** Inputs for b in div stay away from 0. */
function operands(sa: Shape, sb: Shape, seed: number, dtype: "float32" | "float64" = "float32"): [Tensor, Tensor] {
  return [randTensor(sa, seed, { dtype }), randTensor(sb, seed + 1, { dtype, low: 0.5, high: 2 })];
}

describe("broadcast binary ops", () => {
  test("same-shape add/sub/mul/div equal the reference bit for bit at every size", () => {
    for (const [name, [op, reference]] of Object.entries(binaryOps)) {
      for (const n of kernelSizes) {
        for (const shape of [[n], [3, n]]) {
          const [a, b] = operands(shape, shape, n);
          const got = op(a, b);
          expect(got.shape).toEqual(shape);
          expect(got.dtype).toBe("float32");
          assertClose(got, reference(a, b), { rtol: 0, atol: 0, what: `${name} ${shape}` });
        }
      }
    }
  });

  test("broadcasting (scalar, row, column, middle axis, both sides, rank mismatch, 9-d) equals the reference", () => {
    for (const [name, [op, reference]] of Object.entries(binaryOps)) {
      broadcastCases.forEach(([sa, sb], i) => {
        for (const [x, y] of [operands(sa, sb, 10 * i), operands(sb, sa, 10 * i + 5)]) {
          const got = op(x, y);
          const want = reference(x, y);
          expect(got.shape).toEqual(want.shape);
          assertClose(got, want, { rtol: 0, atol: 0, what: `${name} ${x.shape} with ${y.shape}` });
        }
      });
    }
    // Hand-computed: (3, 1) + (1, 4) and (2, 3) − (3,).
    expect(add(Tensor.from([[0], [10], [20]]), Tensor.from([[1, 2, 3, 4]])).toArray()).toEqual([
      [1, 2, 3, 4],
      [11, 12, 13, 14],
      [21, 22, 23, 24],
    ]);
    expect(
      sub(
        Tensor.from([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        Tensor.from([1, 1, 2]),
      ).toArray(),
    ).toEqual([
      [0, 1, 1],
      [3, 4, 4],
    ]);
  });

  test("model shapes: bias add (8192, 256) + (256,) and residual add (64, 128, 64) + (64, 128, 64)", () => {
    const [x, bias] = operands([8192, 256], [256], 1);
    assertClose(add(x, bias), ref.add(x, bias), { rtol: 0, atol: 0, what: "bias add" });
    const [r1, r2] = operands([64, 128, 64], [64, 128, 64], 2);
    assertClose(add(r1, r2), ref.add(r1, r2), { rtol: 0, atol: 0, what: "residual add" });
  });

  test("tensors over subarray views (non-zero byteOffset) reach the kernels at the right address", () => {
    const base = new Float32Array([100, 200, 0, 1, 2, 3, 4, 5]);
    const v = new Tensor(base.subarray(2), [2, 3]);
    expect(add(v, v).toArray()).toEqual([
      [0, 2, 4],
      [6, 8, 10],
    ]);
    assertClose(exp(v), ref.exp(v.to("float64")), { rtol: 2 ** -21, atol: 0, what: "exp of a view" });
    expect(sumToShape(v, [3]).toArray()).toEqual([3, 5, 7]);
  });

  test("float64 operands run on the reference and promote", () => {
    const [a, b] = operands([3, 4], [4], 3, "float64");
    expect(add(a, b).dtype).toBe("float64");
    expect(mul(a, b.to("float32")).dtype).toBe("float64");
  });

  test("backward through sumToShape matches central finite differences (float64)", () => {
    // c = f(a, b) broadcast; da = sumToShape(dc·∂c/∂a, a.shape), db likewise.
    const grads = {
      add: (a: Tensor, b: Tensor, dc: Tensor) => [sumToShape(dc, a.shape), sumToShape(dc, b.shape)],
      sub: (a: Tensor, b: Tensor, dc: Tensor) => [sumToShape(dc, a.shape), sumToShape(mulScalar(dc, -1), b.shape)],
      mul: (a: Tensor, b: Tensor, dc: Tensor) => [sumToShape(mul(dc, b), a.shape), sumToShape(mul(dc, a), b.shape)],
      div: (a: Tensor, b: Tensor, dc: Tensor) => [sumToShape(div(dc, b), a.shape), sumToShape(mul(dc, div(mulScalar(a, -1), square(b))), b.shape)],
    };
    // Small versions of the broadcast cases (finite differences evaluate op once per input element).
    const small: [Shape, Shape][] = [
      [[5, 7], []],
      [[], [6]],
      [[4, 9], [9]],
      [
        [4, 9],
        [4, 1],
      ],
      [
        [3, 4, 5],
        [3, 1, 5],
      ],
      [
        [3, 1],
        [1, 4],
      ],
      [
        [7, 1, 5],
        [1, 3, 1],
      ],
      [
        [2, 3, 4],
        [3, 4],
      ],
      [[4], [2, 3, 4]],
      [
        [2, 1, 3, 1, 5],
        [4, 1, 2, 1],
      ],
    ];
    let worst = 0;
    for (const [name, [op]] of Object.entries(binaryOps)) {
      small.forEach(([sa, sb], i) => {
        const [a, b] = operands(sa, sb, 100 + i, "float64");
        const rule = ([x, y]: Tensor[]): [Tensor, (dc: Tensor) => Tensor[]] => [op(x, y), (dc) => grads[name as keyof typeof grads](x, y, dc)];
        for (const e of checkBackward(rule, [a, b], { seed: i, rtol: 1e-6, atol: 1e-7, what: `${name} ${sa}·${sb}` }).entries)
          worst = Math.max(worst, e.maxRel);
      });
    }
    console.log(`broadcast binary backward vs finite differences: max relative error ${worst.toExponential(2)}`);
  });
});

describe("sumToShape", () => {
  test("equals the reference for every broadcast pattern, including the bias gradient (8192, 256) → (256,)", () => {
    const cases: [Shape, Shape][] = [
      ...broadcastCases.flatMap(([sa, sb]): [Shape, Shape][] => {
        const out = add(Tensor.zeros(sa), Tensor.zeros(sb)).shape;
        return [
          [out, sa],
          [out, sb],
        ];
      }),
      ...kernelSizes.map((n): [Shape, Shape] => [
        [n, 3, n],
        [1, 3, 1],
      ]),
      [[8192, 256], [256]],
      [
        [64, 128, 64],
        [1, 128, 1],
      ],
    ];
    cases.forEach(([from, to], i) => {
      const x = randTensor(from, i);
      const got = sumToShape(x, to);
      expect(got.shape).toEqual([...to]);
      // Several broadcast runs are summed in several passes (rounded to float32 in between).
      assertClose(got, ref.sumToShape(x, to), { rtol: 1e-6, atol: 1e-6, what: `sumToShape ${from} → ${to}` });
    });
    expect(
      sumToShape(
        Tensor.from([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [3],
      ).toArray(),
    ).toEqual([5, 7, 9]);
    expect(
      sumToShape(
        Tensor.from([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [2, 1],
      ).toArray(),
    ).toEqual([[6], [15]]);
    expect(
      sumToShape(
        Tensor.from([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [],
      ).item(),
    ).toBe(21);
  });

  test("rejects a shape that does not broadcast to x", () => {
    expect(() => sumToShape(Tensor.zeros([2, 3]), [4])).toThrow("sumToShape: cannot sum (2, 3) to (4,)");
    expect(() => sumToShape(Tensor.zeros([3]), [2, 3])).toThrow(TensorError);
    expect(() => sumToShape(Tensor.zeros([3]), [1.5])).toThrow(/sumToShape: shape must be an array of non-negative integers/);
  });
});

type Unary = (x: Tensor) => Tensor;
/** [op, reference, backward, reference backward, saves the output?, input range] */
const unaryOps: Record<string, [Unary, Unary, (s: Tensor, dy: Tensor) => Tensor, (s: Tensor, dy: Tensor) => Tensor, boolean, [number, number]]> = {
  exp: [exp, ref.exp, expBackward, ref.expBackward, true, [-20, 20]],
  log: [log, ref.log, logBackward, ref.logBackward, false, [0.01, 50]],
  sqrt: [sqrt, ref.sqrt, sqrtBackward, ref.sqrtBackward, true, [0.01, 50]],
  square: [square, ref.square, squareBackward, ref.squareBackward, false, [-5, 5]],
  tanh: [tanh, ref.tanh, tanhBackward, ref.tanhBackward, true, [-10, 10]],
  gelu: [gelu, ref.gelu, geluBackward, ref.geluBackward, false, [-8, 8]],
};

describe("unary ops", () => {
  test("agree with the float64 reference to a few float32 ulp at every size", () => {
    for (const [name, [op, reference, , , , [low, high]]] of Object.entries(unaryOps)) {
      let worst = 0;
      for (const n of [...kernelSizes, 1000]) {
        const x = randTensor([n], n, { low, high });
        const got = op(x);
        const want = reference(x.to("float64"));
        // 4 float32 ulp relative (2^-21), with an absolute floor for gelu's values near 0.
        assertClose(got, want, { rtol: 2 ** -21, atol: name === "gelu" ? 1e-7 : 1e-30, what: `${name} n=${n}` });
        worst = Math.max(worst, diff(got.data, want.data, 1e-7).maxRel);
      }
      console.log(`${name}: max relative error vs float64 reference ${worst.toExponential(2)}`);
    }
  });

  test("large and special arguments: exp over/underflow, tanh and gelu saturate without NaN", () => {
    const big = Tensor.from([-1000, -104, -100, -88, 0, 88, 88.7, 89, 1000, Infinity, -Infinity, NaN]);
    const e = Array.from(exp(big).data);
    expect(e[0]).toBe(0);
    expect(e[1]).toBe(0);
    expect(e[2]).toBe(Math.fround(Math.exp(-100))); // subnormal
    expect(e[4]).toBe(1);
    expect(Math.abs(e[6] - Math.exp(Math.fround(88.7))) / Math.exp(Math.fround(88.7))).toBeLessThan(3e-7);
    expect(e[7]).toBe(Infinity);
    expect(e[8]).toBe(Infinity);
    expect(e[9]).toBe(Infinity);
    expect(e[10]).toBe(0);
    expect(e[11]).toBeNaN();
    expect(Array.from(tanh(Tensor.from([-100, -20, 20, 100, Infinity])).data)).toEqual([-1, -1, 1, 1, 1]);
    const g = Array.from(gelu(Tensor.from([-1000, -100, 100, 1000])).data);
    expect(g.map((v) => v + 0)).toEqual([0, 0, 100, 1000]);
    const gg = Array.from(geluBackward(Tensor.from([-1000, -100, 100, 1000]), Tensor.ones([4])).data);
    expect(gg.every((v) => Number.isFinite(v))).toBe(true);
    expect(gg[3]).toBe(1);
    expect(Math.abs(gg[0])).toBeLessThan(1e-20);
  });

  test("geluSecondBackward (dy·gelu''): the kernel equals the reference at every size, and the reference central differences of geluBackward", () => {
    for (const n of [...kernelSizes, 1000]) {
      const x = randTensor([n], n, { low: -8, high: 8 });
      const dy = randTensor([n], n + 1);
      assertClose(geluSecondBackward(x, dy), ref.geluSecondBackward(x.to("float64"), dy.to("float64")), {
        rtol: 1e-5,
        atol: 1e-6,
        what: `geluSecondBackward n=${n}`,
      });
    }
    const x = randTensor([200], 7, { low: -6, high: 6, dtype: "float64" });
    const dy = randTensor([200], 8, { dtype: "float64" });
    const h = 1e-5;
    const shifted = (e: number) => ref.geluBackward(ref.addScalar(x, e), dy).data;
    const [plus, minus, got] = [shifted(h), shifted(-h), ref.geluSecondBackward(x, dy).data];
    for (let i = 0; i < 200; i++) expect(Math.abs(got[i] - (plus[i] - minus[i]) / (2 * h))).toBeLessThan(1e-8);
    expect(Array.from(geluSecondBackward(Tensor.from([-1000, 1000]), Tensor.ones([2])).data).every((v) => Math.abs(v) < 1e-20)).toBe(true);
  });

  test("gelu on the model's MLP activation (8192, 256) agrees with the reference", () => {
    const x = Tensor.randn([8192, 256], { seed: 4, std: 2 });
    const want = ref.gelu(x.to("float64"));
    assertClose(gelu(x), want, { rtol: 2 ** -21, atol: 1e-7, what: "gelu (8192, 256)" });
    const dy = randTensor([8192, 256], 5);
    const wantGrad = ref.geluBackward(x.to("float64"), dy.to("float64"));
    assertClose(geluBackward(x, dy), wantGrad, { rtol: 1e-6, atol: 1e-7, what: "geluBackward (8192, 256)" });
    console.log(
      `gelu (8192, 256): max rel ${relError(gelu(x), want).toExponential(2)}; backward ${relError(geluBackward(x, dy), wantGrad).toExponential(2)}`,
    );
  });

  test("backward kernels equal the reference at every size", () => {
    for (const [name, [op, , backward, refBackward, savesOutput, [low, high]]] of Object.entries(unaryOps)) {
      for (const n of kernelSizes) {
        const x = randTensor([2, n], n, { low, high });
        const saved = savesOutput ? op(x) : x;
        const dy = randTensor([2, n], n + 7);
        assertClose(backward(saved, dy), refBackward(saved.to("float64"), dy.to("float64")), {
          rtol: 1e-6,
          atol: 1e-7,
          what: `${name}Backward n=${n}`,
        });
      }
    }
  });

  test("every backward matches central finite differences of its forward (float64 reference)", () => {
    for (const [name, [op, , backward, , savesOutput, [low, high]]] of Object.entries(unaryOps)) {
      const x = randTensor([3, 7], 11, { dtype: "float64", low: Math.max(low, -4), high: Math.min(high, 4) });
      expect(backward(savesOutput ? op(x) : x, randomCotangent([3, 7], 12)).dtype).toBe("float64");
      const rule = (t: Tensor): [Tensor, (dy: Tensor) => Tensor] => [op(t), (dy) => backward(savesOutput ? op(t) : t, dy)];
      const [entry] = checkBackward(rule, x, { seed: 12, rtol: 1e-6, atol: 1e-8, what: `${name}Backward` }).entries;
      console.log(`${name}Backward vs finite differences: max relative error ${entry.maxRel.toExponential(2)}`);
    }
  });
});

describe("scalar ops and addInto", () => {
  test("addScalar, mulScalar, divScalar equal the reference", () => {
    for (const n of [...kernelSizes, 70000]) {
      const x = randTensor([n], n);
      assertClose(addScalar(x, 0.3), ref.addScalar(x, Math.fround(0.3)), { rtol: 0, atol: 0 });
      assertClose(mulScalar(x, -1.7), ref.mulScalar(x, Math.fround(-1.7)), { rtol: 0, atol: 0 });
      assertClose(divScalar(x, 3), ref.divScalar(x, 3), { rtol: 0, atol: 0 });
    }
    expect(Array.from(divScalar(Tensor.from([1, -1]), 0).data)).toEqual([Infinity, -Infinity]);
  });

  test("addInto accumulates in place", () => {
    for (const n of [...kernelSizes, 100000]) {
      const dst = randTensor([n], n);
      const src = randTensor([n], n + 1);
      const want = ref.add(dst, src);
      const same = addInto(dst, src);
      expect(same).toBe(dst);
      assertClose(dst, want, { rtol: 0, atol: 0, what: `addInto n=${n}` });
    }
    const d64 = Tensor.zeros([3], "float64");
    addInto(d64, Tensor.from([1, 2, 3]));
    expect(Array.from(d64.data)).toEqual([1, 2, 3]);
  });
});

describe("bad input", () => {
  test("errors name the op and the shapes", () => {
    expect(() => add(Tensor.zeros([2, 3]), Tensor.zeros([4]))).toThrow("add: cannot broadcast a (2, 3) with b (4,)");
    expect(() => div(Tensor.zeros([3, 2]), Tensor.zeros([3]))).toThrow("div: cannot broadcast a (3, 2) with b (3,)");
    expect(() => mul(Tensor.zeros([2]), [1, 2] as unknown as Tensor)).toThrow("mul: b must be a Tensor, got object");
    expect(() => expBackward(Tensor.zeros([2, 3]), Tensor.zeros([3, 2]))).toThrow("expBackward: y (2, 3) and dy (3, 2) differ in shape");
    expect(() => geluBackward(Tensor.zeros([6]), Tensor.zeros([2, 3]))).toThrow("geluBackward: x (6,) and dy (2, 3) differ in shape");
    expect(() => addInto(Tensor.zeros([2]), Tensor.zeros([3]))).toThrow("addInto: dst (2,) and src (3,) differ in shape");
    expect(() => addInto(Tensor.zeros([2]), Tensor.zeros([2], "float64"))).toThrow("addInto: cannot accumulate float64 src into float32 dst");
    expect(() => addScalar(Tensor.zeros([2]), "1" as unknown as number)).toThrow("addScalar: the scalar must be a number, got string");
  });
});
