// Where tensor memory comes from.
//
// A training step allocates the same few hundred buffers, of the same sizes, every step. Memory
// fresh from the OS costs a page fault per 4 KiB page on first touch (1–10 GB/s on a VM, against
// ~24 GB/s for memory already mapped), and memory left to the garbage collector is returned late,
// so peak RSS grows to several times what a step uses. Hence two ways of getting a buffer:
//
// - Inside `pool.run(f)` every tensor buffer comes from the MemoryPool's free lists (one list
//   per byte length; a step's sizes repeat exactly). When `f` returns or throws, every buffer
//   taken inside goes back to the pool and the tensors on it are invalidated: the ArrayBuffer
//   they view is detached (`ArrayBuffer.prototype.transfer` moves its memory to a new
//   ArrayBuffer object without copying), so reading such a tensor is a clear error, and a typed
//   array that a caller kept sees length 0 — never another tensor's data. Nothing depends on
//   when the garbage collector runs.
// - Outside a pool every tensor gets fresh memory that the garbage collector frees, as plain
//   JavaScript arrays do; buffers of 4 MiB and more are advised to use transparent huge pages,
//   which halves the cost of first touch (one fault per 2 MiB).
import { TensorError } from "./errors.ts";
import { bindKernels } from "./native/library.ts";
import { DualTensor, Tensor } from "./tensor.ts";

export type FloatArray = Float32Array | Float64Array;

const K = bindKernels({
  // ptr, byte length → 1 when advised, 0 when not supported here
  pb_memory_advise_huge_pages: { args: ["ptr", "u64"], returns: "u32" },
});

/** Buffers at least this large are advised to use transparent huge pages. */
const hugePageThreshold = 4 << 20;

/** A new zero-filled buffer (fresh pages from the OS: zero without a pass over them). */
function freshBuffer(bytes: number): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes);
  // Huge pages must be advised before the first touch.
  if (bytes >= hugePageThreshold) K.pb_memory_advise_huge_pages(new Uint8Array(buffer), bytes);
  return buffer;
}

interface Frame {
  pool: MemoryPool;
  /** Buffers taken inside this `run`, returned when it ends. */
  taken: ArrayBuffer[];
}

/** The innermost `run` in progress (allocations go to it), or undefined. */
const frames: Frame[] = [];

export interface MemoryPoolStats {
  /** Buffers the pool owns (free or in use). */
  buffers: number;
  /** Bytes the pool owns. */
  bytes: number;
  /** Requests served from a free list (no new memory). */
  reused: number;
  /** Requests that needed a new buffer. */
  fresh: number;
}

/**
 * A size-bucketed pool of tensor buffers for code that repeats, like a training step:
 *
 * ```ts
 * const pool = new MemoryPool();
 * for (const batch of batches) {
 *   const loss = pool.run(() => {                // every tensor made inside comes from the pool…
 *     const [loss, grads] = valueAndGrad(f)(params, batch);
 *     adamStep(params, grads, state, hyper);     // …params and Adam state were made outside: kept
 *     return loss;                               // a number: tensors made inside are gone after run
 *   });
 * }
 * ```
 *
 * From the second repetition on, a step allocates no new memory. Tensors created inside `run`
 * are valid until it returns; to keep one, copy it outside (`t.clone()` after `run` is too late:
 * return `t.toArray()`, or clone into a tensor created before `run`).
 */
export class MemoryPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private owned = 0;
  private ownedBytes = 0;
  private reusedCount = 0;
  private freshCount = 0;

  /** Runs `f`; tensors it creates take pool memory, which returns to the pool when `f` ends. */
  run<T>(f: () => T): T {
    const frame: Frame = { pool: this, taken: [] };
    frames.push(frame);
    try {
      return f();
    } finally {
      frames.splice(frames.lastIndexOf(frame), 1);
      for (const buffer of frame.taken) this.give(buffer);
    }
  }

  /** A buffer of exactly `bytes` bytes, its contents unspecified. */
  take(bytes: number): ArrayBuffer {
    const list = this.free.get(bytes);
    const reused = list?.pop();
    if (reused) {
      this.reusedCount++;
      return reused;
    }
    this.freshCount++;
    this.owned++;
    this.ownedBytes += bytes;
    return freshBuffer(bytes);
  }

  /** Detaches `buffer` (every view of it now has length 0) and keeps its memory for reuse. */
  give(buffer: ArrayBuffer): void {
    const bytes = buffer.byteLength;
    const moved = buffer.transfer();
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    list.push(moved);
  }

  stats(): MemoryPoolStats {
    return { buffers: this.owned, bytes: this.ownedBytes, reused: this.reusedCount, fresh: this.freshCount };
  }

  /** Lets the garbage collector have every free buffer (the pool starts again from empty). */
  clear(): void {
    for (const list of this.free.values()) {
      for (const b of list) this.ownedBytes -= b.byteLength;
      this.owned -= list.length;
    }
    this.free.clear();
  }
}

/**
 * `bytes` bytes of memory, its contents unspecified: from the innermost running pool (returned
 * when that run ends; every view of it then has length 0), or fresh and zero-filled.
 */
export function allocateBuffer(bytes: number): ArrayBuffer {
  const frame = frames[frames.length - 1];
  if (!frame || bytes === 0) return freshBuffer(bytes);
  const buffer = frame.pool.take(bytes);
  frame.taken.push(buffer);
  return buffer;
}

/**
 * Memory for `n` elements of a float32 or float64 tensor: from the innermost running pool, or
 * fresh. `zero`: filled with zeros (fresh memory from the OS already is).
 */
export function allocate(dtype: "float32" | "float64", n: number, zero: boolean): FloatArray {
  const pooled = inMemoryPool() && n > 0;
  const buffer = allocateBuffer(n * (dtype === "float64" ? 8 : 4));
  const array = dtype === "float64" ? new Float64Array(buffer) : new Float32Array(buffer);
  if (zero && pooled) array.fill(0);
  return array;
}

/**
 * Runs `f` as a nested scope of the running MemoryPool.run (outside one: just `f()`): the buffers
 * it takes go back to the pool when it returns, except those of the tensors and typed arrays in
 * its result (a Tensor, or arrays and plain objects of them), which stay with the enclosing run. The AD
 * runtime runs each function's pullback this way, so its intermediate cotangents are freed
 * as soon as it returns. When `f` throws, everything stays with the enclosing run.
 */
export function releasingTemporaries<T>(f: () => T): T {
  const parent = frames[frames.length - 1];
  if (!parent) return f();
  const frame: Frame = { pool: parent.pool, taken: [] };
  frames.push(frame);
  let result: T;
  try {
    result = f();
  } catch (e) {
    frames.splice(frames.lastIndexOf(frame), 1);
    for (const b of frame.taken) parent.taken.push(b);
    throw e;
  }
  frames.splice(frames.lastIndexOf(frame), 1);
  const kept = new Set<ArrayBufferLike>();
  collectBuffers(result, kept);
  for (const b of frame.taken) {
    if (kept.has(b)) parent.taken.push(b);
    else parent.pool.give(b);
  }
  return result;
}

function collectBuffers(x: unknown, into: Set<ArrayBufferLike>): void {
  if (x === null || typeof x !== "object") return;
  if (x instanceof DualTensor) {
    collectBuffers(x.primal, into);
    collectBuffers(x.tangent, into);
  } else if (x instanceof Tensor) into.add(x.data.buffer);
  else if (ArrayBuffer.isView(x))
    into.add(x.buffer); // an index array or mask in the result (attention's keep)
  else if (Array.isArray(x)) for (const v of x) collectBuffers(v, into);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collectBuffers(v, into);
}

/** True while a `MemoryPool.run` is in progress. */
export function inMemoryPool(): boolean {
  return frames.length > 0;
}

/** The error for a tensor read after its memory went back to a pool. */
export function releasedTensorError(shape: readonly number[], dtype: string): TensorError {
  return new TensorError(
    "Tensor",
    `this ${dtype} tensor of shape (${shape.join(", ")}) was created inside MemoryPool.run and read after that run ended; ` +
      `its memory has gone back to the pool. Copy what you need before the run returns (e.g. return t.toArray()).`,
  );
}
