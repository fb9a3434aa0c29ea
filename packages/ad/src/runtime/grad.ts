// valueAndGrad, grad and pullback, one path for both front-ends: f's rule from the registry (any
// function of an implicit `.ad.ts` module, an `ad(…)` function of an explicit one, or one given a
// rule with customVjp); a hand-written rrule `f(x, ...rest) → [y, pullback]` is taken as the rule
// of x ↦ y. Cotangents come back for the arguments selected by `argnums`, in their structure,
// with explicit zeros for untouched leaves (completeCotangent: the one place zeros are made).
// valueAndGrad and grad need a scalar output (a number or a one-element Tensor), seeded with 1.
import { mulScalar, Tensor } from "@pullback/tensor";
import { TangentLostError, tangentsFlowing } from "@pullback/tensor/dual";
import { adFilesWithoutLoader, loaderMissing, loaderRegistered } from "./marker.ts";
import { forwardOverReverse } from "./forward_over_reverse.ts";
import { defineFrule } from "./forward.ts";
import { defineRrule, explicitRuleOf, findRule, nameOf, type Rule } from "./registry.ts";
import { acc, completeCotangent, treeMap } from "./tree.ts";
import type { Cotangent, GradOf, TypedGradOptions, ValueAndGradOf } from "./grad_types.ts";

export type { AuxOf, Cotangent, GradOf, GradsOf, TypedGradOptions, ValueAndGradOf } from "./grad_types.ts";

export type RRule<X = any, Y = any> = (x: X, ...rest: any[]) => [Y, (dy: any) => any];

export interface GradOptions {
  /** f's output is `[value, aux]`: differentiate `value` only; aux is returned alongside (its cotangent is zero). */
  hasAux?: boolean;
  /** Which arguments to differentiate (default 0); an array gives a tuple of gradients. */
  argnums?: number | number[];
}

/**
 * `pullback(f, ...args)` → `[y, back]`: runs f's rule; `back(dy)` returns one cotangent per
 * argument, each completed to the argument's structure (explicit zeros, never undefined).
 */
export function pullback<A extends any[], Y>(
  f: (...args: A) => Y,
  ...args: A
): [Y, (dy: Cotangent<Y>) => { -readonly [I in keyof A]: Cotangent<A[I]> }];
export function pullback<A extends any[], Y>(f: (...args: A) => Y, ...args: A): [Y, (dy: any) => any[]] {
  const rule = findRule(f);
  if (!rule) {
    if (!loaderRegistered()) throw loaderMissing("pullback", f);
    throw new TypeError(
      `pullback: ${f.name || "the function"} has no rule — define it in an .ad.ts file (implicit mode), or give it one with customVjp/defineRrule`,
    );
  }
  return pullbackOfRule(rule, args) as [Y, (dy: any) => any[]];
}

function pullbackOfRule(rule: Rule, args: any[]): [any, (dy: any) => any[]] {
  const [y, back] = rule(...args);
  return [
    y,
    function pullbackOf(dy: any): any[] {
      const ds = back(dy);
      return args.map((a, i) => completeCotangent(ds[i], a));
    },
  ];
}

/**
 * The rule valueAndGrad and grad differentiate `f` with: its registered rule, else — f being a
 * hand-written rrule `f(x, ...rest) → [y, pullback]` — the rule of x ↦ y. Without the loader,
 * f is most likely a function of an .ad.ts file run as plain code: that error says so.
 */
export function ruleFor(f: Function, name: string): Rule {
  const rule = findRule(f);
  if (rule) return rule;
  const plain = adFilesWithoutLoader();
  if (plain.length) throw loaderMissing(name, f, plain);
  const rrule = explicitRuleOf(f as RRule, (result) => {
    if (Array.isArray(result) && result.length === 2 && typeof result[1] === "function") return;
    if (!loaderRegistered()) throw loaderMissing(name, f);
    throw new TypeError(`${name}: f must return [output, pullback] (write it with ad(...) in a .ad.ts file, or as an rrule)`);
  });
  return function rrule_rule(...args: any[]) {
    try {
      return rrule(...args);
    } catch (e) {
      // (hvp, hessian: f ran with its arguments carrying tangents, and its own code read one)
      if (!(e instanceof TangentLostError) || e.rule !== undefined) throw e;
      throw new TypeError(
        `${name}: ${nameOf(f)} has no rule (it is not a function of an .ad.ts file, nor given one with customVjp/defineRrule), so it was run as a hand-written rrule f(x, ...rest) → [y, pullback] ` +
          `with arguments carrying tangents, and its code read one outside the ops of @pullback/tensor. Define it in an .ad.ts file (or write it as an rrule with ops).`,
        { cause: e },
      );
    }
  };
}

export function seedFor(value: unknown, name: string): number | Tensor {
  if (typeof value === "number") return 1;
  if (value instanceof Tensor) {
    if (value.size !== 1)
      throw new TypeError(`${name}: f must return a scalar (a number or a one-element Tensor), got a Tensor of shape (${value.shape.join(", ")})`);
    return Tensor.ones(value.shape, value.dtype);
  }
  throw new TypeError(`${name}: f must return a scalar (a number or a one-element Tensor), got ${value === null ? "null" : typeof value}`);
}

/**
 * `valueAndGrad(f)(x, ...rest)` → `[value, grads]` (grads shaped like x);
 * with `{ hasAux: true }`, f returns `[[value, aux], pullback]` and the result is `[[value, aux], grads]`.
 */
export function valueAndGrad<F extends (...args: any[]) => any, const N extends number | readonly number[] = 0, H extends boolean = false>(
  f: F,
  options?: TypedGradOptions<N, H>,
): ValueAndGradOf<F, N>;
export function valueAndGrad<X>(f: RRule<X> | ((...args: any[]) => any), options: GradOptions = {}): (x: X, ...rest: any[]) => [any, any] {
  const rule = ruleFor(f, "valueAndGrad");
  const valueAndGradOf = valueAndGradNamed(rule, options, "valueAndGrad");
  registerSecondOrderRules("valueAndGrad", valueAndGradOf, nameOf(f), rule, options);
  return valueAndGradOf;
}

function valueAndGradNamed(rule: Rule, options: GradOptions, name: string): (...args: any[]) => [any, any] {
  const argnums = options.argnums ?? 0;
  const list = Array.isArray(argnums) ? argnums : [argnums];
  return function valueAndGradOf(...args: any[]) {
    if (tangentsFlowing())
      throw new TypeError(
        `${name}: called while a second derivative is taken (hvp, hessian, or the pullback of grad(f)): that is a third derivative; third and higher derivatives are not supported`,
      );
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0 || i >= args.length)
        throw new RangeError(`${name}: argnums ${i} is out of range for a call with ${args.length} argument${args.length === 1 ? "" : "s"}`);
    }
    const [out, back] = pullbackOfRule(rule, args);
    let seed: unknown;
    if (options.hasAux) {
      if (!Array.isArray(out) || out.length !== 2) throw new TypeError(`${name}: with hasAux, f must return [value, aux]`);
      seed = [seedFor(out[0], name), null];
    } else seed = seedFor(out, name);
    const ds = back(seed);
    const grads = Array.isArray(argnums) ? list.map((i) => ds[i]) : ds[argnums];
    return [out, grads];
  };
}

/** `grad(f)(x, ...rest)` → grads; with `{ hasAux: true }` → `[grads, aux]`. */
export function grad<F extends (...args: any[]) => any, const N extends number | readonly number[] = 0, H extends boolean = false>(
  f: F,
  options?: TypedGradOptions<N, H>,
): GradOf<F, N, H>;
export function grad<X>(f: RRule<X> | ((...args: any[]) => any), options: GradOptions = {}): (x: X, ...rest: any[]) => any {
  const rule = ruleFor(f, "grad");
  const vg = valueAndGradNamed(rule, options, "grad");
  const gradOf = function gradOf(x: X, ...rest: any[]) {
    const [out, grads] = vg(x, ...rest);
    return options.hasAux ? [grads, (out as [unknown, unknown])[1]] : grads;
  };
  registerSecondOrderRules("grad", gradOf, nameOf(f), rule, options);
  return gradOf;
}

/** dv·g over the leaves of g (dv a number or a one-element Tensor, the cotangent of a scalar; null is zero). */
function scaled(g: any, dv: any): any {
  if (dv === null || dv === undefined || g === null || g === undefined) return null;
  const k = dv instanceof Tensor ? dv.item() : (dv as number);
  return treeMap(g, (leaf) => (leaf === null || leaf === undefined ? null : leaf instanceof Tensor ? mulScalar(leaf, k) : leaf * k));
}

/**
 * Gives `fn` — grad(f), or valueAndGrad(f) — a rule and a forward rule, so that code
 * differentiating it (grad of a function calling grad(f)(x) in an .ad.ts file, jvp of grad(f))
 * gets second derivatives: both are forward over reverse (forward_over_reverse.ts). With
 * g = ∇ₐf (a the argnums), the pullback of dg is ∂/∂args ⟨∇ₐf, dg⟩ = H·dg — f's gradient over all
 * its arguments, run with tangents dg on a — plus dv·∇f for valueAndGrad's value; the forward
 * rule is the tangent of ∇ₐf (and of the value) along the arguments' tangents. With hasAux, the
 * rules are an error saying so.
 */
function registerSecondOrderRules(kind: "grad" | "valueAndGrad", fn: Function, fName: string, rule: Rule, options: GradOptions): void {
  if (options.hasAux) {
    const unsupported = () => {
      throw new TypeError(`${kind}(f, { hasAux: true }) cannot be differentiated: second derivatives through aux are not supported (drop hasAux)`);
    };
    defineRrule(fn, unsupported, kind);
    defineFrule(fn, unsupported, kind);
    return;
  }
  const argnums = options.argnums ?? 0;
  const seed = (value: unknown) => seedFor(value, kind);
  const picked = (xs: any[]) => (Array.isArray(argnums) ? argnums.map((i) => xs[i]) : xs[argnums]);
  const what = `${kind}(${fName})`;
  defineRrule(
    fn,
    function grad_rule(...args: any[]) {
      return [
        fn(...args),
        function grad_pullback(d: any) {
          const [dv, dg] = kind === "grad" ? [null, d] : [d?.[0] ?? null, d?.[1] ?? null];
          const tangents: any[] = args.map(() => null);
          if (Array.isArray(argnums)) argnums.forEach((i, k) => (tangents[i] = dg?.[k] ?? null));
          else tangents[argnums] = dg;
          const r = forwardOverReverse(`the pullback of ${what}`, rule, args, tangents, seed);
          return dv === null ? r.hvps : r.hvps.map((h, j) => acc(h, scaled(r.grads[j], dv)));
        },
      ];
    },
    kind,
  );
  defineFrule(
    fn,
    function grad_frule(args: any[], tangents: any[]) {
      const r = forwardOverReverse(`the forward rule of ${what}`, rule, args, tangents, seed);
      const [g, tg] = [picked(r.grads), picked(r.hvps)];
      return kind === "grad"
        ? [g, tg]
        : [
            [r.value, g],
            [r.valueTangent, tg],
          ];
    },
    kind,
  );
}
