// MemoryPool: buffers come back for reuse when a run ends, and a tensor read after that is a clear
// error — never another tensor's data.
import { expect, test } from "bun:test";
import { add, inMemoryPool, matmul, MemoryPool, Tensor, TensorError } from "@pullback/tensor";
import { randTensor } from "@pullback/tensor/testing";

test("a repeated run reuses every buffer: no new memory from the second run on", () => {
  const pool = new MemoryPool();
  const a = randTensor([33, 17], 1),
    b = randTensor([17, 9], 2);
  const step = () => Array.from(add(matmul(a, b), matmul(a, b)).data).reduce((s, x) => s + x, 0);
  const first = pool.run(step);
  const afterFirst = pool.stats();
  expect(afterFirst.fresh).toBe(3);
  for (let i = 0; i < 3; i++) expect(pool.run(step)).toBe(first);
  expect(pool.stats()).toEqual({ ...afterFirst, reused: 9 });
});

test("a tensor read after its run ended is an error naming it; a kept typed array has length 0", () => {
  const pool = new MemoryPool();
  let kept!: Tensor;
  let keptData!: Float32Array;
  pool.run(() => {
    kept = Tensor.full([4, 5], 7);
    keptData = kept.data as Float32Array;
    expect(kept.data[3]).toBe(7);
  });
  expect(() => kept.data).toThrow(TensorError);
  expect(() => kept.data).toThrow(/float32 tensor of shape \(4, 5\) was created inside MemoryPool.run and read after that run ended/);
  expect(() => kept.toArray()).toThrow(/MemoryPool.run/);
  expect(() => add(kept, kept)).toThrow(/MemoryPool.run/);
  expect(keptData.length).toBe(0);
  // The memory now belongs to a new tensor of the same size; the old tensor still cannot see it.
  pool.run(() => {
    const other = Tensor.full([20], 3);
    expect(other.data.every((x) => x === 3)).toBe(true);
    expect(() => kept.data).toThrow(/MemoryPool.run/);
    expect(keptData.length).toBe(0);
  });
});

test("zeros from a reused buffer are zeros; tensors made outside a run are untouched by it", () => {
  const pool = new MemoryPool();
  const outside = Tensor.full([8], 2);
  pool.run(() => Tensor.full([8], 9));
  pool.run(() => {
    expect(Array.from(Tensor.zeros([8]).data)).toEqual(new Array(8).fill(0));
    add(outside, outside);
  });
  expect(pool.stats().reused).toBe(1);
  expect(Array.from(outside.data)).toEqual(new Array(8).fill(2));
});

test("a run that throws still gives its memory back; nested runs release their own tensors", () => {
  const pool = new MemoryPool();
  let inner!: Tensor, outer!: Tensor;
  expect(() =>
    pool.run(() => {
      outer = Tensor.ones([3]);
      pool.run(() => (inner = Tensor.ones([5])));
      expect(() => inner.data).toThrow(/MemoryPool.run/);
      expect(outer.data[0]).toBe(1);
      throw new Error("boom");
    }),
  ).toThrow("boom");
  expect(() => outer.data).toThrow(/MemoryPool.run/);
  expect(inMemoryPool()).toBe(false);
  expect(pool.stats()).toMatchObject({ buffers: 2, fresh: 2 });
});

test("float64 tensors are pooled too", () => {
  const pool = new MemoryPool();
  const x = pool.run(() => Array.from(Tensor.full([6], 1.5, "float64").data).reduce((s, v) => s + v, 0));
  expect(x).toBe(9);
  pool.run(() => expect(Tensor.zeros([6], "float64").data.every((v) => v === 0)).toBe(true));
  expect(pool.stats().reused).toBe(1);
});

test("a tensor's shape and data cannot be changed after construction (no kernel can be made to read out of bounds)", () => {
  const a = randTensor([8, 4], 3),
    b = randTensor([4, 2], 4);
  expect(() => {
    (a.shape as number[])[0] = 1e7;
  }).toThrow(TypeError);
  expect(() => (a.shape as number[]).push(1)).toThrow(TypeError);
  expect(() => {
    (a as unknown as { data: Float32Array }).data = new Float32Array(1); // no setter: the data cannot be swapped
  }).toThrow(TypeError);
  expect(a.shape).toEqual([8, 4]);
  expect(a.data.length).toBe(32);
  expect(matmul(a, b).shape).toEqual([8, 2]);
});
