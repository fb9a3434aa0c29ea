// Implicit mode, pass 1 — scope: resolves every identifier of the module to its binding (lexical
// scoping with `var`/function hoisting), records which function owns each binding, which
// identifiers are written, and every function of the file (declarations, expressions, arrows).
import type { ArrowFunctionExpression, Expression, Function, FunctionBody, Program } from "oxc-parser";
import { eachChild, type Identifier, type Node } from "../parse.ts";

/**
 * A function of the source: a declaration, a function expression or an arrow — with a body (oxc's
 * `Function` also types the bodiless `declare function f(): T;`, a TSDeclareFunction: see `isFunction`).
 */
export type FunctionNode = (Function & { body: FunctionBody }) | ArrowFunctionExpression;

export type BindingKind = "var" | "let" | "const" | "param" | "function" | "import" | "class" | "catch" | "enum";

export interface Binding {
  name: string;
  kind: BindingKind;
  /** The declaring identifier. */
  id: Identifier;
  /** The function that owns the binding (null: module scope). */
  fn: FunctionNode | null;
  /** `import { imported } from "source"` (imported "*" for a namespace, "default" for a default import). */
  imported?: { source: string; name: string };
  /** The function node when the binding holds one (a declaration, or `const f = () => …`). */
  fnNode?: FunctionNode;
  /** Assigned after its declaration (`x = …`, `x += …`, `x++`, a for-of/for-in target). */
  reassigned: boolean;
}

export interface Scope {
  parent: Scope | null;
  /** The function whose body this scope is part of (null: module). */
  fn: FunctionNode | null;
  vars: Map<string, Binding>;
}

export interface FunctionInfo {
  node: FunctionNode;
  /** A name for generated code and messages: the declaration's or binding's name, else `anonymous_<line>`. */
  name: string;
  /** No name in the source (neither its own nor a binding's): `name` is only for generated code. */
  anonymous?: boolean;
  /** The enclosing function (null: defined at module level). */
  parent: FunctionNode | null;
  /** The binding that holds it, when there is one. */
  binding?: Binding;
}

export interface ScopeInfo {
  /** Identifier (reference or declaration) → binding; a missing entry is a global. */
  refs: Map<Node, Binding>;
  /** Identifiers that are written (assignment targets, update operands). */
  writes: Set<Node>;
  functions: FunctionInfo[];
  /** Bindings owned by each function (params first, then in source order); key null: module. */
  owned: Map<Node | null, Binding[]>;
  /** Functions by node. */
  byNode: Map<Node, FunctionInfo>;
  /** The innermost function containing each identifier reference. */
  refFn: Map<Node, FunctionNode | null>;
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);
export const isFunction = (n: Node | null | undefined): n is FunctionNode => !!n && FUNCTION_TYPES.has(n.type);

const TYPE_ONLY = new Set([
  "TSInterfaceDeclaration",
  "TSTypeAliasDeclaration",
  "TSModuleDeclaration",
  "TSDeclareFunction",
  "TSImportEqualsDeclaration",
  "TSExportAssignment",
  "TSNamespaceExportDeclaration",
]);

export function unwrapExpr(n: Expression): Expression;
export function unwrapExpr(n: Node): Node;
export function unwrapExpr(n: Node): Node {
  while (
    n &&
    (n.type === "ParenthesizedExpression" ||
      n.type === "TSAsExpression" ||
      n.type === "TSNonNullExpression" ||
      n.type === "TSSatisfiesExpression" ||
      n.type === "TSTypeAssertion" ||
      n.type === "TSInstantiationExpression")
  )
    n = n.expression;
  return n;
}

/** Identifiers declared by a pattern. */
export function patternIds(p: Node | null, out: Identifier[] = []): Identifier[] {
  if (!p) return out;
  switch (p.type) {
    case "Identifier":
      out.push(p);
      break;
    case "ArrayPattern":
      for (const e of p.elements) if (e) patternIds(e, out);
      break;
    case "ObjectPattern":
      for (const prop of p.properties) patternIds(prop.type === "RestElement" ? prop.argument : prop.value, out);
      break;
    case "AssignmentPattern":
      patternIds(p.left, out);
      break;
    case "RestElement":
      patternIds(p.argument, out);
      break;
    case "TSParameterProperty":
      patternIds(p.parameter, out);
      break;
  }
  return out;
}

class Resolver {
  readonly refs = new Map<Node, Binding>();
  readonly writes = new Set<Node>();
  readonly functions: FunctionInfo[] = [];
  readonly owned = new Map<Node | null, Binding[]>();
  readonly byNode = new Map<Node, FunctionInfo>();
  readonly refFn = new Map<Node, FunctionNode | null>();
  private readonly pendingNames = new Map<Node, string>();
  constructor(readonly lineOf: (offset: number) => number) {}

  declare(scope: Scope, id: Identifier, kind: BindingKind, extra: Partial<Binding> = {}): Binding {
    const existing = scope.vars.get(id.name);
    if (
      existing &&
      (kind === "var" || kind === "function") &&
      (existing.kind === "var" || existing.kind === "function" || existing.kind === "param")
    ) {
      this.refs.set(id, existing);
      if (extra.fnNode && !existing.fnNode) existing.fnNode = extra.fnNode;
      return existing;
    }
    const b: Binding = { name: id.name, kind, id, fn: scope.fn, reassigned: false, ...extra };
    scope.vars.set(id.name, b);
    this.refs.set(id, b);
    let list = this.owned.get(scope.fn);
    if (!list) this.owned.set(scope.fn, (list = []));
    list.push(b);
    return b;
  }

  lookup(scope: Scope | null, name: string): Binding | undefined {
    for (let s = scope; s; s = s.parent) {
      const b = s.vars.get(name);
      if (b) return b;
    }
    return undefined;
  }

  /** Declarations hoisted to the start of a block (let/const/class/function) or function (var). */
  hoist(statements: Node[], scope: Scope, functionScope: boolean): void {
    for (const s0 of statements) {
      const s = s0.type === "ExportNamedDeclaration" || s0.type === "ExportDefaultDeclaration" ? (s0.declaration ?? s0) : s0;
      if (!s) continue;
      if (s.type === "VariableDeclaration" && s.kind !== "var") {
        for (const d of s.declarations) {
          const init = d.init && unwrapExpr(d.init);
          const fnNode = d.id.type === "Identifier" && isFunction(init) ? init : undefined;
          for (const id of patternIds(d.id)) this.declare(scope, id, s.kind === "const" ? "const" : "let", fnNode ? { fnNode } : {});
        }
      } else if (s.type === "FunctionDeclaration" && s.id) {
        this.declare(scope, s.id, "function", { fnNode: s as FunctionNode }); // (a declaration has a body)
      } else if (s.type === "ClassDeclaration" && s.id) {
        this.declare(scope, s.id, "class");
      } else if (s.type === "TSEnumDeclaration" && s.id) {
        this.declare(scope, s.id, "enum");
      } else if (s.type === "ImportDeclaration" && s.importKind !== "type") {
        for (const spec of s.specifiers ?? []) {
          if (spec.type === "ImportSpecifier" && spec.importKind === "type") continue;
          const name =
            spec.type === "ImportNamespaceSpecifier"
              ? "*"
              : spec.type === "ImportDefaultSpecifier"
                ? "default"
                : spec.imported.type === "Identifier"
                  ? spec.imported.name
                  : String(spec.imported.value);
          this.declare(scope, spec.local, "import", { imported: { source: String(s.source.value), name } });
        }
      }
    }
    if (functionScope) for (const s of statements) this.hoistVars(s, scope);
  }

  hoistVars(n: Node, scope: Scope): void {
    if (!n || isFunction(n) || n.type === "ClassDeclaration" || n.type === "ClassExpression") return;
    if (n.type === "VariableDeclaration" && n.kind === "var") {
      for (const d of n.declarations) {
        const init = d.init && unwrapExpr(d.init);
        const fnNode = d.id.type === "Identifier" && isFunction(init) ? init : undefined;
        for (const id of patternIds(d.id)) this.declare(scope, id, "var", fnNode ? { fnNode } : {});
      }
    }
    eachChild(n, (c) => {
      if (
        c.type.endsWith("Statement") ||
        c.type === "VariableDeclaration" ||
        c.type === "SwitchCase" ||
        c.type === "CatchClause" ||
        c.type === "BlockStatement"
      )
        this.hoistVars(c, scope);
    });
  }

  /** Names a function expression from its context (binding, property, assignment). */
  nameFor(fn: FunctionNode, hint: string | undefined): string {
    if (fn.id?.name) return fn.id.name;
    if (hint && /^[A-Za-z_$][\w$]*$/.test(hint)) return hint;
    return `anonymous_${this.lineOf(fn.start) + 1}`;
  }

  visitFunction(fn: FunctionNode, scope: Scope, hint?: string, binding?: Binding): void {
    const name = this.nameFor(fn, hint ?? this.pendingNames.get(fn));
    const info: FunctionInfo = {
      node: fn,
      name,
      anonymous: !fn.id?.name && name.startsWith("anonymous_") && name !== hint && name !== this.pendingNames.get(fn),
      parent: scope.fn,
      binding,
    };
    this.functions.push(info);
    this.byNode.set(fn, info);
    if (!this.owned.has(fn)) this.owned.set(fn, []);
    const outer: Scope = fn.type === "FunctionExpression" && fn.id ? { parent: scope, fn, vars: new Map() } : scope;
    if (outer !== scope) this.declare(outer, fn.id!, "const", { fnNode: fn }); // (set: `outer` is its scope)
    const inner: Scope = { parent: outer, fn, vars: new Map() };
    for (const p of fn.params) for (const id of patternIds(p)) this.declare(inner, id, "param");
    for (const p of fn.params) this.visitPattern(p, inner, false);
    const body = fn.body;
    if (!body) return;
    if (body.type === "BlockStatement") {
      this.hoist(body.body, inner, true);
      for (const s of body.body) this.visit(s, inner);
    } else this.visit(body, inner);
  }

  /** A pattern: identifiers are declarations (or writes when `assign`); defaults and computed keys are visited. */
  visitPattern(p: Node | null, scope: Scope, assign: boolean): void {
    if (!p) return;
    switch (p.type) {
      case "Identifier":
        if (assign) {
          this.reference(p, scope);
          this.write(p);
        }
        return;
      case "ArrayPattern":
        for (const e of p.elements) if (e) this.visitPattern(e, scope, assign);
        return;
      case "ObjectPattern":
        for (const prop of p.properties) {
          if (prop.type === "RestElement") this.visitPattern(prop.argument, scope, assign);
          else {
            if (prop.computed) this.visit(prop.key, scope);
            this.visitPattern(prop.value, scope, assign);
          }
        }
        return;
      case "AssignmentPattern":
        this.visitPattern(p.left, scope, assign);
        this.visit(p.right, scope);
        return;
      case "RestElement":
        this.visitPattern(p.argument, scope, assign);
        return;
      case "TSParameterProperty":
        this.visitPattern(p.parameter, scope, assign);
        return;
      default:
        // A member expression as an assignment target (`a.b = …`, `[a.b] = …`).
        this.visit(p, scope);
    }
  }

  write(id: Identifier): void {
    this.writes.add(id);
    const b = this.refs.get(id);
    if (b) b.reassigned = true;
  }

  reference(id: Identifier, scope: Scope): void {
    const b = this.lookup(scope, id.name);
    if (b) this.refs.set(id, b);
    this.refFn.set(id, scope.fn);
  }

  visit(n: Node | null, scope: Scope): void {
    if (!n) return;
    if (TYPE_ONLY.has(n.type)) return;
    switch (n.type) {
      case "Identifier":
        this.reference(n, scope);
        return;
      // (Parsed function declarations and expressions have bodies: bodiless signatures are TSDeclareFunction.)
      case "FunctionDeclaration":
        this.visitFunction(n as FunctionNode, scope, undefined, n.id ? this.lookup(scope, n.id.name) : undefined);
        return;
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        this.visitFunction(n as FunctionNode, scope);
        return;
      case "ClassDeclaration":
      case "ClassExpression":
        return; // rejected by the check pass
      case "BlockStatement": {
        const s: Scope = { parent: scope, fn: scope.fn, vars: new Map() };
        this.hoist(n.body, s, false);
        for (const c of n.body) this.visit(c, s);
        return;
      }
      case "StaticBlock":
        return;
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement": {
        const s: Scope = { parent: scope, fn: scope.fn, vars: new Map() };
        const head = n.type === "ForStatement" ? n.init : n.left;
        if (head?.type === "VariableDeclaration") {
          if (head.kind !== "var")
            for (const d of head.declarations) for (const id of patternIds(d.id)) this.declare(s, id, head.kind === "const" ? "const" : "let");
          for (const d of head.declarations) {
            this.visitPattern(d.id, s, false);
            if (d.init) this.visit(d.init, s);
            if (n.type !== "ForStatement") for (const id of patternIds(d.id)) this.write(id);
          }
        } else if (head) {
          if (n.type === "ForStatement") this.visit(head, s);
          else this.visitPattern(head, s, true);
        }
        if (n.type === "ForStatement") {
          this.visit(n.test, s);
          this.visit(n.update, s);
        } else this.visit(n.right, s);
        this.visit(n.body, s);
        return;
      }
      case "SwitchStatement": {
        this.visit(n.discriminant, scope);
        const s: Scope = { parent: scope, fn: scope.fn, vars: new Map() };
        this.hoist(
          n.cases.flatMap((c) => c.consequent),
          s,
          false,
        );
        for (const c of n.cases) {
          if (c.test) this.visit(c.test, s);
          for (const x of c.consequent) this.visit(x, s);
        }
        return;
      }
      case "CatchClause": {
        const s: Scope = { parent: scope, fn: scope.fn, vars: new Map() };
        if (n.param) for (const id of patternIds(n.param)) this.declare(s, id, "catch");
        this.visit(n.body, s);
        return;
      }
      case "VariableDeclaration":
        for (const d of n.declarations) {
          this.visitPattern(d.id, scope, false);
          if (d.init) {
            const init = unwrapExpr(d.init);
            if (isFunction(init) && d.id.type === "Identifier") this.pendingNames.set(init, d.id.name);
            this.visit(d.init, scope);
          }
        }
        return;
      case "AssignmentExpression":
        if (n.left.type === "Identifier" && isFunction(unwrapExpr(n.right))) this.pendingNames.set(unwrapExpr(n.right), n.left.name);
        this.visitPattern(n.left, scope, true);
        this.visit(n.right, scope);
        return;
      case "UpdateExpression":
        if (n.argument.type === "Identifier") {
          this.reference(n.argument, scope);
          this.write(n.argument);
        } else this.visit(n.argument, scope);
        return;
      case "MemberExpression":
        this.visit(n.object, scope);
        if (n.computed) this.visit(n.property, scope);
        return;
      case "Property":
        if (n.computed) this.visit(n.key, scope);
        if (isFunction(unwrapExpr(n.value)) && !n.computed && (n.key.type === "Identifier" || n.key.type === "Literal"))
          this.pendingNames.set(unwrapExpr(n.value), String(n.key.type === "Identifier" ? n.key.name : n.key.value));
        this.visit(n.value, scope);
        return;
      case "LabeledStatement":
        this.visit(n.body, scope);
        return;
      case "BreakStatement":
      case "ContinueStatement":
      case "ImportDeclaration":
      case "MetaProperty":
        return;
      case "ExportNamedDeclaration":
        if (n.declaration) this.visit(n.declaration, scope);
        else if (!n.source) for (const spec of n.specifiers ?? []) if (spec.local?.type === "Identifier") this.reference(spec.local, scope);
        return;
      case "ExportAllDeclaration":
        return;
      case "TSEnumDeclaration":
        return;
      default:
        eachChild(n, (c) => this.visit(c, scope));
    }
  }
}

export function analyzeScopes(program: Program, lineOf: (offset: number) => number): ScopeInfo {
  const r = new Resolver(lineOf);
  const module: Scope = { parent: null, fn: null, vars: new Map() };
  r.owned.set(null, []);
  r.hoist(program.body, module, true);
  for (const s of program.body) r.visit(s, module);
  return { refs: r.refs, writes: r.writes, functions: r.functions, owned: r.owned, byNode: r.byNode, refFn: r.refFn };
}

/**
 * How run-time messages name a function, as the body of a template literal of generated code:
 * `name (${__at(line, col)})`, or for a function without a name in the source `the function at
 * ${__at(line, col)}` — never its generated name. `site` is the code of its call site (`__at(…)`,
 * the module's formatter of `file:line:col`, implicit/emit.ts).
 */
export function functionLabel(f: FunctionInfo, site: string): string {
  return f.anonymous ? `the function at \${${site}}` : `${f.name} (\${${site}})`;
}
