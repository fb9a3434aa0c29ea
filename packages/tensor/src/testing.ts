// Test utilities shared by the packages' tests: random inputs and cotangents, closeness, dot
// products, the error a call throws, and the finite-difference checker of backward passes
// (finite_differences.ts; gradcheck of @pullback/ad is built on it).
import { fmtShape } from "./errors.ts";
import { Rng } from "./rng.ts";
import { Tensor, type Shape } from "./tensor.ts";

export * from "./finite_differences.ts";

/** The sizes every kernel is checked at: around the SIMD widths (±1) and with scalar tails. */
export const kernelSizes = [1, 3, 7, 17, 63, 64, 65, 127, 128, 129];

export function randTensor(shape: Shape, seed: number, options: { dtype?: "float32" | "float64"; low?: number; high?: number } = {}): Tensor {
  return Tensor.uniform(shape, { seed, low: options.low ?? -1, high: options.high ?? 1, dtype: options.dtype });
}

export interface Diff {
  maxAbs: number;
  maxRel: number;
  /** Flat index of the worst element (by relative error). */
  at: number;
}

/** Max absolute and relative difference; relative uses |a - b| / max(|a|, |b|, floor). */
export function diff(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): Diff {
  if (actual.length !== expected.length) throw new Error(`diff: lengths differ (${actual.length} vs ${expected.length})`);
  let maxAbs = 0,
    maxRel = 0,
    at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (Number.isNaN(a) !== Number.isNaN(e)) return { maxAbs: Infinity, maxRel: Infinity, at: i };
    if (Number.isNaN(a)) continue;
    const abs = Math.abs(a - e);
    const rel = abs / Math.max(Math.abs(a), Math.abs(e), floor);
    if (abs > maxAbs) maxAbs = abs;
    if (rel > maxRel || at < 0) {
      if (rel > maxRel) maxRel = rel;
      if (at < 0 || rel >= maxRel) at = i;
    }
  }
  return { maxAbs, maxRel, at };
}

/**
 * Throws unless every element satisfies |a - e| <= atol + rtol·|e| (NumPy's allclose).
 * The message names `what`, the shape, the worst index and both values.
 */
export function assertClose(
  actual: Tensor | ArrayLike<number>,
  expected: Tensor | ArrayLike<number>,
  options: { rtol?: number; atol?: number; what?: string } = {},
): Diff {
  const { rtol = 1e-5, atol = 1e-6, what = "tensor" } = options;
  const a = actual instanceof Tensor ? actual.data : actual;
  const e = expected instanceof Tensor ? expected.data : expected;
  if (actual instanceof Tensor && expected instanceof Tensor && actual.shape.join() !== expected.shape.join()) {
    throw new Error(`${what}: shape ${fmtShape(actual.shape)} differs from expected ${fmtShape(expected.shape)}`);
  }
  if (a.length !== e.length) throw new Error(`${what}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    if (!ok) {
      const d = diff(a, e);
      throw new Error(
        `${what}: element ${i} is ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol}; max abs diff ${d.maxAbs.toExponential(3)}, max rel ${d.maxRel.toExponential(3)})`,
      );
    }
  }
  return diff(a, e);
}

/**
 * What `fn` throws, checked to be a `type` — for tests that look into the error after that.
 * Throws (failing the test) when `fn` returns, or throws something else; `what` names the case.
 */
export function thrown<E>(fn: () => unknown, type: abstract new (...args: any[]) => E, what = ""): E {
  const expected = `${what ? `${what}: ` : ""}expected a ${type.name} to be thrown`;
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(`${expected}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error(`${expected}, nothing was`);
}

/** Σ x·y over all elements (float64 accumulation): projects an output onto a cotangent. */
export function dot(x: Tensor, y: Tensor): number {
  if (x.size !== y.size) throw new Error(`dot: sizes differ, ${fmtShape(x.shape)} vs ${fmtShape(y.shape)}`);
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i] * y.data[i];
  return s;
}

/** A cotangent with random entries (never all ones) for checking a backward pass. */
export function randomCotangent(shape: Shape, seed: number, dtype: "float32" | "float64" = "float64"): Tensor {
  return Tensor.randn(shape, { rng: new Rng(seed ^ 0x5eed), dtype });
}
