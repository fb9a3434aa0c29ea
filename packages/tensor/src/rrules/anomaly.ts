// Anomaly detection (`bun run train --detect-anomaly`): while it is on, every rrule checks its
// output — and its pullback the cotangent it returns — for NaN and ±Infinity, and throws an
// AnomalyError naming the op, the phase and the `.ad.ts` line that called it (taken from the
// stack, which the .ad.ts loader maps back to the original file). Off, it costs one flag test.
import { Tensor } from "../tensor.ts";
import type { RruleResult } from "./types.ts";

let enabled = false;

/** Turns anomaly detection on or off; returns the previous setting. */
export function setAnomalyDetection(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

export class AnomalyError extends Error {
  constructor(
    readonly op: string,
    readonly phase: "forward" | "pullback",
    /** `file.ad.ts:line:col` of the rrule call, when it was made from an .ad.ts file. */
    readonly location: string | undefined,
    detail: string,
  ) {
    super(`${op} ${phase === "forward" ? "output" : "pullback (cotangent)"} is not finite: ${detail}${location ? ` — called at ${location}` : ""}`);
    this.name = "AnomalyError";
  }
}

/** The first non-finite value in a number, Tensor or (nested) array of them, described. */
function firstNonFinite(value: unknown, path = ""): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path || "value"} = ${value}`;
  if (value instanceof Tensor) {
    const d = value.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return `${path || "tensor"} (${value.shape.join(", ")}) has ${d[i]} at flat index ${i}`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNonFinite(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  }
  return undefined;
}

/** The innermost `.ad.ts` frame of the current stack (the rrule call site). */
function callSite(stack: string | undefined): string | undefined {
  const m = stack?.match(/\(?((?:file:\/\/)?[^\s()]+\.ad\.ts:\d+:\d+)\)?/);
  return m?.[1];
}

/** Wraps a rule's result: checks y now and the pullback's cotangent when it runs. */
export function watched<Y, DY, DX>(op: string, result: RruleResult<Y, DY, DX>): RruleResult<Y, DY, DX> {
  if (!enabled) return result;
  const site = callSite(new Error().stack);
  const bad = firstNonFinite(result[0]);
  if (bad) throw new AnomalyError(op, "forward", site, bad);
  const pullback = result[1];
  const checkedPullback = (dy: DY): DX => {
    const dx = pullback(dy);
    const badDx = firstNonFinite(dx);
    if (badDx) throw new AnomalyError(op, "pullback", site, badDx);
    return dx;
  };
  Object.defineProperty(checkedPullback, "name", { value: pullback.name });
  return [result[0], checkedPullback];
}
