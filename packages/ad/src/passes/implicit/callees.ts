// Implicit mode — static resolution of callees: a call is an op of @pullback/tensor (its rule is
// imported statically), a Math function (a rule of the runtime), a function of this module (its
// rule looked up by function, so that customVjp/defineRrule can replace it), a call that carries
// no gradient (metadata, console, stopGradient, …), or resolved at run time through the rule
// registry (functions of other modules, parameters).
import { DIFFERENTIABLE_ARGS, DIFFERENTIABLE_OPS, MUTATING_OPS, NON_DIFFERENTIABLE_EXPORTS, NO_RULE_OPS } from "../known_ops.ts";
import type { CallExpression, Expression } from "oxc-parser";
import type { Identifier, Node } from "../parse.ts";
import { unwrapExpr, type Binding, type ScopeInfo } from "./scope.ts";

export const TENSOR_PACKAGE = "@pullback/tensor";
export const AD_PACKAGE = "@pullback/ad";

/** Math functions with a rule in the runtime (`__ad.math`). */
export const MATH_RULES = new Set([
  "exp",
  "log",
  "sqrt",
  "tanh",
  "sin",
  "cos",
  "abs",
  "pow",
  "max",
  "min",
  "log1p",
  "expm1",
  "sinh",
  "cosh",
  "atan",
  "cbrt",
]);
/** Object functions with a rule in the runtime (`__ad.objectRules`); Object.keys carries no gradient. */
export const OBJECT_RULES = new Set(["values", "entries", "fromEntries"]);
const MATH_INACTIVE = new Set(["floor", "ceil", "round", "trunc", "sign", "random", "fround", "clz32", "imul"]);
/**
 * Global functions and namespace members whose results never carry a gradient (strings, booleans,
 * keys, integers). Others of these namespaces given tracked values are load-time errors: they
 * would return the values untracked (Object.getOwnPropertyDescriptors, Array.from, Number(x), structuredClone, …).
 */
const GLOBAL_INACTIVE = new Set(["String", "Boolean", "parseInt", "isFinite", "isNaN", "Symbol"]);
const GLOBAL_UNTRACKING = new Set(["Number", "parseFloat", "BigInt", "structuredClone"]);
const NAMESPACE_INACTIVE: Record<string, Set<string> | "all"> = {
  console: "all",
  JSON: "all",
  performance: "all",
  process: "all",
  Bun: "all",
  crypto: "all",
  Date: "all",
  Object: new Set(["keys", "getOwnPropertyNames", "hasOwn", "is", "isFrozen", "isSealed", "isExtensible", "getPrototypeOf"]),
  Array: new Set(["isArray"]),
  Number: new Set(["isFinite", "isInteger", "isNaN", "isSafeInteger"]),
  String: "all",
};
/** Calls that write into their first argument (a tracked one would be mutated). */
export const GLOBAL_MUTATORS = new Set([
  "Object.assign",
  "Object.defineProperty",
  "Object.defineProperties",
  "Object.setPrototypeOf",
  "Reflect.set",
  "Reflect.defineProperty",
  "Reflect.deleteProperty",
]);

/** @pullback/ad exports called inside differentiated code: markers and rule constructors. */
const AD_INACTIVE = new Set([
  "stopGradient",
  "nonDifferentiable",
  "customVjp",
  "defineRrule",
  "checkpoint",
  "isLeaf",
  "treeZerosLike",
  "treeFlatten",
  "flattenTree",
]);

export type Callee =
  | { kind: "op"; name: string }
  | { kind: "math"; name: string }
  | { kind: "object"; name: string }
  | { kind: "local"; binding: Binding }
  | { kind: "runtime"; text: string }
  | { kind: "error"; node: Node; reason: string; hint: string };

function importOf(id: Identifier, scopes: ScopeInfo): { source: string; name: string } | undefined {
  return scopes.refs.get(id)?.imported;
}

/** The tensor-op name a callee denotes (`matmul`, or `ops.matmul` for `import * as ops`), if any. */
function tensorExport(callee: Expression, scopes: ScopeInfo): string | undefined {
  if (callee.type === "Identifier") {
    const imp = importOf(callee, scopes);
    return imp && imp.source === TENSOR_PACKAGE && imp.name !== "*" && imp.name !== "default" ? imp.name : undefined;
  }
  if (callee.type === "MemberExpression" && !callee.computed && callee.object.type === "Identifier") {
    const imp = importOf(callee.object, scopes);
    if (imp && imp.source === TENSOR_PACKAGE && imp.name === "*") return callee.property.name;
  }
  return undefined;
}

/** The @pullback/ad export a callee denotes (`stopGradient`, `ad.customVjp`, …), if any. */
export function adExport(callee: Expression, scopes: ScopeInfo): string | undefined {
  if (callee.type === "Identifier") {
    const imp = importOf(callee, scopes);
    return imp && imp.source === AD_PACKAGE ? imp.name : undefined;
  }
  if (callee.type === "MemberExpression" && !callee.computed && callee.object.type === "Identifier") {
    const imp = importOf(callee.object, scopes);
    if (imp && imp.source === AD_PACKAGE && imp.name === "*") return callee.property.name;
  }
  return undefined;
}

/** `[namespace, member]` for a call of a member of a global namespace (`Math.exp`, `Object["keys"]`). */
export function globalMember(callee: Expression, scopes: ScopeInfo): [string, string] | undefined {
  if (callee.type !== "MemberExpression" || callee.object.type !== "Identifier" || scopes.refs.has(callee.object)) return undefined;
  const prop = !callee.computed
    ? callee.property.name
    : callee.property.type === "Literal" && typeof callee.property.value === "string"
      ? callee.property.value
      : "";
  return [callee.object.name, prop];
}

/** A call whose result never carries a gradient, whatever its arguments. */
export function isCallInactive(call: CallExpression, scopes: ScopeInfo): boolean {
  const callee = unwrapExpr(call.callee);
  const ad = adExport(callee, scopes);
  if (ad !== undefined) return AD_INACTIVE.has(ad);
  const op = tensorExport(callee, scopes);
  if (op !== undefined) return NON_DIFFERENTIABLE_EXPORTS.has(op);
  if (callee.type === "Identifier") return !scopes.refs.has(callee) && GLOBAL_INACTIVE.has(callee.name);
  const member = globalMember(callee, scopes);
  if (member) {
    const [ns, prop] = member;
    if (ns === "Math") return MATH_INACTIVE.has(prop);
    const inactive = NAMESPACE_INACTIVE[ns];
    return inactive === "all" || (inactive !== undefined && inactive.has(prop));
  }
  // Static methods of Tensor (Tensor.zeros, Tensor.from, …) build constants.
  return tensorStatic(callee, scopes) !== undefined;
}

/** `Tensor.full` for a call of a static method of @pullback/tensor's Tensor (they build constants), else undefined. */
export function tensorStatic(callee: Node, scopes: ScopeInfo): string | undefined {
  const c = unwrapExpr(callee);
  if (c.type !== "MemberExpression" || c.object.type !== "Identifier") return undefined;
  const imp = importOf(c.object, scopes);
  if (!imp || imp.source !== TENSOR_PACKAGE || imp.name !== "Tensor") return undefined;
  return `Tensor.${c.computed ? "[…]" : c.property.name}`;
}

/** Exports of @pullback/ad that are easily imported from @pullback/tensor by mistake. */
const AD_EXPORTS = new Set([
  "stopGradient",
  "nonDifferentiable",
  "customVjp",
  "checkpoint",
  "grad",
  "valueAndGrad",
  "pullback",
  "fork",
  "detach",
  "attach",
  "splitFirst",
  "gradcheck",
]);

function noRuleReason(name: string): string | undefined {
  const table = NO_RULE_OPS as unknown;
  if (table instanceof Map) return table.get(name);
  if (table && typeof table === "object") return (table as Record<string, string>)[name];
  return undefined;
}

/** Resolves the callee of an active call. */
export function resolveCallee(call: CallExpression, scopes: ScopeInfo, text: (n: Node) => string): Callee {
  const callee = unwrapExpr(call.callee);
  const op = tensorExport(callee, scopes);
  if (op !== undefined) {
    if (DIFFERENTIABLE_OPS.has(op)) return { kind: "op", name: op };
    if (MUTATING_OPS.has(op)) {
      return {
        kind: "error",
        node: callee,
        reason: `\`${op}\` writes into its arguments in place, which cannot be differentiated`,
        hint: "use the out-of-place op (add instead of addInto); optimizer updates belong outside the differentiated function",
      };
    }
    if (AD_EXPORTS.has(op)) {
      return {
        kind: "error",
        node: callee,
        reason: `\`${op}\` is not an export of ${TENSOR_PACKAGE}: it comes from @pullback/ad`,
        hint: `import it from "@pullback/ad": import { ${op} } from "@pullback/ad";`,
      };
    }
    const why = noRuleReason(op);
    return {
      kind: "error",
      node: callee,
      reason: `no rule for \`${op}\` of ${TENSOR_PACKAGE}, and it is called with differentiable arguments`,
      hint: why ?? `only the ops with a rule can be differentiated; pass stopGradient(…) arguments if no gradient should flow`,
    };
  }
  if (callee.type === "Identifier") {
    const b = scopes.refs.get(callee);
    if (!b && GLOBAL_UNTRACKING.has(callee.name)) {
      return {
        kind: "error",
        node: callee,
        reason: `\`${callee.name}(…)\` of a tracked value returns it untracked: its gradient would be lost`,
        hint: `use the value as it is, or stopGradient(…) if no gradient should flow`,
      };
    }
    if (!b) {
      return {
        kind: "error",
        node: callee,
        reason: `no rule for \`${callee.name}\`: it is not defined in this file or imported`,
        hint: "import it, define it in an .ad.ts file, or wrap its arguments in stopGradient(…)",
      };
    }
    if (b.fnNode && b.fn === null && !b.reassigned) return { kind: "local", binding: b };
    if (b.kind === "const" && !b.fnNode && b.fn === null && !b.imported) {
      // A module constant that is not a function literal (e.g. `const f = customVjp(g, rule)`): registry.
      return { kind: "runtime", text: callee.name };
    }
    return { kind: "runtime", text: callee.name };
  }
  const member = globalMember(callee, scopes);
  if (member && member[0] === "Math") {
    const prop = member[1];
    if (MATH_RULES.has(prop)) return { kind: "math", name: prop };
    return {
      kind: "error",
      node: callee,
      reason: `no rule for ${prop ? `Math.${prop}` : text(callee)}`,
      hint: `differentiable Math functions: ${[...MATH_RULES].join(", ")}`,
    };
  }
  if (member && member[0] === "Object" && OBJECT_RULES.has(member[1])) return { kind: "object", name: member[1] };
  if (member && (member[0] in NAMESPACE_INACTIVE || member[0] === "Reflect")) {
    return {
      kind: "error",
      node: callee,
      reason: `no rule for ${member[0]}.${member[1]}: given tracked values it would return them untracked, and their gradient would be lost`,
      hint: "read the values with property reads or a loop, or wrap the arguments in stopGradient(…) if no gradient should flow",
    };
  }
  return { kind: "runtime", text: text(callee) };
}

/**
 * How many leading arguments of a call can carry a gradient into its result: none for an
 * inactive call, an op's differentiable arguments (known_ops.ts), every argument otherwise.
 */
export function differentiableArity(call: CallExpression, scopes: ScopeInfo): number {
  if (isCallInactive(call, scopes)) return 0;
  const op = tensorExport(unwrapExpr(call.callee), scopes);
  return (op !== undefined && DIFFERENTIABLE_ARGS.get(op)) || Infinity;
}

/** Argument positions an op writes into (addInto, adamUpdate, …). */
export function mutatedArguments(call: CallExpression, scopes: ScopeInfo): readonly number[] {
  const op = tensorExport(unwrapExpr(call.callee), scopes);
  return op === undefined ? [] : (MUTATING_OPS.get(op) ?? []);
}
