// defineOp: a declaration of the op table → the rule in the one rule form, its forward rule (given,
// or derived from linearity) and its explicit-mode form (the generic adapter `rruleOf`); the one
// hook every op rule's result passes through. defineKernel: a function the rules call without a
// rule of its own, with its forward rule.
import { attachForwardRule } from "../dual.ts";
import { allZero, orZeros } from "./tangents.ts";
import type { Frule, FruleSpec, KernelRule, KernelSpec, OpRule, OpSpec, Rrule, Rule, RuleHook, RulePullback } from "./types.ts";

let hook: RuleHook | null = null;

/**
 * Installs `h` around every op rule's result (null removes it); returns the previous hook. One
 * hook for both front-ends: @pullback/ad installs anomaly detection here.
 */
export function setRuleHook(h: RuleHook | null): RuleHook | null {
  const previous = hook;
  hook = h;
  return previous;
}

function named<F extends Function>(name: string, f: F): F {
  Object.defineProperty(f, "name", { value: name });
  return f;
}

/**
 * The explicit-mode form of `rule`, whose first `k` arguments are differentiable:
 * `rrule(x, ...rest)` with x the differentiable argument (k = 1) or the array of them (k > 1);
 * the pullback returns their cotangents packed the same way.
 */
export function rruleOf(name: string, rule: Rule, k: number): Rrule {
  return named(name, (x: any, ...rest: any[]): [any, (dy: any) => any] => {
    if (k > 1 && !(Array.isArray(x) && x.length === k)) {
      throw new TypeError(
        `${name}: its ${k} differentiable arguments are passed packed, as an array of ${k} (the rrule convention: \`${name}([${["a", "b", "c", "d"].slice(0, k).join(", ")}], …)\`)`,
      );
    }
    const [y, pullback] = k === 1 ? rule(x, ...rest) : rule(...x, ...rest);
    return [
      y,
      named(`${name}_pullback`, (dy: any) => {
        const ds = pullback(dy);
        return k === 1 ? ds[0] : ds.slice(0, k);
      }),
    ];
  });
}

/**
 * The forward rule of a function linear in its first `n` arguments: ẏ = f(ẋ₀, …, ẋₙ₋₁, ...rest)
 * (null tangents as zeros; null when every tangent is).
 */
function linearFrule(name: string, f: (...args: any[]) => any, n: number): Frule {
  return named(`${name}_frule`, (args: any[], tangents: any[]): [any, any] => {
    const y = f(...args);
    const ts = args.slice(0, n).map((_, i) => tangents[i]);
    if (ts.every(allZero)) return [y, null];
    return [y, f(...ts.map((t, i) => orZeros(t, args[i])), ...args.slice(n))];
  });
}

function fruleOf(name: string, f: (...args: any[]) => any, spec: FruleSpec, n: number): Frule {
  if (spec === "linear") return linearFrule(name, f, n);
  if (typeof spec !== "function")
    throw new TypeError(`${name}: the forward rule must be a function (args, tangents) => [y, ẏ] or "linear", got ${typeof spec}`);
  return named(`${name}_frule`, spec);
}

/** A kernel from its declaration: its forward rule resolved ("linear": linear in its first argument). */
export function defineKernel(spec: KernelSpec): KernelRule {
  const name = spec.name ?? spec.op.name;
  const frule = fruleOf(name, spec.op, spec.frule, 1);
  attachForwardRule(spec.op, frule);
  return {
    name,
    op: spec.op,
    frule,
    linear: spec.frule === "linear",
    ...(spec.noRule ? { noRule: spec.noRule } : {}),
  };
}

/**
 * An entry of the op table from its declaration. Its rule: `pullback(dy)` returns one cotangent
 * per argument (null for the non-differentiable ones), and a null `dy` gives nulls without
 * running the declared pullback — the one place where a zero cotangent is short-circuited.
 */
export function defineOp(spec: OpSpec): OpRule {
  const name = spec.op.name;
  const n = spec.differentiable;
  const rule = named(name, (...args: any[]): [any, RulePullback] => {
    const [y, back] = spec.rule(...args);
    const pullback = named(`${name}_pullback`, (dy: any): any[] => {
      const ds = dy === null ? [] : back(dy);
      const out = new Array(Math.max(args.length, n));
      for (let i = 0; i < out.length; i++) out[i] = i < n ? (ds[i] ?? null) : null;
      return out;
    });
    return hook === null ? [y, pullback] : hook(name, [y, pullback]);
  });
  const explicit = spec.explicit ?? n;
  const frule = fruleOf(name, spec.op, spec.frule, n);
  attachForwardRule(spec.op, frule);
  return Object.assign(rruleOf(name, rule, explicit), { ...spec, explicit, rule, frule, linear: spec.frule === "linear" });
}
