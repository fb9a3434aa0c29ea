// Data parallelism and gradient accumulation, as the training loop sees them. A step's global
// batch of B sequences is cut into `ranks × accumulate` parts of consecutive rows (sizes differ by
// at most one): rank r computes the gradients of parts r·N … r·N + N − 1 one after the other (N =
// accumulate), each weighted by its share of the batch (rows / B), and sums them into one flat
// float32 buffer; the ranks then sum their buffers (MPI_Allreduce). Since every model loss is the
// mean over the batch's B·T tokens, and every part has T tokens per row,
//
//     mean loss of the batch = Σ_parts (rows_p / B) · mean loss of part p,
//
// and the same for its gradient: the summed buffer is the full-batch gradient, on every rank, and
// every rank makes the same Adam update. One process with N = 1 is the one-part case (its
// gradients are used as the model returns them, with no copy).
import { Tensor } from "@pullback/tensor";
import type { Batch, ParamTree } from "@pullback/gpt2";
import { namedTensors, mapTree } from "./params.ts";

/** The processes that train together: this one's rank among `size`, and a sum over all of them. */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** Sums `buffer` element-wise over every rank, in place (every rank gets the sum). */
  allreduceSum(buffer: Float32Array | Float64Array): void;
  /** A description for the first line of the output ("Open MPI v4.1.4 (libmpi.so.40)"). */
  readonly implementation?: string;
}

/** One process: rank 0 of 1; the sum over one rank is the buffer itself. */
export const singleProcess: Communicator = { rank: 0, size: 1, allreduceSum() {} };

/** Rows [start, end) of part `k` of a batch of `batch` rows cut into `parts` parts. */
export function partRows(batch: number, parts: number, k: number): [number, number] {
  return [Math.floor((k * batch) / parts), Math.floor(((k + 1) * batch) / parts)];
}

/** Rows [start, end) of `b` as a batch of its own. */
export function sliceBatch(b: Batch, start: number, end: number): Batch {
  const T = b.context;
  return { tokens: b.tokens.slice(start * T, end * T), targets: b.targets.slice(start * T, end * T), batch: end - start, context: T };
}

/**
 * The dropout seed of part `k` of a step whose seed is `seed`: part 0 keeps it (so one process
 * without accumulation draws exactly the masks it always did), the others get distinct seeds.
 */
export function partSeed(seed: number, k: number): number {
  if (k === 0) return seed;
  let h = (seed ^ Math.imul(k, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Gradient buffers shaped like the parameters, all views of one flat float32 array (the allreduce buffer). */
export interface FlatGradients<P extends ParamTree = ParamTree> {
  flat: Float32Array;
  tree: P;
}

/** Zeroed gradient buffers for `params` (call outside MemoryPool.run: they live for the whole run). */
export function flatGradients<P extends ParamTree>(params: P): FlatGradients<P> {
  const named = namedTensors(params);
  for (const [name, t] of named) {
    if (t.dtype !== "float32") throw new Error(`gradient accumulation: parameter "${name}" is ${t.dtype}; only float32 parameters are supported`);
  }
  const flat = new Float32Array(named.reduce((n, [, t]) => n + t.size, 0));
  let offset = 0;
  const tree = mapTree(params, (t) => {
    const view = new Tensor(flat.subarray(offset, offset + t.size), t.shape);
    offset += t.size;
    return view;
  });
  return { flat, tree };
}

/** dst += weight · src over every tensor (same structure); `first`: dst = weight · src. */
export function addScaled(dst: ParamTree, src: ParamTree, weight: number, first = false): void {
  const ds = namedTensors(dst),
    ss = namedTensors(src);
  if (ds.length !== ss.length) throw new Error(`gradient accumulation: ${ss.length} gradients for ${ds.length} buffers`);
  for (let i = 0; i < ds.length; i++) {
    const [name, d] = ds[i],
      [sname, s] = ss[i];
    if (name !== sname || d.size !== s.size) throw new Error(`gradient accumulation: gradient "${sname}" does not match "${name}"`);
    const a = d.data,
      b = s.data;
    if (first) for (let j = 0; j < a.length; j++) a[j] = weight * b[j];
    else for (let j = 0; j < a.length; j++) a[j] += weight * b[j];
  }
}
