// Implicit mode, pass 3 — activity analysis: which bindings of a function carry values that
// depend on its differentiable inputs. Only active values get cotangents; numbers, shapes,
// indices, booleans and config values derived from metadata (`x.shape`, `xs.length`, …),
// comparisons, or non-differentiable calls flow through the generated forward code untouched.
import { eachChild, type Node } from "../parse.ts";
import { differentiableArity, isCallInactive } from "./callees.ts";
import { isFunction, patternIds, unwrapExpr, type Binding, type FunctionInfo, type ScopeInfo } from "./scope.ts";

/** Properties whose value never carries a gradient (metadata of tensors and arrays); explicit mode's check.ts reads them too. */
export const METADATA = new Set(["shape", "dtype", "size", "ndim", "length"]);
const ARITHMETIC = new Set(["+", "-", "*", "/", "**", "%"]);

/** Parameter types that are never differentiated (booleans, strings, integer arrays, shapes, functions, RNGs, `Static<T>`). */
const INACTIVE_TYPE_NAMES = new Set([
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Uint16Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
  "Rng",
  "RegExp",
  "Function",
  "Shape",
  "DType",
  // @pullback/ad's marker type for parameters that are never differentiated
  "Static",
]);

export function inactiveType(t: Node | null | undefined): boolean {
  if (!t) return false;
  if (t.type === "TSTypeAnnotation") return inactiveType(t.typeAnnotation);
  switch (t.type) {
    case "TSBooleanKeyword":
    case "TSStringKeyword":
    case "TSBigIntKeyword":
    case "TSSymbolKeyword":
    case "TSVoidKeyword":
    case "TSUndefinedKeyword":
    case "TSNullKeyword":
    case "TSLiteralType":
    case "TSFunctionType":
      return true;
    case "TSTypeOperator":
      return inactiveType(t.typeAnnotation);
    case "TSArrayType":
      return t.elementType.type === "TSNumberKeyword" || inactiveType(t.elementType);
    case "TSUnionType":
      return t.types.every((u) => inactiveType(u));
    case "TSTypeReference":
      return t.typeName?.type === "Identifier" && INACTIVE_TYPE_NAMES.has(t.typeName.name);
    default:
      return false;
  }
}

/**
 * The operands whose values flow into the value of `e` (not calls, identifiers, tests, keys or
 * indices): `a` and `b` of `a * b`, `c ? a : b`, `[a, ...b]`, the object of `a.w` (not of the
 * metadata `a.shape`), …
 */
function valueOperands(e: Node): (Node | null)[] {
  switch (e.type) {
    case "MemberExpression":
      return !e.computed && e.property.type === "Identifier" && METADATA.has(e.property.name) ? [] : [e.object];
    case "ChainExpression":
      return [e.expression];
    case "BinaryExpression":
      return ARITHMETIC.has(e.operator) ? [e.left, e.right] : [];
    case "UnaryExpression":
      return e.operator === "-" || e.operator === "+" ? [e.argument] : [];
    case "LogicalExpression":
      return [e.left, e.right];
    case "ConditionalExpression":
      return [e.consequent, e.alternate];
    case "ArrayExpression":
      return e.elements.filter((x) => x !== null).map((x) => (x.type === "SpreadElement" ? x.argument : x));
    case "ObjectExpression":
      return e.properties.map((p) => (p.type === "SpreadElement" ? p.argument : p.value));
    case "AssignmentExpression":
      return [e.right];
    case "SequenceExpression":
      return [e.expressions[e.expressions.length - 1]];
    case "AwaitExpression":
    case "YieldExpression":
    case "UpdateExpression":
      return [e.argument];
    case "TaggedTemplateExpression":
      return e.quasi.expressions;
    default:
      return [];
  }
}

export interface Activity {
  fn: FunctionInfo;
  /** Active bindings owned by the function (parameters included). */
  active: Set<Binding>;
  isActive(e: Node | null | undefined): boolean;
  isActiveBinding(b: Binding | undefined): boolean;
  /** Does e's value depend on the differentiable inputs, whether or not it reaches the result (a shape computed from them does)? */
  isVaried(e: Node | null | undefined): boolean;
  /** The function held by a callee captures active values (a call to it is active without active arguments). */
  capturesActive(fnNode: Node | undefined): boolean;
}

/** Free variables of a function: bindings of enclosing functions it refers to (module bindings excluded). */
export function freeBindings(fnNode: Node, scopes: ScopeInfo): Binding[] {
  let cache = freeCache.get(scopes);
  if (!cache) freeCache.set(scopes, (cache = new Map()));
  let free = cache.get(fnNode);
  if (!free) cache.set(fnNode, (free = computeFreeBindings(fnNode, scopes)));
  return free;
}
const freeCache = new WeakMap<ScopeInfo, Map<Node, Binding[]>>();

function computeFreeBindings(fnNode: Node, scopes: ScopeInfo): Binding[] {
  const out = new Set<Binding>();
  for (const [id, b] of scopes.refs) {
    if (id.start < fnNode.start || id.end > fnNode.end || b.fn === null) continue;
    if (b.fn.start >= fnNode.start && b.fn.end <= fnNode.end) continue; // its own or a nested function's
    out.add(b);
  }
  return [...out].sort((a, b) => a.id.start - b.id.start);
}

/**
 * Activity of a function whose rule is generated outside any other rule (no captured value is
 * active), computed once per function: its reverse and forward rules share it.
 */
export function topLevelActivity(fn: FunctionInfo, scopes: ScopeInfo): Activity {
  let cache = topLevelCache.get(scopes);
  if (!cache) topLevelCache.set(scopes, (cache = new Map()));
  let a = cache.get(fn.node);
  if (!a) cache.set(fn.node, (a = analyzeActivity(fn, scopes, () => false)));
  return a;
}
const topLevelCache = new WeakMap<ScopeInfo, Map<Node, Activity>>();

/**
 * Activity of a function's bindings. `outerActive` tells whether a captured binding of an
 * enclosing function is active there (always false when the function runs outside any rule).
 */
export function analyzeActivity(fn: FunctionInfo, scopes: ScopeInfo, outerActive: (b: Binding) => boolean): Activity {
  const node = fn.node;
  const own = scopes.owned.get(node) ?? [];
  const active = new Set<Binding>();
  for (const p of node.params) {
    const ann =
      p.type === "AssignmentPattern"
        ? p.left.typeAnnotation
        : p.type === "RestElement"
          ? (p.typeAnnotation ?? p.argument.typeAnnotation)
          : "typeAnnotation" in p
            ? p.typeAnnotation
            : undefined;
    if (inactiveType(ann)) continue;
    for (const id of patternIds(p)) {
      const b = scopes.refs.get(id);
      if (b) active.add(b);
    }
  }
  const isActiveBinding = (b: Binding | undefined): boolean => {
    if (!b) return false;
    if (b.fn === node) return active.has(b);
    if (b.fn === null) return false;
    return outerActive(b);
  };
  const captureMemo = new Map<Node, boolean>();
  const capturesActive = (f: Node | undefined): boolean => {
    if (!f || !isFunction(f)) return false;
    const known = captureMemo.get(f);
    if (known !== undefined) return known;
    captureMemo.set(f, false);
    const result = freeBindings(f, scopes).some((b) => isActiveBinding(b));
    captureMemo.set(f, result);
    return result;
  };
  /** Does e's value depend on bindings `has` holds (the active ones; before usefulness pruning, the varied ones)? */
  const dependsOn = (has: (b: Binding | undefined) => boolean) => {
    const isActive = (e0: Node | null | undefined): boolean => {
      if (!e0) return false;
      const e = unwrapExpr(e0);
      switch (e.type) {
        case "Identifier":
          return has(scopes.refs.get(e));
        case "CallExpression": {
          if (isCallInactive(e, scopes)) return false;
          const callee = unwrapExpr(e.callee);
          if (callee.type === "MemberExpression" && isActive(callee.object)) return true;
          if (e.arguments.some((a) => isActive(a.type === "SpreadElement" ? a.argument : a))) return true;
          // A function literal argument capturing tracked values (`cs.map((c) => mul(c, x))`).
          if (e.arguments.some((a) => capturesActive(unwrapExpr(a)))) return true;
          if (callee.type === "Identifier") return capturesActive(scopes.refs.get(callee)?.fnNode);
          return false;
        }
        case "NewExpression":
          return e.arguments.some((a) => isActive(a.type === "SpreadElement" ? a.argument : a));
        default:
          return valueOperands(e).some(isActive);
      }
    };
    return isActive;
  };
  const isActive = dependsOn(isActiveBinding);

  // Definitions of the function's own bindings, outside nested functions.
  const defs: { ids: Node[]; rhs: Node | null; forOf?: boolean }[] = [];
  const walk = (n: Node | null): void => {
    if (!n || typeof n !== "object") return;
    if (n !== node && isFunction(n)) return;
    if (n.type === "ClassDeclaration" || n.type === "ClassExpression") return;
    if (n.type === "VariableDeclarator" && n.init) defs.push({ ids: patternIds(n.id), rhs: n.init });
    else if (n.type === "AssignmentExpression")
      defs.push({
        ids: n.left.type === "Identifier" || n.left.type === "ArrayPattern" || n.left.type === "ObjectPattern" ? patternIds(n.left) : [],
        rhs: n.operator === "=" || ARITHMETIC.has(n.operator.slice(0, -1)) ? n.right : null,
      });
    else if (n.type === "ForOfStatement") {
      const left = n.left.type === "VariableDeclaration" ? n.left.declarations[0].id : n.left;
      defs.push({ ids: patternIds(left), rhs: n.right, forOf: true });
    }
    eachChild(n, walk);
  };
  walk(node.body);
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of defs) {
      if (!d.rhs || !isActive(d.rhs)) continue;
      for (const id of d.ids) {
        const b = scopes.refs.get(id);
        if (b && b.fn === node && !active.has(b)) {
          active.add(b);
          changed = true;
        }
      }
    }
    captureMemo.clear();
  }

  // Usefulness (backward activity): a varied binding needs a cotangent only if its value can
  // reach something differentiated — the result, a differentiable argument of a call, a side
  // effect, a nested function. Shapes, indices, loop bounds and config values computed from
  // tracked parameters (`cfg.n * 2` as a reshape size) are varied but not useful: they stay
  // verbatim in the forward and cost nothing in the pullback.
  const useful = new Set<Binding>();
  let grew = false;
  const markUseful = (e0: Node | null | undefined): void => {
    if (!e0) return;
    const e = unwrapExpr(e0);
    switch (e.type) {
      case "Identifier": {
        const b = scopes.refs.get(e);
        if (b && b.fn === node && !useful.has(b)) useful.add(b), (grew = true);
        return;
      }
      case "CallExpression":
      case "NewExpression": {
        const n = e.type === "CallExpression" ? differentiableArity(e, scopes) : Infinity;
        if (n === 0) return;
        const callee = unwrapExpr(e.callee);
        markUseful(callee.type === "MemberExpression" ? callee.object : callee);
        e.arguments.forEach((a, i) => i < n && markUseful(a.type === "SpreadElement" ? a.argument : a));
        return;
      }
      case "AssignmentExpression":
        markUseful(e.left.type === "MemberExpression" ? e.left.object : null); // written into: a side effect
        return markUseful(e.right);
      default:
        for (const x of valueOperands(e)) markUseful(x);
    }
  };
  // Seeds: returned values, expression statements other than assignments to own bindings (calls
  // with side effects, writes into objects), and everything a nested function reads.
  const ownTarget = (left: Node): boolean =>
    (left.type === "Identifier" || left.type === "ArrayPattern" || left.type === "ObjectPattern") &&
    patternIds(left).every((id) => scopes.refs.get(id)?.fn === node);
  const seed = (n: Node | null): void => {
    if (!n || typeof n !== "object") return;
    if (n !== node && isFunction(n)) {
      for (const b of freeBindings(n, scopes)) if (b.fn === node) useful.add(b);
      return;
    }
    if (n.type === "ReturnStatement") markUseful(n.argument);
    else if (n.type === "ExpressionStatement") {
      const x = unwrapExpr(n.expression);
      if (!(x.type === "AssignmentExpression" && ownTarget(x.left))) markUseful(x);
    }
    eachChild(n, seed);
  };
  if (node.body.type !== "BlockStatement") markUseful(node.body);
  seed(node.body);
  for (grew = true; grew; ) {
    grew = false;
    for (const d of defs) {
      if (
        d.ids.some((id) => {
          const b = scopes.refs.get(id);
          return !b || b.fn !== node || useful.has(b);
        })
      )
        markUseful(d.rhs);
    }
  }
  const varied = new Set(active);
  for (const b of active) if (!useful.has(b)) active.delete(b);
  captureMemo.clear();
  void own;
  const isVaried = dependsOn((b) => (b?.fn === node ? varied.has(b) : isActiveBinding(b)));
  return { fn, active, isActive, isActiveBinding, isVaried, capturesActive };
}
