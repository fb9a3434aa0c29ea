// The types of the op table (rules/index.ts). One rule form for both front-ends of @pullback/ad:
// `rule(...args) → [y, pullback]`, `pullback(dy) → one cotangent per argument`, where `null` is
// the one zero cotangent (a zero of any shape, and NoTangent for a non-differentiable argument).
// One forward-rule form (forward mode, jvp): `frule(args, tangents) → [y, ẏ]`, one tangent per
// argument in the argument's structure, `null` the zero tangent (a missing one counts as null).

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

/**
 * A forward rule: `frule(args, tangents) → [y, ẏ]`. A null tangent is a zero of the argument's
 * shape; the tangents of non-differentiable arguments (indices, shapes, axes, options) are
 * ignored; ẏ is null when it is zero. Written with ops of @pullback/tensor (never a loop over
 * elements), so that it can itself be differentiated.
 */
export type Frule = (args: any[], tangents: any[]) => [any, any];

/**
 * How a forward rule is declared: the rule itself, or `"linear"` — the function is linear in its
 * differentiable arguments (an op's `differentiable` ones; a kernel's first one, the cotangent),
 * so ẏ is the function applied to their tangents, the other arguments passed through.
 */
export type FruleSpec = Frule | "linear";

/**
 * A function the rules call that has no rule of its own — a backward kernel, a forward form that
 * also returns the statistics the backward kernel takes (`layerNormForward`), a helper
 * (`sumToShape`, `gemm`, Tensor's constructors) — declared once with `defineKernel`, next to the
 * op whose rule uses it.
 */
export interface KernelSpec {
  /** The function (an export of @pullback/tensor, or a static of Tensor with `name`). */
  op: (...args: any[]) => any;
  /** Its name when not `op.name` (`"Tensor.full"`). */
  name?: string;
  /** Its forward rule, or `"linear"` (linear in its first argument). */
  frule: FruleSpec;
  /** Why a call with tracked arguments has no rule (NO_RULE_OPS), when more is to be said than "a backward kernel". */
  noRule?: string;
}

/** A declared kernel with its forward rule resolved. */
export interface KernelRule {
  readonly name: string;
  readonly op: KernelSpec["op"];
  readonly frule: Frule;
  /** The forward rule was derived from linearity. */
  readonly linear: boolean;
  readonly noRule?: string;
}

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
  /** The forward rule, or `"linear"`: ẏ = op(ẋ₀, …, ẋₙ₋₁, ...rest) for n = `differentiable`. */
  frule: FruleSpec;
  /**
   * The backward kernels the pullback calls (`defineKernel`): exports of @pullback/tensor without
   * a rule of their own (differentiable ops it calls, such as `bmm` in bmm's pullback, are not
   * listed).
   */
  kernels: readonly KernelRule[];
  /**
   * The forward form the rule calls when its pullback needs statistics of the forward
   * (`layerNormForward → { y, mean, rstd }`): an export without a rule of its own (`defineKernel`).
   */
  forward?: KernelRule;
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
  readonly frule: Frule;
  /** The forward rule was derived from linearity. */
  readonly linear: boolean;
}

/** Op rules keyed by the name the op is exported under. */
export type OpTable = Readonly<Record<string, OpRule>>;

/** Kernels keyed by name. */
export type KernelTable = Readonly<Record<string, KernelRule>>;

/** Wraps every op rule's result (installed by @pullback/ad, e.g. anomaly detection). */
export type RuleHook = (op: string, result: [any, RulePullback]) => [any, RulePullback];
