// attentionRows: the fused attention kernel reading the heads from the (B·T, 3C) projection rows
// and writing (B·T, C) rows, against its reference (the (B, H, T, D) reference composed with
// reshape / permute / split) and against the (B, H, T, D) kernel on the same heads.
import { describe, expect, test } from "bun:test";
import {
  attention,
  attentionBackward,
  attentionForward,
  attentionRows,
  attentionRowsBackward,
  attentionRowsBackwardTangent,
  attentionRowsForward,
  attentionRowsForwardTangent,
  type AttentionOptions,
  concat,
  permute,
  poolSize,
  reshape,
  setThreads,
  splitAt,
  Tensor,
  TensorError,
} from "@pullback/tensor";
import { attentionRowsBackwardReference, attentionRowsReference } from "../src/reference/attention.ts";
import { kernelTable } from "../src/rules/index.ts";
import { assertClose, checkBackward, kernelSizes, randTensor } from "../src/testing.ts";

/** [B, H, T, D] */
type Dims = [number, number, number, number];

function inputs([B, H, T, D]: Dims, seed: number, dtype: "float32" | "float64" = "float32") {
  const qkv = randTensor([B * T, 3 * H * D], seed, { dtype, low: -2, high: 2 });
  const dout = randTensor([B * T, H * D], seed + 1, { dtype });
  return { qkv, dout };
}

/** Zig vs the reference: forward, then the backward from the Zig forward's out and lse. */
function compareWithReference(dims: Dims, dropout: number, seed: number) {
  const [B, H] = dims;
  const { qkv, dout } = inputs(dims, seed);
  const opts = { dropout, seed: 1000 + seed, offset: 3 * seed };
  const { out, lse } = attentionRowsForward(qkv, H, B, opts);
  const ref = attentionRowsReference(qkv, H, B, opts);
  const what = `${dims.join("×")} p=${dropout}`;
  expect(out.shape).toEqual([dims[0] * dims[2], H * dims[3]]);
  assertClose(out, ref.out, { rtol: 1e-4, atol: 2e-5, what: `out ${what}` });
  assertClose(lse, ref.lse, { rtol: 1e-5, atol: 2e-5, what: `lse ${what}` });
  const { keep } = attentionRowsForward(qkv, H, B, opts);
  const dqkv = attentionRowsBackward(dout, qkv, out, lse, H, B, opts, keep);
  expect(dqkv.shape).toEqual(qkv.shape);
  assertClose(dqkv, attentionRowsBackwardReference(dout, qkv, out, lse, H, B, opts), { rtol: 2e-4, atol: 5e-5, what: `dqkv ${what}` });
  // The mask saved by the forward gives the same gradient, bit for bit, as regenerating it.
  if (keep) expect(Array.from(attentionRowsBackward(dout, qkv, out, lse, H, B, opts).data)).toEqual(Array.from(dqkv.data));
  return keep;
}

/** The (B, H, T, D) heads q, k, v of qkv and the (B, H, T, D) form of rows (B·T, C), by the public shape ops. */
function heads(qkv: Tensor, [B, H, T, D]: Dims) {
  const stacked = permute(reshape(qkv, [B, T, 3, H, D]), [2, 0, 3, 1, 4]);
  const [q, kv] = splitAt(stacked, 0, 1);
  const [k, v] = splitAt(kv, 0, 1);
  return [q, k, v].map((x) => reshape(x, [B, H, T, D]));
}
const headsOf = (rows: Tensor, [B, H, T, D]: Dims) => permute(reshape(rows, [B, T, H, D]), [0, 2, 1, 3]);
const rowsOf = (x: Tensor, [B, H, T, D]: Dims) => reshape(permute(x, [0, 2, 1, 3]), [B * T, H * D]);

describe("attentionRows: Zig vs reference", () => {
  test("odd sizes (D, T, C not multiples of the vector width), with and without dropout", () => {
    const cases: [Dims, number][] = [
      [[1, 1, 1, 1], 0],
      [[2, 3, 7, 3], 0.25],
      [[3, 2, 17, 5], 0],
      [[2, 2, 33, 4], 0.3],
      [[1, 3, 40, 8], 0.1],
      [[2, 2, 65, 16], 0],
      [[1, 2, 129, 20], 0.1],
      [[2, 1, 70, 64], 0.5],
      [[1, 2, 300, 17], 0.2],
    ];
    cases.forEach(([dims, p], n) => compareWithReference(dims, p, n));
  }, 60_000);

  test("every T × small D (the rows-along-lanes kernels), with and without dropout, saved mask or not", () => {
    let n = 0,
      kept = 0;
    for (const T of kernelSizes) {
      for (const D of [1, 2, 4, 8, 16, 64]) {
        const dims: Dims = n % 3 === 0 ? [2, 2, T, D] : n % 3 === 1 ? [1, 3, T, D] : [3, 1, T, D];
        for (const p of [0, 0.2]) if (compareWithReference(dims, p, 100 + n) && p > 0) kept++;
        n++;
      }
    }
    expect(kept).toBeGreaterThan(0); // the lanes kernels (D ≤ 8) keep the dropout mask
  }, 120_000);

  test("the saved dropout mask: only with dropout, validated by the backward", () => {
    const dims: Dims = [2, 2, 20, 4];
    const { qkv, dout } = inputs(dims, 60);
    expect(attentionRowsForward(qkv, 2, 2).keep).toBeUndefined();
    const opts = { dropout: 0.3, seed: 4, offset: 2 };
    const { out, lse, keep } = attentionRowsForward(qkv, 2, 2, opts);
    expect(keep).toBeInstanceOf(Uint16Array);
    expect(() => attentionRowsBackward(dout, qkv, out, lse, 2, 2, opts, keep!.subarray(1))).toThrow(
      `attentionRowsBackward: keep must have ${keep!.length} words for qkv (40, 24) with 2 heads (attentionRowsForward's), got ${keep!.length - 1}`,
    );
    expect(() => attentionRowsBackward(dout, qkv, out, lse, 2, 2, {}, keep)).toThrow(
      "attentionRowsBackward: keep is the dropout mask of attentionRowsForward: it needs the same dropout > 0",
    );
  });

  test("equals the (B, H, T, D) kernel on the same heads bit for bit (same dropout mask)", () => {
    for (const [dims, p] of [
      [[2, 3, 45, 4], 0.2],
      [[3, 2, 37, 20], 0.1],
      [[2, 2, 50, 64], 0],
    ] as [Dims, number][]) {
      const [B, H] = dims;
      const { qkv, dout } = inputs(dims, 40);
      const opts = { dropout: p, seed: 9, offset: 4 };
      const [q, k, v] = heads(qkv, dims);
      const a = attentionForward(q, k, v, opts);
      const r = attentionRowsForward(qkv, H, B, opts);
      expect(Array.from(r.out.data)).toEqual(Array.from(rowsOf(a.out, dims).data));
      expect(Array.from(r.lse.data)).toEqual(Array.from(a.lse.data));
      const g = attentionBackward(headsOf(dout, dims), q, k, v, a.out, a.lse, opts);
      const stacked = concat(
        [g.dq, g.dk, g.dv].map((x) => reshape(x, [1, ...dims])),
        0,
      );
      const want = reshape(permute(stacked, [1, 3, 0, 2, 4]), qkv.shape);
      expect(Array.from(attentionRowsBackward(dout, qkv, r.out, r.lse, H, B, opts).data)).toEqual(Array.from(want.data));
    }
  });

  // [1, 3, 400, D]: few heads, the forward splits rows across tasks; B = 12: whole sequences per
  // task with 1 thread (B ≥ 8·threads), single heads with 2
  for (const dims of [
    [1, 3, 400, 64],
    [1, 3, 400, 4],
    [12, 3, 50, 4],
    [12, 2, 30, 20],
  ] as Dims[])
    test(`results do not depend on the number of threads (${dims.join("×")})`, () => {
      const [B, H] = dims;
      const { qkv, dout } = inputs(dims, 8);
      const opts = { dropout: 0.2, seed: 5, offset: 9 };
      const run = (threads: number) => {
        const size = poolSize();
        setThreads(threads);
        try {
          const { out, lse } = attentionRowsForward(qkv, H, B, opts);
          return [out, lse, attentionRowsBackward(dout, qkv, out, lse, H, B, opts)].map((t) => Array.from(t.data));
        } finally {
          setThreads(size);
        }
      };
      expect(run(2)).toEqual(run(1));
    }, 60_000);

  test("attentionRows (the value) is attentionRowsForward's out; float64 runs on the reference", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const { qkv, dout } = inputs([2, 2, 6, 3], 12, dtype);
      const opts = { dropout: 0.3, seed: 2, offset: 5 };
      const out = attentionRows(qkv, 2, 2, opts);
      expect(out.dtype).toBe(dtype);
      expect(Array.from(out.data)).toEqual(Array.from(attentionRowsForward(qkv, 2, 2, opts).out.data));
      const lse = attentionRowsForward(qkv, 2, 2, opts).lse;
      expect(attentionRowsBackward(dout, qkv, out, lse, 2, 2, opts).dtype).toBe(dtype);
    }
  });

  test("reference backward vs central finite differences (float64)", () => {
    const dims: Dims = [2, 2, 5, 3];
    const { qkv } = inputs(dims, 20, "float64");
    const opts = { dropout: 0.3, seed: 77, offset: 5 };
    const rule = (x: Tensor): [Tensor, (dy: Tensor) => Tensor] => {
      const { out, lse } = attentionRowsReference(x, 2, 2, opts);
      return [out, (dy) => attentionRowsBackwardReference(dy, x, out, lse, 2, 2, opts)];
    };
    checkBackward(rule, qkv, { seed: 21, rtol: 1e-6, atol: 1e-7 });
  });

  test("empty batch gives empty outputs without calling the kernel", () => {
    const z = Tensor.zeros([0, 12]);
    const { out, lse } = attentionRowsForward(z, 2, 3);
    expect(out.shape).toEqual([0, 4]);
    expect(lse.shape).toEqual([3, 2, 0]);
    expect(attentionRowsBackward(out, z, out, lse, 2, 3).shape).toEqual([0, 12]);
  });
});

describe("attentionRows: bad input", () => {
  const qkv = Tensor.zeros([6, 12]); // B·T = 6, C = 4
  test("shapes, dtypes and options are validated with TensorError", () => {
    expect(() => attentionRows(Tensor.zeros([2, 3, 12]), 2, 1)).toThrow(
      new TensorError("attentionRows", "qkv must be 2-D (B·T, 3C), got (2, 3, 12)"),
    );
    expect(() => attentionRows(Tensor.zeros([6, 10]), 2, 1)).toThrow("attentionRows: qkv must have 3C columns (q, k, v side by side), got (6, 10)");
    expect(() => attentionRows(qkv, 2, 4)).toThrow("attentionRows: qkv rows B·T must be divisible by batch 4, got (6, 12)");
    expect(() => attentionRows(qkv, 3, 2)).toThrow("attentionRows: width C = 4 must be divisible by heads 3, got qkv (6, 12)");
    expect(() => attentionRows(Tensor.zeros([2, 3 * 1026]), 2, 1)).toThrow(
      "attentionRows: head dimension D = C/heads must be in 1..512, got 513 (qkv (2, 3078), 2 heads)",
    );
    expect(() => attentionRows(qkv, 0, 1)).toThrow("attentionRows: heads must be a positive integer, got 0");
    expect(() => attentionRows(qkv, 2, 1.5)).toThrow("attentionRows: batch must be a positive integer, got 1.5");
    expect(() => attentionRows(qkv, 2, 2, { dropout: 1 })).toThrow("attentionRows: dropout must be a number in [0, 1), got 1");
    expect(() => attentionRowsForward(qkv, 2, 4)).toThrow(TensorError);
    const out = Tensor.zeros([6, 4]);
    const lse = Tensor.zeros([2, 2, 3]);
    expect(() => attentionRowsBackward(Tensor.zeros([6, 5]), qkv, out, lse, 2, 2)).toThrow(
      "attentionRowsBackward: dout must have shape (6, 4) for qkv (6, 12) with 2 heads, got (6, 5)",
    );
    expect(() => attentionRowsBackward(out, qkv, out, Tensor.zeros([2, 3, 2]), 2, 2)).toThrow(
      "attentionRowsBackward: lse must have shape (2, 2, 3) for qkv (6, 12) with 2 heads, got (2, 3, 2)",
    );
    expect(() => attentionRowsBackward(out, qkv, Tensor.zeros([6, 4], "float64"), lse, 2, 2)).toThrow(
      "attentionRowsBackward: dtypes differ: qkv float32, dout float32, out float64, lse float32",
    );
    expect(() => attentionRowsBackward(out, qkv, out, lse, 2, 2, { seed: -1 })).toThrow(
      "attentionRowsBackward: seed must be a non-negative integer, got -1",
    );
  });
});

describe("attentionRowsForwardTangent / attentionRowsBackwardTangent (the forward rules of the rows kernels, second order)", () => {
  // The reference: the same forward rules in float64, composed from ops (rules/attention.ts).
  const cases: [number, number, number, number, AttentionOptions][] = [
    [1, 1, 4, 2, {}],
    [2, 2, 5, 3, {}],
    [2, 3, 16, 4, { dropout: 0.25, seed: 7, offset: 3 }],
    [1, 2, 33, 8, { dropout: 0.1, seed: 1, offset: 0 }],
  ];
  const f64 = (t: Tensor) => t.to("float64");
  for (const [B, H, T, D, options] of cases) {
    test(`B=${B} H=${H} T=${T} D=${D}${options.dropout ? ` dropout ${options.dropout}` : ""}: the kernels equal the composed float64 rules`, () => {
      const C = H * D;
      const r = (shape: number[], seed: number) => randTensor(shape, seed);
      const [qkv, tqkv] = [r([B * T, 3 * C], 1), r([B * T, 3 * C], 2)];
      const { out, lse } = attentionRowsForward(qkv, H, B, options);
      const fwd = attentionRowsForwardTangent(qkv, tqkv, lse, H, B, options);
      const [, want] = kernelTable.attentionRowsForward.frule([f64(qkv), H, B, options], [f64(tqkv)]) as [unknown, { out: Tensor; lse: Tensor }];
      assertClose(fwd.out, want.out, { rtol: 1e-4, atol: 1e-5, what: "forward tangent: out" });
      assertClose(fwd.lse, want.lse, { rtol: 1e-4, atol: 1e-5, what: "forward tangent: lse" });
      const [dout, tdout, tout, tlse] = [r([B * T, C], 3), r([B * T, C], 4), r([B * T, C], 5), r([B, H, T], 6)];
      const got = attentionRowsBackwardTangent(dout, qkv, out, lse, tdout, tqkv, tout, tlse, H, B, options);
      const [, wantBack] = kernelTable.attentionRowsBackward.frule(
        [f64(dout), f64(qkv), f64(out), f64(lse), H, B, options],
        [f64(tdout), f64(tqkv), f64(tout), f64(tlse)],
      ) as [unknown, Tensor];
      assertClose(got, wantBack, { rtol: 1e-4, atol: 1e-5, what: "backward tangent: dqkv" });
    });
  }
  test("float64 or a wrong shape is an error naming the op", () => {
    const qkv = randTensor([4, 6], 1);
    const { lse } = attentionRowsForward(qkv, 1, 1);
    expect(() => attentionRowsForwardTangent(qkv.to("float64"), qkv.to("float64"), lse, 1, 1)).toThrow(/attentionRowsForwardTangent: float32 only/);
    expect(() => attentionRowsForwardTangent(qkv, randTensor([4, 3], 2), lse, 1, 1)).toThrow(
      /attentionRowsForwardTangent: tqkv \(4, 3\) must have shape \(4, 6\)/,
    );
  });
});
