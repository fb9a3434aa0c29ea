// Forward mode, pass 5f — emit: the forward rule of every function of an implicit-mode file, next
// to its reverse rule (implicit/emit.ts calls this). A module-level function's forward rule is a
// module-level `function f__frule(__a, __ta)`; a nested function defined outside any rule gets it
// from a factory `g__frule_in(…captured)` (its captured variables are constants there), like its
// reverse rule. Both are registered with the reverse rule: `__ad.withRule(f, rule, name, frule)`.
import type { GenContext, Line } from "../implicit/lower.ts";
import type { FunctionInfo } from "../implicit/scope.ts";
import { generateForwardRule } from "./generate.ts";

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

/** The expression registered as f's forward rule. */
export function forwardRuleExpression(r: ForwardRuleName): string {
  return r.free ? `(__a: any[], __ta: any[]) => ${r.name}(${r.free.join(", ")})(__a, __ta)` : r.name;
}

/** The forward rule of `f` (or its factory) as lines, after its reverse rule. */
export function forwardRuleLines(ctx: GenContext, f: FunctionInfo, r: ForwardRuleName): Line[] {
  if (!r.free) return generateForwardRule(ctx, f, null, r.name);
  const lines = generateForwardRule(ctx, f, null, `${f.name}__frule`);
  lines[0] = { ...lines[0], text: `return ${lines[0].text}` };
  return [
    { depth: 0, text: `// the forward rule of \`${f.name}\` (line ${ctx.p.index.position(f.node.start).line}), given the variables it captures`, origin: f.node.start },
    { depth: 0, text: `function ${r.name}(${r.free.map((v) => `${v}: any`).join(", ")}) {`, origin: f.node.start },
    ...lines.map((l) => ({ ...l, depth: l.depth + 1 })),
    { depth: 0, text: "}" },
  ];
}
