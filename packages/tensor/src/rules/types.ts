// The types of the op table (rules/index.ts). One rule form for both front-ends of @pullback/ad:
// `rule(...args) → [y, pullback]`, `pullback(dy) → one cotangent per argument`, where `null` is
// the one zero cotangent (a zero of any shape, and NoTangent for a non-differentiable argument).

/** A pullback: one cotangent per argument of the primal call (`null` = zero / no tangent). */
export type RulePullback = (dy: any) => any[];
/** A rule: `rule(...args) → [y, pullback]`. */
export type Rule = (...args: any[]) => [any, RulePullback];

/**
 * The explicit-mode (rrule-call convention) form of a rule: the differentiable arguments packed
 * first (an array when there are several), the rest passed through; the pullback returns their
 * cotangents packed the same way.
 */
export type Rrule = (x: any, ...rest: any[]) => [any, (dy: any) => any];

/** A differentiable op of @pullback/tensor as declared in its domain file (`defineOp({ … })`). */
export interface OpSpec {
  /** The export of @pullback/tensor it differentiates; the entry is exported under the same name. */
  op: (...args: any[]) => any;
  /**
   * How many leading arguments are differentiable; the others (shapes, axes, indices, targets,
   * p/seed/offset, options) always get a null cotangent.
   */
  differentiable: number;
  /**
   * How many of them explicit mode differentiates, when fewer: a number argument (the `s` of
   * `mulScalar(x, s)`) is a constant there, as explicit mode tracks tensors only. Default: all.
   */
  explicit?: number;
  /**
   * `rule(...args) → [y, back]` where `back(dy)` returns the cotangents of the first
   * `differentiable` arguments. defineOp turns it into the one rule form (the pullback named
   * `<op>_pullback`, null for the other arguments, nulls for a null `dy` without calling `back`).
   */
  rule: (...args: any[]) => [any, (dy: any) => any[]];
  /**
   * The backward kernels the pullback calls: exports of @pullback/tensor without a rule of their
   * own (differentiable ops it calls, such as `bmm` in bmm's pullback, are not listed).
   */
  kernels: readonly ((...args: any[]) => any)[];
  /**
   * The forward form the rule calls when its pullback needs statistics of the forward
   * (`layerNormForward → { y, mean, rstd }`): an export without a rule of its own.
   */
  forward?: (...args: any[]) => any;
}

/**
 * An entry of the op table: callable as the op's explicit rrule (what `@pullback/tensor/rrules`
 * exports), and carrying its declaration with `rule` in the one rule form.
 */
export interface OpRule extends Rrule {
  readonly name: string;
  readonly op: OpSpec["op"];
  readonly differentiable: number;
  /** The number of differentiable arguments explicit mode packs (≤ differentiable). */
  readonly explicit: number;
  readonly kernels: OpSpec["kernels"];
  readonly forward?: OpSpec["forward"];
  readonly rule: Rule;
}

/** Op rules keyed by the name the op is exported under. */
export type OpTable = Readonly<Record<string, OpRule>>;

/** Wraps every op rule's result (installed by @pullback/ad, e.g. anomaly detection). */
export type RuleHook = (op: string, result: [any, RulePullback]) => [any, RulePullback];
