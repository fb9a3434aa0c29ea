// Tensor: a shape plus contiguous row-major data. float32 is the working type and runs on the
// Zig kernels; float64 exists for finite-difference checks and runs on the TypeScript reference.
import { check, fmtShape, TensorError } from "./errors.ts";
import { allocate, releasedTensorError } from "./memory.ts";
import { Rng } from "./rng.ts";

export type DType = "float32" | "float64";
export type Shape = readonly number[];
export type TensorData = Float32Array | Float64Array;
/** Nested arrays of numbers, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = number | NestedArray[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * `shape`, validated and frozen: a frozen array is taken as it is (another tensor's shape, most
 * often), any other is copied and the copy frozen (freezing is the costly part of making a tensor).
 */
function checkShape(op: string, shape: Shape): number[] {
  check(Array.isArray(shape), op, () => `shape must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    check(Number.isInteger(d) && d >= 0, op, () => `shape ${fmtShape(shape)} has a dimension that is not a non-negative integer`);
  }
  return (Object.isFrozen(shape) ? shape : Object.freeze([...shape])) as number[];
}

/** Zero-filled memory for `n` elements (from the running MemoryPool, if any). */
function alloc(dtype: DType, n: number): TensorData {
  return allocate(dtype, n, true);
}

export class Tensor {
  /** Frozen: a tensor's shape never changes (reshape makes a new tensor). */
  readonly shape: number[];
  /** Number of elements. */
  readonly size: number;
  readonly #data: TensorData;

  /** Wraps `data` (not copied) as a tensor of `shape`; sizes must agree. */
  constructor(data: TensorData, shape: Shape) {
    this.shape = checkShape("Tensor", shape);
    check(
      data instanceof Float32Array || data instanceof Float64Array,
      "Tensor",
      () => `data must be a Float32Array or Float64Array, got ${(data as object)?.constructor?.name ?? typeof data}`,
    );
    this.size = sizeOf(this.shape);
    check(data.length === this.size, "Tensor", () => `shape ${fmtShape(shape)} needs ${this.size} elements, data has ${data.length}`);
    this.#data = data;
  }

  /**
   * The elements, row-major. Throws when the tensor's memory has gone back to a MemoryPool
   * (its buffer was detached: length 0), so a stale tensor never reads another one's data.
   */
  get data(): TensorData {
    const d = this.#data;
    if (d.length !== this.size) throw releasedTensorError(this.shape, this.dtype);
    return d;
  }

  get dtype(): DType {
    return this.#data instanceof Float64Array ? "float64" : "float32";
  }
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * From nested arrays (shape inferred, or checked against `shape`) or a flat typed/plain array
   * (shape required unless 1-D). Typed arrays of the target dtype are copied, never aliased.
   */
  static from(values: NestedArray | ArrayLike<number>, shape?: Shape, dtype?: DType): Tensor {
    const type: DType = dtype ?? (values instanceof Float64Array ? "float64" : "float32");
    if (typeof values === "number") {
      const s = shape ?? [];
      check(sizeOf(s) === 1, "Tensor.from", () => `a single number cannot fill shape ${fmtShape(s)}`);
      const data = alloc(type, 1);
      data[0] = values;
      return new Tensor(data, s);
    }
    if (ArrayBuffer.isView(values) || (Array.isArray(values) && values.every((v) => typeof v === "number"))) {
      const flat = values as ArrayLike<number>;
      const s = shape ?? [flat.length];
      check(sizeOf(s) === flat.length, "Tensor.from", () => `shape ${fmtShape(s)} needs ${sizeOf(s)} elements, got ${flat.length}`);
      const data = alloc(type, flat.length);
      data.set(flat);
      return new Tensor(data, s);
    }
    check(Array.isArray(values), "Tensor.from", () => `expected nested arrays of numbers or a typed array, got ${typeof values}`);
    const inferred = inferShape(values as NestedArray[]);
    if (shape) {
      check(
        sizeOf(shape) === sizeOf(inferred),
        "Tensor.from",
        () => `nested arrays of shape ${fmtShape(inferred)} do not fill shape ${fmtShape(shape)}`,
      );
    }
    const data = alloc(type, sizeOf(inferred));
    let k = 0;
    const fill = (v: NestedArray) => {
      if (typeof v === "number") data[k++] = v;
      else for (const x of v) fill(x);
    };
    fill(values as NestedArray);
    return new Tensor(data, shape ?? inferred);
  }

  static zeros(shape: Shape, dtype: DType = "float32"): Tensor {
    const s = checkShape("Tensor.zeros", shape);
    return new Tensor(alloc(dtype, sizeOf(s)), s);
  }

  /**
   * A tensor whose contents are unspecified (inside a MemoryPool.run: whatever the reused
   * buffer held). Only for outputs that a kernel overwrites completely before anything reads
   * them — it saves the zero-fill pass over every large activation.
   */
  static empty(shape: Shape, dtype: DType = "float32"): Tensor {
    const s = checkShape("Tensor.empty", shape);
    return new Tensor(allocate(dtype, sizeOf(s), false), s);
  }

  static ones(shape: Shape, dtype: DType = "float32"): Tensor {
    return Tensor.full(shape, 1, dtype);
  }

  /** Every element `value`; a number carrying a tangent (DualNumber) gives a tensor carrying it. */
  static full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
    if ((value as unknown) instanceof DualNumber) {
      const d = value as unknown as DualNumber;
      return new DualTensor(Tensor.full(shape, d.primal, dtype), Tensor.full(shape, d.tangent, dtype));
    }
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  /** Normal(mean, std) samples from `rng` (or a fresh `Rng(seed)`). */
  static randn(shape: Shape, options: { rng?: Rng; seed?: number; mean?: number; std?: number; dtype?: DType } = {}): Tensor {
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    const { mean = 0, std = 1 } = options;
    const t = Tensor.zeros(shape, options.dtype);
    for (let i = 0; i < t.size; i++) t.data[i] = mean + std * rng.normal();
    return t;
  }

  /** Uniform samples in [low, high) from `rng` (or a fresh `Rng(seed)`). */
  static uniform(shape: Shape, options: { rng?: Rng; seed?: number; low?: number; high?: number; dtype?: DType } = {}): Tensor {
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    const { low = 0, high = 1 } = options;
    const t = Tensor.zeros(shape, options.dtype);
    for (let i = 0; i < t.size; i++) t.data[i] = low + (high - low) * rng.uniform();
    return t;
  }

  /** The same values in a new tensor (optionally of another dtype). */
  clone(dtype: DType = this.dtype): Tensor {
    const data = alloc(dtype, this.size);
    data.set(this.data);
    return new Tensor(data, this.shape);
  }

  /** Same data, new dtype (copied unless it already is that dtype). */
  to(dtype: DType): Tensor {
    return dtype === this.dtype ? this : this.clone(dtype);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new TensorError("item", `needs a tensor with one element, got shape ${fmtShape(this.shape)}`);
    return this.data[0];
  }

  /** Nested arrays of numbers (a number for a 0-d tensor). */
  toArray(): NestedArray {
    if (this.ndim === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(dim === this.ndim - 1 ? this.data[offset + i] : build(dim + 1, offset + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype})\n${formatData(this)}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// ---- values carrying a tangent (second-order differentiation; dispatch in dual.ts) ------------

/**
 * What a value carrying a tangent holds was read outside an op's forward rule — by code that has
 * none, and would drop the tangent. `rule` names the hand-written rule it happened in, when known
 * (@pullback/ad adds it).
 */
export class TangentLostError extends TensorError {
  constructor(
    readonly what: "a tensor" | "a number",
    readonly rule?: string,
  ) {
    super(
      "Tensor",
      `${what} carrying a tangent (second-order differentiation: hvp, hessian, grad of grad) was read by code without a forward rule` +
        `${rule ? `, in ${rule}` : ""}, which would lose the tangent: write that code with ops of @pullback/tensor, or give the function a forward rule (defineFrule)`,
    );
    this.name = "TangentLostError";
  }
}

/**
 * A tensor carrying a tangent: `primal`'s shape, dtype and memory, and `tangent` (same shape).
 * Every op of the table given one runs its forward rule (dual.ts); its elements cannot be read
 * directly, since code that reads them has no forward rule and would drop the tangent.
 */
export class DualTensor extends Tensor {
  constructor(
    readonly primal: Tensor,
    readonly tangent: Tensor,
  ) {
    super(primal.data, primal.shape);
    const [a, b] = [primal.shape, tangent.shape];
    check(
      a.length === b.length && a.every((d, i) => d === b[i]),
      "DualTensor",
      () => `the tangent's shape ${fmtShape(b)} differs from the value's ${fmtShape(a)}`,
    );
  }
  override get data(): TensorData {
    throw new TangentLostError("a tensor");
  }
  override toString(): string {
    return `DualTensor(${fmtShape(this.shape)}, ${this.dtype})\nprimal: ${formatData(this.primal)}\ntangent: ${formatData(this.tangent)}`;
  }
}

/**
 * A number carrying a tangent, as ops and the number rules of @pullback/ad return them while a
 * second derivative is taken. JavaScript arithmetic and `<`/`>` on it throw (they would drop the
 * tangent; `typeof`, `===` and truthiness see an object): the loader routes the arithmetic of
 * tracked numbers through rules that carry it, and reads their values in tests.
 */
export class DualNumber {
  constructor(
    readonly primal: number,
    readonly tangent: number,
  ) {}
  valueOf(): never {
    throw new TangentLostError("a number");
  }
  toString(): string {
    return `DualNumber(${this.primal}, tangent ${this.tangent})`;
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

function inferShape(values: NestedArray[]): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  const verify = (v: NestedArray, dim: number, path: string) => {
    if (dim === shape.length) {
      check(typeof v === "number", "Tensor.from", () => `element ${path} is not a number`);
      return;
    }
    check(
      Array.isArray(v) && v.length === shape[dim],
      "Tensor.from",
      () => `ragged nested array: ${path || "the top level"} should have ${shape[dim]} elements`,
    );
    (v as NestedArray[]).forEach((x, i) => verify(x, dim + 1, `${path}[${i}]`));
  };
  verify(values, 0, "");
  return shape;
}

const edgeItems = 3;
const maxItems = 6;

function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return x.toFixed(0);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(4) : x.toFixed(4);
}

/** NumPy-like nested printing, eliding the middle of long axes. */
function formatData(t: Tensor): string {
  if (t.ndim === 0) return formatNumber(t.data[0]);
  const strides = t.shape.map((_, d) => sizeOf(t.shape.slice(d + 1)));
  const rec = (dim: number, offset: number, indent: string): string => {
    const n = t.shape[dim];
    const idx =
      n > maxItems ? [...Array(edgeItems).keys(), -1, ...Array.from({ length: edgeItems }, (_, i) => n - edgeItems + i)] : [...Array(n).keys()];
    if (dim === t.ndim - 1) {
      return `[${idx.map((i) => (i < 0 ? "…" : formatNumber(t.data[offset + i]))).join(", ")}]`;
    }
    const sep = `,\n${indent} `;
    return `[${idx.map((i) => (i < 0 ? "…" : rec(dim + 1, offset + i * strides[dim], indent + " "))).join(sep)}]`;
  };
  return rec(0, 0, "");
}
