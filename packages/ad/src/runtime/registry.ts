// The rule registry, shared by both front-ends. A *rule* is ChainRules' `rrule` with one cotangent
// per argument: `rule(...args) → [y, pullback]`, `pullback(dy) → [dargs0, dargs1, …]`. `null` is
// the one zero cotangent (of any shape, and NoTangent for non-differentiable arguments); only the
// user-facing entry points (`pullback`, `valueAndGrad`, `grad`) turn it into explicit zeros.
//
// Rules are found by function identity: every function of an implicit `.ad.ts` module registers
// its generated rule when it is defined, every `ad(…)` function of an explicit one its rule when
// it is created (`explicitRule`, which generated code calls as `__ad.explicit`);
// `defineRrule`/`customVjp` register hand-written ones; `nonDifferentiable` registers a rule with no gradient; the ops of @pullback/tensor are
// registered from its op table when this module loads.
import { TangentLostError } from "@pullback/tensor/dual";
import { opTable, type Rule } from "@pullback/tensor/rules";
import { checkCotangents, CotangentError } from "./cotangent_check.ts";
import { completeCotangent } from "./tree.ts";

export type { Rule, RulePullback } from "@pullback/tensor/rules";

const rules = new WeakMap<Function, Rule>();

/** Where a rule came from, for messages: "generated", "custom", "op", "non-differentiable". */
const origins = new WeakMap<Function, string>();

/** No rule is registered for a function reached with differentiable arguments. */
export class NoRuleError extends Error {
  constructor(
    readonly fn: string,
    readonly site: string | undefined,
    detail?: string,
  ) {
    super(
      `no rule for ${fn}${site ? ` (called at ${site})` : ""}: it was reached with differentiable arguments, ` +
        `but it is not defined in an .ad.ts file and has no rule. ` +
        (detail ??
          `Define it in an .ad.ts file, give it a rule with defineRrule/customVjp, mark it nonDifferentiable(…) if its result carries no gradient, or pass stopGradient(…) arguments.`),
    );
    this.name = "NoRuleError";
  }
}

/**
 * Registers `rule` as the rrule of `f` and returns `f` (a decorator-like helper). A hand-written
 * rule (origin "custom") has its pullback's cotangents checked against the arguments on every
 * call (structure, shape, dtype): a mismatch is a CotangentError naming the rule, where it was
 * defined and where it was called.
 */
export function defineRrule<F extends Function>(f: F, rule: Rule, origin = "custom"): F {
  if (typeof f !== "function") throw new TypeError(`defineRrule: expected a function, got ${typeof f}`);
  if (typeof rule !== "function")
    throw new TypeError(
      `defineRrule: the rule of ${f.name || "an anonymous function"} must be a function (…args) => [y, pullback], got ${typeof rule}`,
    );
  rules.set(f, origin === "custom" ? checkedRule(`the rule of ${nameOf(f)}`, rule, userFrame(new Error().stack)) : rule);
  origins.set(f, origin);
  return f;
}

/** The call site ruleOf was last asked for (generated code calls the rule right after). */
let pendingSite: string | undefined;

/** Runs `f`; a TangentLostError from it is given the name of the hand-written rule (and its phase). */
function attributingTangentLoss<T>(rule: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TangentLostError && e.rule === undefined) throw new TangentLostError(e.what, rule);
    throw e;
  }
}

function checkedRule(name: string, rule: Rule, definedAt: string | undefined): Rule {
  const where = `${name}${definedAt ? ` (defined at ${definedAt})` : ""}`;
  return function checked(...args: any[]) {
    const calledAt = pendingSite;
    pendingSite = undefined;
    const [y, pullback] = attributingTangentLoss(where, () => rule(...args));
    if (typeof pullback !== "function") throw new CotangentError(`${where} must return [y, pullback], got a ${typeof pullback} as the pullback`);
    return [
      y,
      function checkedPullback(dy: any) {
        const ds = attributingTangentLoss(`the pullback of ${where}`, () => pullback(dy));
        checkCotangents(ds, args, name, definedAt, calledAt);
        return ds;
      },
    ];
  };
}

/** `file:line:col` of the first stack frame outside pullback's runtime (where a rule was defined). */
function userFrame(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(line.trim());
    if (m && !/[\\/]packages[\\/]ad[\\/]src[\\/]runtime[\\/]/.test(m[1]) && !m[1].startsWith("native")) return m[1];
  }
  return undefined;
}

/**
 * Registers the generated rule of `f` (named `name` when f is anonymous) and returns f; generated
 * code reaches it through `withRule` of runtime/implicit.ts, which also registers the forward rule.
 */
export function registerGeneratedRule<F extends Function>(f: F, rule: Rule, name?: string): F {
  if (name && f.name === "") Object.defineProperty(f, "name", { value: name });
  // A hand-written rule (customVjp) wins over the generated one.
  if (origins.get(f) !== "custom") {
    rules.set(f, rule);
    origins.set(f, "generated");
  }
  return f;
}

/**
 * An expanded `ad(…)` function `f(x, ...rest) → [y, pullback]` (the loader wraps each in this
 * call), made a function with a rule, so `grad` and `pullback` treat it like any other. Returns f
 * wrapped (both named `name` when f is anonymous): its pullback, which users call directly, is a
 * user-facing boundary: it returns the cotangent of x completed to x's structure (zeros where it
 * is null inside — from `detach` — or for a null cotangent of y).
 */
export function explicitRule<F extends (x: any, ...rest: any[]) => [any, (dy: any) => any]>(name: string, f: F): F {
  if (f.name === "") Object.defineProperty(f, "name", { value: name });
  else name = f.name;
  const wrapped = {
    [name](x: any, ...rest: any[]): [any, (dy: any) => any] {
      const [y, back] = f(x, ...rest);
      const pullback = (dy: any) => completeCotangent(dy === null ? null : back(dy), x);
      Object.defineProperty(pullback, "name", { value: back.name });
      return [y, pullback];
    },
  }[name] as unknown as F;
  rules.set(wrapped, explicitRuleOf(f));
  origins.set(wrapped, "explicit");
  return wrapped;
}

/**
 * The rule of the function x ↦ y of an rrule `f(x, ...rest) → [y, pullback]` (`check` sees f's
 * result first). The cotangent of y enters f's pullback completed to zeros where it is null in
 * part — explicit pullbacks, often hand-written, take whole cotangents; a null one gives nulls.
 */
export function explicitRuleOf(f: (x: any, ...rest: any[]) => [any, (dy: any) => any], check?: (result: unknown) => void): Rule {
  return function explicit_rule(...args: any[]) {
    const result = f(...(args as [any, ...any[]]));
    check?.(result);
    const [y, back] = result;
    return [
      y,
      function explicit_pullback(dy: any) {
        const out: any[] = args.map(() => null);
        if (dy !== null) out[0] = back(completeCotangent(dy, y));
        return out;
      },
    ];
  };
}

/** The rule of every differentiable op of @pullback/tensor, by export name (generated code calls `__ops.<name>`). */
export const opRules: Readonly<Record<string, Rule>> = Object.fromEntries(
  Object.entries(opTable).map(([name, entry]) => {
    rules.set(entry.op, entry.rule);
    origins.set(entry.op, "op");
    return [name, entry.rule];
  }),
);

/** The rule of `f`, or undefined. */
export function findRule(f: unknown): Rule | undefined {
  pendingSite = undefined; // called by pullback/valueAndGrad, not from a call site of generated code
  return typeof f === "function" ? rules.get(f) : undefined;
}

/** How `f`'s rule was defined ("generated", "custom", "op", "explicit", "explicit-primal", "non-differentiable"), or undefined. */
export function ruleOrigin(f: unknown): string | undefined {
  return typeof f === "function" ? origins.get(f) : undefined;
}

/** A function's name for messages ("an anonymous function"; the type of anything else). */
export function nameOf(f: unknown): string {
  if (typeof f !== "function") return f === null ? "null" : typeof f;
  return f.name ? `${f.name}` : "an anonymous function";
}

/**
 * The rule of `f` for a call made at `site` (`file:line:col`); throws NoRuleError naming the
 * function and the call site when there is none.
 */
export function ruleOf(f: unknown, site?: string): Rule {
  if (typeof f !== "function") throw new TypeError(`${site ? `${site}: ` : ""}the callee is not a function (got ${f === null ? "null" : typeof f})`);
  const r = rules.get(f);
  if (r && origins.get(f) === "explicit") {
    throw new TypeError(
      `${site ? `${site}: ` : ""}${nameOf(f)} is an explicit-mode function (it returns [output, pullback]); ` +
        `call it from implicit-mode code as primal(${nameOf(f)}) (from @pullback/ad), which returns the output`,
    );
  }
  if (r) {
    pendingSite = site;
    return r;
  }
  throw new NoRuleError(nameOf(f), site);
}
