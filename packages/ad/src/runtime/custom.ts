// User-facing rule constructors: stopGradient, nonDifferentiable, customVjp (defineRrule) and
// checkpoint — outside differentiated code each is the identity on its argument, so an `.ad.ts`
// module runs (forward only) without the loader too — and the two bridges between the modes:
// rrule (a function with a rule, in explicit mode's form) and primal (an explicit-mode function,
// in implicit mode's form).
import { tangentsFlowing, withoutTangents } from "@pullback/tensor/dual";
import { rruleOf, type Rrule } from "@pullback/tensor/rules";
import { defineRrule, explicitRuleOf, ruleOf, type Rule } from "./registry.ts";
import { defineFrule, fruleOf } from "./forward.ts";

/**
 * Marks a parameter as never differentiated, whatever it holds (JAX's static arguments):
 * `function block(x: Tensor, p: BlockParams, s: Static<Step>, layer: Static<number>)`. Numbers,
 * shapes and config read from it cost nothing in the backward pass. Only a type: it compiles away.
 */
export type Static<T> = T;

/**
 * The value itself, seen by the loader as a constant: no cotangent flows into `x` (any structure).
 * `stopGradient(x).data` is also how to read a tracked tensor's values without an error. Its
 * tangent is zero too: while a second derivative is taken, the value comes without its tangent.
 */
export function stopGradient<T>(x: T): T {
  return withoutTangents(x);
}

/** Marks `f` as carrying no gradient: calls to it with tracked arguments give untracked results (and zero tangents). */
export function nonDifferentiable<F extends (...args: any[]) => any>(f: F): F {
  defineFrule(
    f,
    function nonDifferentiable_frule(args: any[]) {
      return [f(...args), null];
    },
    "non-differentiable",
  );
  return defineRrule(
    f,
    function nonDifferentiable_rule(...args: any[]) {
      return [
        f(...args.map(withoutTangents)), // a zero tangent too, while a second derivative is taken
        function nonDifferentiable_pullback() {
          return args.map(() => null);
        },
      ];
    },
    "non-differentiable",
  );
}

/**
 * Gives `f` a hand-written rule: `rule(...args) → [y, pullback]` with `pullback(dy)` returning one
 * cotangent per argument (null for none). The rule replaces the generated one, even when `f` is
 * defined in an `.ad.ts` file. Returns `f`. Forward mode: a function defined in an `.ad.ts` file
 * keeps its generated forward rule; any other has none until `defineFrule` gives it one (jvp
 * through it is a NoForwardRuleError).
 */
export function customVjp<F extends (...args: any[]) => any>(f: F, rule: (...args: Parameters<F>) => [ReturnType<F>, (dy: any) => any[]]): F {
  return defineRrule(f, rule as Rule, "custom");
}

/**
 * Gradient checkpointing: `checkpoint(f)` computes like `f`, but keeps only its arguments in the
 * forward pass; the pullback recomputes f's forward (with its rule) and then runs its pullback —
 * less memory for one more forward of f. Forward mode (jvp) just runs f's forward rule.
 */
export function checkpoint<F extends (...args: any[]) => any>(f: F): F {
  const name = `checkpoint(${f.name || "anonymous"})`;
  const g = { [name]: (...args: any[]) => f(...args) }[name] as F;
  defineFrule(g, function checkpoint_frule(args: any[], tangents: any[]) {
    return fruleOf(f)(args, tangents);
  });
  return defineRrule(
    g,
    function checkpoint_rule(...args: any[]) {
      // While a second derivative is taken, f's own code would do JavaScript arithmetic on
      // numbers carrying tangents: its rule computes the value carrying them.
      const y = tangentsFlowing() ? ruleOf(f)(...args)[0] : f(...args);
      return [
        y,
        function checkpoint_pullback(dy: any) {
          const [, pullback] = ruleOf(f)(...args);
          return pullback(dy);
        },
      ];
    },
    "custom",
  );
}

/**
 * The explicit-mode form of a function with a rule (a function of an implicit `.ad.ts` module, a
 * customVjp, an op): `rrule(f)(x, ...rest) → [y, pullback]` with its first `differentiable`
 * arguments packed first (an array when there are several), as explicit code calls it:
 * `const [y, __] = rrule(mlp, 2)([x, p])`.
 */
export function rrule(f: Function, differentiable = 1): Rrule {
  return rruleOf(f.name || "anonymous", (...args: any[]) => ruleOf(f)(...args), differentiable);
}

/**
 * The implicit-mode form of an explicit-mode function (an `ad(…)` function or a hand-written
 * rrule) `f(x, ...rest) → [y, pullback]`: `primal(f)(x, ...rest)` returns y, and its rule is f's,
 * so implicit code calls it like any differentiable function: `const y = primal(block)([x, p])`.
 */
export function primal<X, Y>(f: (x: X, ...rest: any[]) => [Y, (dy: any) => any]): (x: X, ...rest: any[]) => Y {
  const name = `primal(${f.name || "anonymous"})`;
  const p = { [name]: (x: X, ...rest: any[]) => f(x, ...rest)[0] }[name];
  return defineRrule(p, explicitRuleOf(f), "explicit-primal");
}
