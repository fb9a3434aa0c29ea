// Anomaly detection (`bun run train --detect-anomaly`): while it is on, every op rule of the
// @pullback/tensor op table — in implicit and explicit mode alike, through the table's one rule
// hook — checks its output, and its pullback the cotangents it returns, for NaN and ±Infinity,
// and throws an AnomalyError naming the op, the phase and the `.ad.ts` line that called it (taken
// from the stack, which the .ad.ts loader maps back to the original file). Off, no hook is installed.
import { Tensor } from "@pullback/tensor";
import { DualNumber, DualTensor } from "@pullback/tensor/dual";
import { setRuleHook, type RuleHook } from "@pullback/tensor/rules";

let enabled = false;

/** Turns anomaly detection on or off; returns the previous setting. */
export function setAnomalyDetection(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  setRuleHook(on ? watched : null);
  return previous;
}

export class AnomalyError extends Error {
  constructor(
    readonly op: string,
    readonly phase: "forward" | "pullback",
    /** `file.ad.ts:line:col` of the op call, when it was made from an .ad.ts file. */
    readonly location: string | undefined,
    detail: string,
  ) {
    super(`${op} ${phase === "forward" ? "output" : "pullback (cotangent)"} is not finite: ${detail}${location ? ` — called at ${location}` : ""}`);
    this.name = "AnomalyError";
  }
}

/** The first non-finite value in a number, Tensor or (nested) array of them, described. */
function firstNonFinite(value: unknown, path = ""): string | undefined {
  // (while a second derivative is taken: the value, then its tangent)
  if (value instanceof DualTensor || value instanceof DualNumber)
    return (
      firstNonFinite(value.primal, path) ??
      firstNonFinite(value.tangent, `the tangent of ${path || (value instanceof DualTensor ? "tensor" : "value")}`)
    );
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path || "value"} = ${value}`;
  if (value instanceof Tensor) {
    const d = value.data;
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i])) return `${path || "tensor"} (${value.shape.join(", ")}) has ${d[i]} at flat index ${i}`;
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

/** The innermost `.ad.ts` frame of the current stack (the op's call site). */
function callSite(stack: string | undefined): string | undefined {
  const m = stack?.match(/\(?((?:file:\/\/)?[^\s()]+\.ad\.ts:\d+:\d+)\)?/);
  return m?.[1];
}

/** Checks an op rule's output now and its pullback's cotangents when it runs. */
const watched: RuleHook = (op, [y, pullback]) => {
  const site = callSite(new Error().stack);
  const bad = firstNonFinite(y);
  if (bad) throw new AnomalyError(op, "forward", site, bad);
  const checkedPullback = (dy: any): any[] => {
    const ds = pullback(dy);
    for (let i = 0; i < ds.length; i++) {
      const badD = firstNonFinite(ds[i], `argument ${i}`);
      if (badD) throw new AnomalyError(op, "pullback", site, badD);
    }
    return ds;
  };
  Object.defineProperty(checkedPullback, "name", { value: pullback.name });
  return [y, checkedPullback];
};
