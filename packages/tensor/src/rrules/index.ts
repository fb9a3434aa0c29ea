// @pullback/tensor/rrules — the rrule form of every op: `rule(x, ...rest) → [y, rule_pullback]`.
// Grouped by domain; `fork`, `detach` and `attach` live in @pullback/ad (they are about tracking).
export * from "./arithmetic.ts";
export * from "./linalg.ts";
export * from "./nn.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export { AnomalyError, setAnomalyDetection } from "./anomaly.ts";
export type { Pullback, RruleResult } from "./types.ts";
