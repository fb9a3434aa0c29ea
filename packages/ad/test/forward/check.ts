// The forward-mode check every construct test runs (test/implicit/corpus.test.ts calls it next to
// gradcheckFunction): for a random tangent v of the checked arguments, jvp(f, args, v) against
// central differences of f along v (jvpcheck), and against the reverse rule — ⟨ẏ, c⟩ must equal
// ⟨pullback(c), v⟩ for a random cotangent c (the dot-product test), all in float64.
import { expect } from "bun:test";
import { jvp, jvpcheck, pullback, randomTangent } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";

/** ⟨a, b⟩ over the Tensor and number leaves two trees share (null/missing leaves count as zero). */
export function treeDot(a: unknown, b: unknown): number {
  if (a === null || a === undefined || b === null || b === undefined) return 0;
  if (typeof a === "number" && typeof b === "number") return a * b;
  if (a instanceof Tensor && b instanceof Tensor) {
    let s = 0;
    for (let i = 0; i < a.size; i++) s += (a.data[i] as number) * (b.data[i] as number);
    return s;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.reduce((s: number, ai, i) => s + treeDot(ai, b[i]), 0);
  if (typeof a === "object" && typeof b === "object" && !ArrayBuffer.isView(a) && !(a instanceof Tensor)) {
    return Object.keys(a as object).reduce((s, k) => s + treeDot((a as any)[k], (b as any)[k]), 0);
  }
  return 0;
}

/** jvpcheck of f along a random tangent of `argnums`, and the dot-product test against its pullback. */
export function checkForward(f: (...args: any[]) => any, args: unknown[], argnums?: number[], seed = 99): void {
  const report = jvpcheck(f, args, { argnums, seed });
  expect(report.ok).toBe(true);
  const { args: xs, tangents } = report;
  const [y, ty] = jvp(f, xs, tangents);
  const [, back] = pullback(f, ...xs);
  const c = randomTangent(y, new Rng(seed + 1));
  const ds = back(c);
  const forward = treeDot(ty, c);
  const reverse = tangents.reduce((s: number, t, i) => s + treeDot(ds[i], t), 0);
  expect(Math.abs(forward - reverse)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(reverse)));
}
