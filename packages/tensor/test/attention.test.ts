import { describe, expect, test } from "bun:test";
import {
  attention,
  attentionBackward,
  attentionForward,
  attentionDropoutFactors as dropoutFactorsKernel,
  poolSize,
  setThreads,
  Tensor,
  TensorError,
} from "@pullback/tensor";
import { attentionBackwardReference, attentionDropoutFactors, attentionKeepProbability, attentionReference } from "../src/reference/attention.ts";
import { assertClose, checkBackward, diff, kernelSizes, randomCotangent, randTensor } from "../src/testing.ts";

type Shape4 = [number, number, number, number];

function inputs(shape: Shape4, seed: number, dtype: "float32" | "float64" = "float32") {
  // q scaled up so the softmax is not near-uniform.
  const q = randTensor(shape, seed, { dtype, low: -2, high: 2 });
  const k = randTensor(shape, seed + 1, { dtype });
  const v = randTensor(shape, seed + 2, { dtype });
  const dout = randTensor(shape, seed + 3, { dtype });
  return { q, k, v, dout };
}

/** The elements of heads `heads` (flat b·H + h) of a tensor whose last `inner` elements per head are contiguous. */
function headSlice(t: Tensor, heads: readonly number[], inner: number): Float64Array {
  const out = new Float64Array(heads.length * inner);
  heads.forEach((bh, n) => out.set(t.data.subarray(bh * inner, (bh + 1) * inner), n * inner));
  return out;
}

/** Zig vs the reference: forward, then the backward from the Zig forward's out and lse. */
function compareWithReference(shape: Shape4, dropout: number, seed: number, heads?: number[]) {
  const [, , T, D] = shape;
  const { q, k, v, dout } = inputs(shape, seed);
  const opts = { dropout, seed: 1000 + seed, offset: 7 * seed };
  const { out, lse } = attentionForward(q, k, v, opts);
  const ref = attentionReference(q, k, v, { ...opts, heads });
  const g = attentionBackward(dout, q, k, v, out, lse, opts);
  const gref = attentionBackwardReference(dout, q, k, v, out, lse, { ...opts, heads });
  const what = `${shape.join("×")} p=${dropout}`;
  const pick = (t: Tensor, inner: number) => (heads ? headSlice(t, heads, inner) : t.data);
  assertClose(pick(out, T * D), pick(ref.out, T * D), { rtol: 1e-4, atol: 2e-5, what: `out ${what}` });
  assertClose(pick(lse, T), pick(ref.lse, T), { rtol: 1e-5, atol: 2e-5, what: `lse ${what}` });
  for (const name of ["dq", "dk", "dv"] as const) {
    assertClose(pick(g[name], T * D), pick(gref[name], T * D), { rtol: 2e-4, atol: 5e-5, what: `${name} ${what}` });
  }
  return { out, lse, ...g };
}

describe("attention: Zig vs reference", () => {
  const Ts = kernelSizes;
  const Ds = [1, 3, 4, 16, 64];
  test("every T × D, with and without dropout", () => {
    let n = 0;
    for (const T of Ts) {
      for (const D of Ds) {
        const shape: Shape4 = n % 3 === 0 ? [2, 1, T, D] : n % 3 === 1 ? [1, 2, T, D] : [1, 1, T, D];
        compareWithReference(shape, n % 2 === 0 ? 0 : 0.25, n);
        n++;
      }
    }
    expect(n).toBe(Ts.length * Ds.length);
  }, 60_000);

  test("odd head dimensions and larger B·H (row-split and multi-task paths)", () => {
    compareWithReference([3, 5, 9, 5], 0.1, 1);
    compareWithReference([1, 1, 300, 17], 0, 2); // D ≥ 16, not a multiple of 16
    compareWithReference([1, 1, 257, 128], 0.3, 3);
    compareWithReference([2, 3, 33, 2], 0.9, 4); // heavy dropout
    compareWithReference([2, 2, 40, 8], 0.2, 5); // D = 8: rows-along-lanes forward
  }, 60_000);

  test("dropout: same (seed, offset) reproduces, another seed or offset changes the output", () => {
    const { q, k, v } = inputs([1, 2, 33, 4], 5);
    const a = attention(q, k, v, { dropout: 0.5, seed: 3, offset: 1 });
    const b = attention(q, k, v, { dropout: 0.5, seed: 3, offset: 1 });
    const c = attention(q, k, v, { dropout: 0.5, seed: 4, offset: 1 });
    const d = attention(q, k, v, { dropout: 0.5, seed: 3, offset: 2 });
    const none = attention(q, k, v);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(diff(c.data, a.data).maxAbs).toBeGreaterThan(1e-3);
    expect(diff(d.data, a.data).maxAbs).toBeGreaterThan(1e-3);
    expect(diff(none.data, a.data).maxAbs).toBeGreaterThan(1e-3);
    // lse is the statistic of the undropped softmax: dropout does not change it.
    expect(Array.from(attentionForward(q, k, v, { dropout: 0.5, seed: 3, offset: 1 }).lse.data)).toEqual(
      Array.from(attentionForward(q, k, v).lse.data),
    );
  });

  test("dropout mask: T = 1 keeps the single probability 1 iff Philox says so", () => {
    // One query, one key: out = m/(1−p) · v exactly, so the mask of every head is visible.
    const shape: Shape4 = [4, 8, 1, 2];
    const { q, k, v } = inputs(shape, 6);
    const p = 0.5;
    const out = attention(q, k, v, { dropout: p, seed: 11, offset: 3 });
    const ref = attentionReference(q, k, v, { dropout: p, seed: 11, offset: 3 }).out;
    let dropped = 0;
    for (let bh = 0; bh < 32; bh++) {
      const kept = out.data[bh * 2] !== 0;
      if (!kept) dropped++;
      expect(out.data[bh * 2]).toBeCloseTo(kept ? v.data[bh * 2] / (1 - p) : 0, 5);
      expect(ref.data[bh * 2] !== 0).toBe(kept);
    }
    expect(dropped).toBeGreaterThan(4);
    expect(dropped).toBeLessThan(28);
  });

  test.each([64, 4])(
    "results do not depend on the number of threads (D = %d)",
    (D) => {
      const shape: Shape4 = [1, 3, 400, D]; // few heads: the forward splits rows across tasks
      const { q, k, v, dout } = inputs(shape, 8);
      const opts = { dropout: 0.2, seed: 5, offset: 9 };
      const size = poolSize();
      setThreads(1);
      const a = attentionForward(q, k, v, opts);
      const ga = attentionBackward(dout, q, k, v, a.out, a.lse, opts);
      setThreads(size);
      const b = attentionForward(q, k, v, opts);
      const gb = attentionBackward(dout, q, k, v, b.out, b.lse, opts);
      expect(Array.from(b.out.data)).toEqual(Array.from(a.out.data));
      expect(Array.from(b.lse.data)).toEqual(Array.from(a.lse.data));
      expect(Array.from(gb.dq.data)).toEqual(Array.from(ga.dq.data));
      expect(Array.from(gb.dk.data)).toEqual(Array.from(ga.dk.data));
    },
    60_000,
  );

  test("seed preset shape (B=64, H=16, T=128, D=4, dropout 0.2): sampled heads vs reference", () => {
    compareWithReference([64, 16, 128, 4], 0.2, 9, [0, 1, 17, 500, 777, 1023]);
  }, 60_000);

  test("long sequence, several key tiles (T=520, D=64, dropout 0.1): one head vs reference", () => {
    // (gpt2's T=1024 would take ~10 s in the TypeScript reference; the Zig unit tests run T=1100.)
    compareWithReference([1, 2, 520, 64], 0.1, 10, [1]);
  }, 60_000);

  test("float64 tensors run on the reference and return float64", () => {
    const { q, k, v, dout } = inputs([1, 2, 5, 3], 11, "float64");
    const { out, lse } = attentionForward(q, k, v);
    expect(out.dtype).toBe("float64");
    expect(lse.dtype).toBe("float64");
    expect(attentionBackward(dout, q, k, v, out, lse).dq.dtype).toBe("float64");
  });

  test("attention (the value) is attentionForward's out, float32 and float64, with and without dropout", () => {
    for (const dtype of ["float32", "float64"] as const) {
      for (const opts of [{}, { dropout: 0.3, seed: 2, offset: 5 }]) {
        const { q, k, v } = inputs([2, 1, 6, 3], 12, dtype);
        const out = attention(q, k, v, opts);
        expect(out.dtype).toBe(dtype);
        expect(out.shape).toEqual([2, 1, 6, 3]);
        expect(Array.from(out.data)).toEqual(Array.from(attentionForward(q, k, v, opts).out.data));
        assertClose(out, attentionReference(q, k, v, opts).out, { rtol: 1e-4, atol: 2e-5, what: `attention ${dtype}` });
      }
    }
  });

  test("a tiny hand-computed case: T = 2, D = 1", () => {
    // Row 0 sees only key 0: out_0 = v_0. Row 1: s = (q·k_0, q·k_1) with scale 1.
    const q = Tensor.from([1, 2], [1, 1, 2, 1]);
    const k = Tensor.from([0.5, -1], [1, 1, 2, 1]);
    const v = Tensor.from([3, 5], [1, 1, 2, 1]);
    const { out, lse } = attentionForward(q, k, v);
    const s0 = 2 * 0.5,
      s1 = 2 * -1;
    const l1 = Math.log(Math.exp(s0) + Math.exp(s1));
    expect(out.data[0]).toBeCloseTo(3, 6);
    expect(out.data[1]).toBeCloseTo(3 * Math.exp(s0 - l1) + 5 * Math.exp(s1 - l1), 5);
    expect(lse.data[0]).toBeCloseTo(0.5, 6);
    expect(lse.data[1]).toBeCloseTo(l1, 5);
  });

  test("empty batch gives empty outputs without calling the kernel", () => {
    const z = Tensor.zeros([0, 2, 3, 4]);
    const { out, lse } = attentionForward(z, z, z);
    expect(out.shape).toEqual([0, 2, 3, 4]);
    expect(lse.shape).toEqual([0, 2, 3]);
    expect(attentionBackward(z, z, z, z, out, lse).dk.shape).toEqual([0, 2, 3, 4]);
  });
});

describe("attention backward vs central finite differences (float64 reference)", () => {
  for (const [shape, dropout] of [
    [[1, 2, 5, 3], 0],
    [[2, 1, 6, 2], 0.3],
    [[1, 1, 9, 4], 0.5],
  ] as [Shape4, number][]) {
    test(`${shape.join("×")} dropout ${dropout}`, () => {
      const { q, k, v } = inputs(shape, 20, "float64");
      const opts = { dropout, seed: 77, offset: 5 };
      const rule = ([a, b, c]: Tensor[]): [Tensor, (dy: Tensor) => Tensor[]] => {
        const { out, lse } = attentionReference(a, b, c, opts);
        return [
          out,
          (dy) => {
            const g = attentionBackwardReference(dy, a, b, c, out, lse, opts);
            return [g.dq, g.dk, g.dv];
          },
        ];
      };
      const worst = checkBackward(rule, [q, k, v], { seed: 21, rtol: 1e-6, atol: 1e-7 }).entries.map((e) => e.maxRel);
      console.log(
        `attention backward ${shape.join("×")} p=${dropout}: max rel error vs finite differences dq ${worst[0].toExponential(2)}, dk ${worst[1].toExponential(2)}, dv ${worst[2].toExponential(2)}`,
      );
      // The public ops on float64 tensors dispatch to the same reference.
      const cot = randomCotangent(shape, 21);
      const { out, lse } = attentionReference(q, k, v, opts);
      const g = attentionBackwardReference(cot, q, k, v, out, lse, opts);
      const viaOp = attentionBackward(cot, q, k, v, out, lse, opts);
      assertClose(viaOp.dq, g.dq, { rtol: 0, atol: 0, what: "dq via op" });
    });
  }

  test("Zig backward vs finite differences of the Zig forward (float32, same dropout mask)", () => {
    // Central differences in float32 are coarse (eps 1e-2); they check that the Zig forward and
    // backward use the same mask and statistic, independently of the reference.
    const shape: Shape4 = [1, 2, 7, 4];
    const { q, k, v } = inputs(shape, 30);
    const opts = { dropout: 0.4, seed: 123, offset: 4 };
    const rule = ([a, b, c]: Tensor[]): [Tensor, (dy: Tensor) => Tensor[]] => {
      const { out, lse } = attentionForward(a, b, c, opts);
      return [
        out,
        (dy) => {
          const g = attentionBackward(dy, a, b, c, out, lse, opts);
          return [g.dq, g.dk, g.dv];
        },
      ];
    };
    const report = checkBackward(rule, [q, k, v], { dtype: "float32", seed: 31, eps: 1e-2, rtol: 5e-3, atol: 2e-3 });
    const worst = report.entries.map((e) => e.maxAbs);
    console.log(`Zig attention backward (float32) vs finite differences of the Zig forward: max abs error ${Math.max(...worst).toExponential(2)}`);
  });
});

describe("attention: bad input", () => {
  const q = Tensor.zeros([1, 2, 3, 4]);
  test("shapes, dtypes and options are validated with TensorError", () => {
    expect(() => attention(Tensor.zeros([2, 3, 4]), q, q)).toThrow(new TensorError("attention", "q must be 4-D (B, H, T, D), got (2, 3, 4)"));
    expect(() => attention(q, Tensor.zeros([1, 2, 3, 5]), q)).toThrow(
      "attention: q, k, v must have equal shapes, got q (1, 2, 3, 4), k (1, 2, 3, 5), v (1, 2, 3, 4)",
    );
    expect(() => attention(q, q, Tensor.zeros([1, 2, 3, 4], "float64"))).toThrow("attention: dtypes differ: q float32, k float32, v float64");
    expect(() => attention(Tensor.zeros([1, 1, 2, 0]), Tensor.zeros([1, 1, 2, 0]), Tensor.zeros([1, 1, 2, 0]))).toThrow(
      "attention: head dimension D must be in 1..512, got (1, 1, 2, 0)",
    );
    expect(() => attention(q, q, q, { dropout: 1 })).toThrow("attention: dropout must be a number in [0, 1), got 1");
    expect(() => attention(q, q, q, { dropout: -0.1 })).toThrow(TensorError);
    expect(() => attention(q, q, q, { dropout: Number.NaN })).toThrow(TensorError);
    expect(() => attention(q, q, q, { seed: 1.5 })).toThrow("attention: seed must be a non-negative integer, got 1.5");
    expect(() => attention(q, q, q, { offset: -1 })).toThrow("attention: offset must be a non-negative integer, got -1");
    expect(() => attentionForward(q, Tensor.zeros([1, 2, 3, 5]), q)).toThrow("attentionForward: q, k, v must have equal shapes");
    const lse = Tensor.zeros([1, 2, 3]);
    expect(() => attentionBackward(q, q, q, q, q, Tensor.zeros([1, 2, 4]))).toThrow(
      "attentionBackward: lse must have shape (1, 2, 3) for q (1, 2, 3, 4), got (1, 2, 4)",
    );
    expect(() => attentionBackward(Tensor.zeros([1, 2, 3, 5]), q, q, q, q, lse)).toThrow(
      "attentionBackward: q, k, v, dout, out must have equal shapes",
    );
    expect(() => attentionBackward(q, q, q, q, q, lse, { dropout: 2 })).toThrow("attentionBackward: dropout must be a number in [0, 1), got 2");
  });
});

test("attention dropout is unbiased: the factors m / P(keep) average 1 (8-bit decisions, p not a multiple of 1/256)", () => {
  for (const p of [0.2, 0.1, 0.5]) {
    const f = attentionDropoutFactors(16, 256, p, 11, 3, "float64"); // 1,048,576 pairs
    let sum = 0,
      kept = 0;
    for (let i = 0; i < f.size; i++) {
      sum += f.data[i];
      if (f.data[i] > 0) kept++;
    }
    const mean = sum / f.size;
    // std of the mean ≈ sqrt((1 − q)/q / n) ≈ 5e-4 at p = 0.2; the 1/(1 − p) scale would be 0.37 % low
    expect(Math.abs(mean - 1)).toBeLessThan(2e-3);
    expect(Math.abs(kept / f.size - attentionKeepProbability(p))).toBeLessThan(2e-3);
    expect(attentionKeepProbability(p)).toBe(1 - Math.ceil(256 * p) / 256);
  }
});

describe("attentionDropoutFactors (the factors the kernels apply, for the forward rules of attention)", () => {
  test("the kernel equals the reference bit for bit, across block boundaries, seeds, offsets and rates", () => {
    for (const [BH, T, p, seed, offset] of [
      [1, 1, 0.1, 0, 0],
      [2, 5, 0.2, 7, 3],
      [3, 16, 0.5, 123, 99],
      [4, 33, 0.01, 2 ** 40 + 5, 2 ** 33 + 1],
      [1, 64, 0.999, 1, 2],
    ] as const) {
      const got = dropoutFactorsKernel(BH, T, { dropout: p, seed, offset });
      const want = attentionDropoutFactors(BH, T, p, seed, offset);
      expect(got.shape).toEqual([BH, T, T]);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
  });
  test("bad options name the op", () => {
    expect(() => dropoutFactorsKernel(2, 3, { dropout: 1 })).toThrow(/attentionDropoutFactors: dropout must be a number in \[0, 1\)/);
    expect(() => dropoutFactorsKernel(-1, 3, { dropout: 0.1 })).toThrow(/attentionDropoutFactors: BH and T must be non-negative integers/);
  });
});
