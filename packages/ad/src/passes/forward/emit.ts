// Forward mode, pass 5f — emit: the forward rules of an implicit-mode file, generated on demand.
//
// Generating a forward rule for every function of every file would add its cost to every cold
// load, for the few programs that use forward mode. So the module the loader produces only names
// them: line 1 creates a handle, `const __fwd = __registerRules()`, which is
// `__ad.forwardRules(import.meta.path, hash, (c) => eval(c))` (implicit/emit.ts), and each function
// registers, next to its reverse rule, a forward rule that asks the handle for `f__frule`
// (`__ad.withModuleRule(f, f__rrule, name, __fwd.rule("f__frule"))`; `__ad.withRule` for a
// function expression). The first call
// of one (a jvp) expands the file again in forward mode (implicit/emit.ts with `forward`: the
// declarations below, cached like any expansion) and evaluates them in the module's own scope
// (its imports and module-level variables) through that `eval`.
//
// A module-level function's forward rule is `function f__frule(__a, __ta)`; a nested function
// defined outside any rule gets it from a factory `g__frule_in(…captured)` (its captured variables
// are constants there), like its reverse rule; a nested function inside a forward rule gets its
// own inline, closing over that rule's tangents (forward/generate.ts).
import type { GenContext, Line } from "../implicit/lower.ts";
import type { FunctionInfo } from "../implicit/scope.ts";

// The generator is loaded when forward rules are generated (the first jvp into a file), not with
// the module expansion, which only names the rules.
const generateForwardRule: typeof import("./generate.ts").generateForwardRule = (...args) =>
  (require("./generate.ts") as typeof import("./generate.ts")).generateForwardRule(...args);

export interface ForwardRuleName {
  /** The rule (module level) or its factory (nested function). */
  name: string;
  /** For a factory: the variables it captures. */
  free?: string[];
}

/** Names the forward rule of `f` (`unique` reserves a name that the file does not use). */
export function forwardRuleName(f: FunctionInfo, unique: (base: string) => string, free?: string[]): ForwardRuleName {
  return free ? { name: unique(`${f.name}__frule_in`), free } : { name: unique(`${f.name}__frule`) };
}

/** The handle of the module's forward rules (made by `__registerRules`, called on line 1): `source` is checked against the file when they are generated. */
export function forwardRulesOnDemand(source: string): string {
  return `__ad.forwardRules(import.meta.path, ${JSON.stringify(Bun.hash(source).toString(16))}, (__code: string) => eval(__code));`;
}

/** The expression registered as f's forward rule (it loads the module's forward rules on its first call). */
export function forwardRuleExpression(r: ForwardRuleName): string {
  return r.free ? `(__a, __t) => __fwd.get(${JSON.stringify(r.name)})(${r.free.join(", ")})(__a, __t)` : `__fwd.rule(${JSON.stringify(r.name)})`;
}

/** The forward rule of `f` (or its factory) as lines. */
export function forwardRuleLines(ctx: GenContext, f: FunctionInfo, r: ForwardRuleName): Line[] {
  if (!r.free) return generateForwardRule(ctx, f, null, r.name);
  const lines = generateForwardRule(ctx, f, null, `${f.name}__frule`);
  lines[0] = { ...lines[0], text: `return ${lines[0].text}` };
  return [
    {
      depth: 0,
      text: `// the forward rule of \`${f.name}\` (line ${ctx.p.index.position(f.node.start).line}), given the variables it captures`,
      origin: f.node.start,
    },
    { depth: 0, text: `function ${r.name}(${r.free.map((v) => `${v}: any`).join(", ")}) {`, origin: f.node.start },
    ...lines.map((l) => ({ ...l, depth: l.depth + 1 })),
    { depth: 0, text: "}" },
  ];
}
