// Embedding gather (take) and element pick, with their scatter-add backward passes.
// float32 runs on zig-kernels/src/embedding.zig; float64 (or PULLBACK_BACKEND=reference) on the reference.
import { useNative } from "../backend.ts";
import { check, fmtShape } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/embedding.ts";
import { sizeOf, Tensor, type Shape } from "../tensor.ts";
import { toIndices } from "./indices.ts";
import { withTangents } from "../dual.ts";

const K = bindKernels({
  pb_embedding_take: { args: ["ptr", "ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
  pb_embedding_take_backward: { args: ["ptr", "ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
  pb_embedding_pick: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
  pb_embedding_pick_backward: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "u64", "u64"], returns: "void" },
});

function indexShape(op: string, count: number, shape: Shape | undefined): number[] {
  const s = shape ? [...shape] : [count];
  check(
    s.every((d) => Number.isInteger(d) && d >= 0) && sizeOf(s) === count,
    op,
    () => `indices shape ${fmtShape(s)} needs ${sizeOf(s)} indices, got ${count}`,
  );
  return s;
}

/** Rows of `table` (V, C) at `indices`: shape (...shape, C), `shape` defaulting to (indices.length,). */
export const take = withTangents(function take(table: Tensor, indices: Int32Array | readonly number[], shape?: Shape): Tensor {
  const op = "take";
  check(table.ndim === 2, op, () => `table must be 2-D (V, C), got ${fmtShape(table.shape)}`);
  const [v, c] = table.shape;
  const idx = toIndices(op, indices, v, (x, i) => `index ${x} at position ${i} is out of range for vocab ${v}`);
  const s = indexShape(op, idx.length, shape);
  if (!useNative(table)) return ref.take(table, idx, s);
  const out = Tensor.zeros([...s, c]);
  if (out.size > 0) K.pb_embedding_take(table.data, idx, out.data, idx.length, v, c);
  return out;
});

/** Gradient of `take` for the table: dtable (vocab, C), row indices[i] += dy[i] (repeats accumulate). */
export const takeBackward = withTangents(function takeBackward(dy: Tensor, indices: Int32Array | readonly number[], vocab: number): Tensor {
  const op = "takeBackward";
  check(Number.isInteger(vocab) && vocab >= 0, op, () => `vocab must be a non-negative integer, got ${vocab}`);
  check(dy.ndim >= 1, op, () => `dy needs at least one axis, got a 0-d tensor`);
  const c = dy.shape[dy.ndim - 1];
  const k = indices?.length;
  check(
    dy.ndim >= 2 ? sizeOf(dy.shape.slice(0, -1)) === k : k === 1,
    op,
    () => `dy ${fmtShape(dy.shape)} has ${dy.ndim >= 2 ? sizeOf(dy.shape.slice(0, -1)) : 1} rows, but there are ${k} indices`,
  );
  const idx = toIndices(op, indices, vocab, (x, i) => `index ${x} at position ${i} is out of range for vocab ${vocab}`);
  if (!useNative(dy)) return ref.takeBackward(dy, idx, vocab);
  const dtable = Tensor.zeros([vocab, c]);
  if (idx.length > 0 && c > 0 && vocab > 0) K.pb_embedding_take_backward(dy.data, idx, dtable.data, idx.length, vocab, c);
  return dtable;
});

function pickIndices(
  op: string,
  what: string,
  shape: Shape,
  rows: Int32Array | readonly number[],
  cols: Int32Array | readonly number[],
): [Int32Array, Int32Array] {
  check(shape.length === 2, op, () => `${what} must be 2-D (N, M), got ${fmtShape(shape)}`);
  const [n, m] = shape;
  check(rows?.length === cols?.length, op, () => `rows has ${rows?.length} entries but cols has ${cols?.length}`);
  const r = toIndices(op, rows, n, (x, i) => `row ${x} at position ${i} is out of range for shape ${fmtShape(shape)}`);
  const c = toIndices(op, cols, m, (x, i) => `column ${x} at position ${i} is out of range for shape ${fmtShape(shape)}`);
  return [r, c];
}

/** out[i] = x[rows[i], cols[i]] for x (N, M): shape (K,). */
export const pick = withTangents(function pick(x: Tensor, rows: Int32Array | readonly number[], cols: Int32Array | readonly number[]): Tensor {
  const [r, c] = pickIndices("pick", "x", x.shape, rows, cols);
  if (!useNative(x)) return ref.pick(x, r, c);
  const out = Tensor.zeros([r.length]);
  if (r.length > 0) K.pb_embedding_pick(x.data, r, c, out.data, r.length, x.shape[0], x.shape[1]);
  return out;
});

/** Gradient of `pick`: dx of `shape` (N, M) with dx[rows[i], cols[i]] += dy[i]. */
export const pickBackward = withTangents(function pickBackward(
  dy: Tensor,
  rows: Int32Array | readonly number[],
  cols: Int32Array | readonly number[],
  shape: Shape,
): Tensor {
  const op = "pickBackward";
  check(
    Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0),
    op,
    () => `shape must be an array of non-negative integers, got ${String(shape)}`,
  );
  const [r, c] = pickIndices(op, "shape", shape, rows, cols);
  check(dy.ndim === 1 && dy.shape[0] === r.length, op, () => `dy ${fmtShape(dy.shape)} must be (${r.length},), one value per picked element`);
  if (!useNative(dy)) return ref.pickBackward(dy, r, c, shape);
  const dx = Tensor.zeros(shape);
  if (r.length > 0) K.pb_embedding_pick_backward(dy.data, r, c, dx.data, r.length, shape[0], shape[1]);
  return dx;
});
