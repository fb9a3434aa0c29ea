// Forward mode, pass 4f — generate: the forward rule of one function of an implicit-mode file, as
// lines of TypeScript. It reads the same front-end as the reverse rule (scope, activity, callees
// in passes/implicit/) and runs after it: a file the reverse generator rejects never gets here.
//
//   function f__frule(__a: any[], __ta: any[]): [any, any] {
//     let x = __a[0];
//     let t_x = __ad.at(__ta, 0);
//     // tangent of: return tanh(x); (line 3)
//     const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", …)([x], [t_x]);
//     return [__v_tanh, __t_tanh];
//   }
//
// The function's own statements, in order, with each tracked value x followed by its tangent t_x:
// a call runs the callee's forward rule on the arguments and their tangents; property reads,
// array/object literals and destructuring build the tangent's structure beside the value's. Names
// are the reverse rule's (implicit/names.ts): a step's value and its tangent share a stem
// (`__v_matmul`, `__t_matmul`; `__v_matmul_2` for the function's second matmul); one declaration
// per line, and a `// tangent of:` comment above each statement that computes tangents.
//
// Control flow stays as written (a forward rule computes the tangent as it goes, so nothing is
// recorded); untracked code is copied as written, with tangent null. A nested function gets its
// forward rule inline, closing over the tangents of the values it captures.
import type {
  AssignmentTargetMaybeDefault,
  BindingPattern,
  CallExpression,
  ChainExpression,
  ConditionalExpression,
  Directive,
  ExpressionStatement,
  Expression,
  ForOfStatement,
  LogicalExpression,
  MemberExpression,
  ObjectExpression,
  ReturnStatement,
  Statement,
  VariableDeclarationKind,
} from "oxc-parser";
import type { Identifier, Node } from "../parse.ts";
import { analyzeActivity, topLevelActivity, type Activity } from "../implicit/activity.ts";
import { resolveCallee } from "../implicit/callees.ts";
import {
  ARITH_RULE,
  arrayMethod,
  chainText,
  firstChainLink,
  spreadParts,
  summarize,
  withNestedRules,
  wrapCall,
  type GenContext,
  type Line,
} from "../implicit/lower.ts";
import { loopHead, markOrigin } from "../implicit/generate.ts";
import { StepNames, stemOf } from "../implicit/names.ts";
import { patternIds, unwrapExpr, type Binding, type FunctionInfo } from "../implicit/scope.ts";

/** A lowered value: its primal expression and its tangent expression ("null": zero). */
interface Val {
  p: string;
  t: string;
}
const ZERO = "null";

/** How a nested function sees the bindings of the function it is generated inside. */
export interface ForwardOuter {
  isActive(b: Binding): boolean;
  tangent(b: Binding): string;
  /** The tangent names taken by the enclosing rules (a nested rule must not shadow one it reads). */
  tangentNames: Set<string>;
}

/** The declaration keyword of a target (null: an assignment). */
type Decl = VariableDeclarationKind | null;
/** What a tracked value can be bound to: a declaration's or parameter's pattern, or an assignment's target. */
type Pattern = BindingPattern | AssignmentTargetMaybeDefault;

class ForwardBuilder {
  readonly lines: Line[] = [];
  readonly act: Activity;
  private depth = 1;
  /** Stems of this rule's steps: a step's value `__v_<stem>` and its tangent `__t_<stem>` (implicit/names.ts). */
  private readonly names: StepNames;
  private readonly tangents = new Map<Binding, string>();
  private readonly tangentNames: Set<string>;
  private loopLabel = "";
  /** Objects of `?.` links already evaluated (inside the branch where they are not nullish). */
  private readonly chainObjects = new Map<Node, Val>();
  /** Calls that are links of an optional chain (`o?.f(x)`): their callee is called as a value. */
  private readonly chainCalls = new Set<Node>();

  constructor(
    readonly ctx: GenContext,
    readonly fn: FunctionInfo,
    readonly outer: ForwardOuter | null,
    readonly ruleName: string,
  ) {
    this.act = outer ? analyzeActivity(fn, ctx.scopes, (b) => outer.isActive(b)) : topLevelActivity(fn, ctx.scopes);
    this.tangentNames = outer ? outer.tangentNames : new Set();
    this.names = new StepNames(ctx.taken);
  }

  // ---- names and output -----------------------------------------------------------------

  /** A generated name of this rule: `__<role>`, `__<role>_<base>`, numbered when repeated (`__k_l`, `__i`). */
  fresh(role: string, base = ""): string {
    return this.names.fresh(role, base);
  }

  /** A fresh temporary and its tangent, sharing a stem: `__v_matmul`, `__t_matmul` (`__v_matmul_2`, … for the next). */
  pair(stem: string): Val {
    const s = this.names.stem(stem);
    return { p: `__v_${s}`, t: `__t_${s}` };
  }

  tangentOf(b: Binding | undefined): string {
    if (!b) return ZERO;
    if (b.fn !== this.fn.node) return this.outer && this.outer.isActive(b) ? this.outer.tangent(b) : ZERO;
    if (!this.act.isActiveBinding(b)) return ZERO;
    let t = this.tangents.get(b);
    if (!t) {
      // t_<name>, numbered (t_x_2) for a second binding of the same name in this function
      t = `t_${b.name}`;
      for (let i = 2; this.tangentNames.has(t) || this.ctx.taken.has(t); i++) t = `t_${b.name}_${i}`;
      this.tangentNames.add(t);
      this.tangents.set(b, t);
    }
    return t;
  }

  active(b: Binding | undefined): boolean {
    return !!b && b.fn === this.fn.node && this.act.isActiveBinding(b);
  }

  emit(text: string, origin?: number): void {
    this.lines.push({ depth: this.depth, text, origin });
  }

  site(n: Node): string {
    return this.ctx.site(n);
  }

  // ---- verbatim code, with nested function literals given their forward rules ------------

  verbatim(n: Node): string {
    return withNestedRules(this.ctx, this.fn, n, (f) => `__ad.withFrule(${this.ctx.primalText(f.node)},${this.inlineRule(f)})`);
  }

  /** The forward rule of a nested function, inline (from the next line on): it closes over this rule's tangents. */
  inlineRule(f: FunctionInfo): string {
    const outer: ForwardOuter = {
      isActive: (b) => (b.fn === this.fn.node ? this.act.isActiveBinding(b) : !!this.outer && this.outer.isActive(b)),
      tangent: (b) => this.tangentOf(b),
      tangentNames: this.tangentNames,
    };
    const lines = generateForwardRule(this.ctx, f, outer, `${f.name}__frule`);
    const pad = "  ".repeat(this.depth);
    return `\n${lines.map((l) => markOrigin(`${pad}  ${"  ".repeat(l.depth)}${l.text}`, l.origin)).join("\n")}`;
  }

  // ---- expressions ----------------------------------------------------------------------

  /** A value held in names (a temporary named after `stem` when it is an expression). */
  named(v: Val, origin: number, stem: string): Val {
    if (/^[A-Za-z_$][\w$]*$/.test(v.p) && /^[A-Za-z_$][\w$]*$/.test(v.t)) return v;
    const o = this.pair(stem);
    this.assign(o, v, "const", origin);
    return o;
  }

  /** Assigns a value to a target, then its tangent (declarations when `decl`). */
  assign(target: Val, v: Val, decl: Decl, origin: number): void {
    const d = decl ? `${decl} ` : "";
    this.emit(`${d}${target.p} = ${v.p};`, origin);
    this.emit(`${d}${target.t} = ${v.t};`, origin);
  }

  /** `let v;` and `let v̇;`, assigned below (in the branches of an `if`). */
  declare(v: Val, origin: number): void {
    this.emit(`let ${v.p};`, origin);
    this.emit(`let ${v.t};`, origin);
  }

  /** `const [y, ẏ] = frule([args], [tangents])` (y, ẏ named after `stem`; the lists on lines of their own when long), into a target when given. */
  call(frule: string, stem: string, args: Val[], origin: number, target?: { v: Val; decl: Decl }): Val {
    const o = target ? target.v : this.pair(stem);
    const head = `${!target || target.decl ? `${target?.decl ?? "const"} ` : ""}[${o.p}, ${o.t}] = ${frule}(`;
    const lists = [`[${args.map((a) => a.p).join(", ")}]`, `[${args.map((a) => a.t).join(", ")}]`];
    for (const line of wrapCall(head, lists, this.depth, true)) this.emit(line, origin);
    return o;
  }

  lower(e0: Expression, target?: { v: Val; decl: Decl }): Val {
    const e = unwrapExpr(e0);
    const done = (v: Val): Val => {
      if (!target) return v;
      if (v.p !== target.v.p || v.t !== target.v.t) this.assign(target.v, v, target.decl, e.start);
      return target.v;
    };
    const evaluated = this.chainObjects.get(e);
    if (evaluated) return done(evaluated);
    if (!this.act.isActive(e)) return done({ p: this.chainObjects.size > 0 ? this.inactiveChainText(e) : this.verbatim(e), t: ZERO });
    switch (e.type) {
      case "Identifier":
        return done({ p: e.name, t: this.tangentOf(this.ctx.scopes.refs.get(e)) });
      case "MemberExpression": {
        const chain: MemberExpression[] = [];
        let base: Expression = e;
        while (base.type === "MemberExpression" && !this.chainObjects.has(base)) {
          chain.unshift(base);
          base = unwrapExpr(base.object);
          if (base.type === "MemberExpression" && !this.act.isActive(base)) break;
        }
        const obj = this.named(this.lower(base), e.start, stemOf(base));
        const keys: string[] = [];
        let access = "";
        for (const m of chain) {
          if (!m.computed) {
            keys.push(JSON.stringify(m.property.name));
            access += `.${m.property.name}`;
            continue;
          }
          const prop = unwrapExpr(m.property);
          let key: string;
          if (prop.type === "Literal" && (typeof prop.value === "number" || typeof prop.value === "string")) key = JSON.stringify(prop.value);
          else {
            key = this.fresh("k", stemOf(prop));
            this.emit(`const ${key} = (${this.verbatim(prop)});`, prop.start);
          }
          keys.push(key);
          access += `[${key}]`;
        }
        const t = obj.t === ZERO ? ZERO : keys.length === 1 ? `__ad.at(${obj.t}, ${keys[0]})` : `__ad.tpath(${obj.t}, [${keys.join(", ")}])`;
        return done({ p: `${obj.p}${access}`, t });
      }
      case "CallExpression":
        return this.lowerCall(e, target);
      case "BinaryExpression":
      case "UnaryExpression": {
        if (e.type === "UnaryExpression" && e.operator === "+") return this.lower(e.argument, target);
        const operands = e.type === "BinaryExpression" ? [e.left as Expression, e.right] : [e.argument]; // (a private name, `#x in o`, needs a class: check.ts rejects them)
        const rule = e.type === "BinaryExpression" ? ARITH_RULE[e.operator] : "neg";
        const args = operands.map((x) => this.lower(x));
        return this.call(`__ad.fnum.${rule}`, rule, args, e.start, target);
      }
      case "ConditionalExpression":
      case "LogicalExpression":
        return done(this.lowerBranch(e));
      case "ArrayExpression": {
        const ps: string[] = [];
        const ts: string[] = [];
        for (const el of e.elements) {
          if (el && el.type === "SpreadElement") {
            const v = this.named(this.lower(el.argument), el.start, stemOf(el.argument));
            ps.push(`...${v.p}`);
            ts.push(`...__ad.tslice(${v.t}, 0, ${v.p}.length)`);
          } else {
            const v = this.lower(el as Expression); // (no holes: the reverse expansion, which runs first, rejects them in a tracked array)
            ps.push(v.p);
            ts.push(v.t);
          }
        }
        return done(this.named({ p: `[${ps.join(", ")}]`, t: `[${ts.join(", ")}]` }, e.start, "array"));
      }
      case "ObjectExpression": {
        const props = e.properties.filter((p) => p.type !== "SpreadElement");
        if (props.length < e.properties.length) return this.lowerSpreadObject(e, target);
        const ps: string[] = [];
        const ts: string[] = [];
        for (const prop of props) {
          let key: string;
          if (!prop.computed)
            key = JSON.stringify(prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "Literal" ? prop.key.value : undefined);
          else {
            key = this.fresh("k", stemOf(prop.key));
            this.emit(`const ${key} = (${this.verbatim(prop.key)});`, prop.key.start);
            key = `[${key}]`;
          }
          const v = this.lower(prop.value);
          ps.push(`${key}: ${v.p}`);
          if (v.t !== ZERO) ts.push(`${key}: ${v.t}`);
        }
        return done(this.named({ p: `{ ${ps.join(", ")} }`, t: `{ ${ts.join(", ")} }` }, e.start, "object"));
      }
      case "ChainExpression":
        return done(this.lowerChain(e));
      default:
        this.ctx.report(e, `\`${e.type}\` has no forward rule`);
        return done({ p: this.verbatim(e), t: ZERO });
    }
  }

  lowerCall(e: CallExpression, target?: { v: Val; decl: Decl }): Val {
    const callee = unwrapExpr(e.callee);
    const evaluated = this.chainObjects.get(callee);
    const member = callee.type === "MemberExpression" && !callee.computed ? callee : undefined;
    const method = evaluated || !member ? undefined : arrayMethod(this.ctx, this.act, e);
    if (member && method) {
      // xs.map(f), xs.reduce(f[, init]): f's forward rule per element (runtime/forward.ts)
      const args = [member.object, ...(e.arguments as Expression[])].map((a) => this.lower(a)); // (no spread: arrayMethod checked)
      return this.call(`${method.frule}(${this.site(member.property)})`, member.property.name, args, e.start, target);
    }
    const lowerArgs = (): Val[] =>
      e.arguments.map((a) => {
        if (a.type !== "SpreadElement") return this.lower(a);
        const v = this.named(this.lower(a.argument), a.start, stemOf(a.argument));
        return { p: `...${v.p}`, t: `...__ad.tslice(${v.t}, 0, ${v.p}.length)` };
      });
    if (evaluated || (this.chainCalls.has(e) && callee.type === "MemberExpression")) {
      // a link of an optional chain (`o?.f(x)`, `o.f?.(x)`, `f?.(x)`): the function value is read
      // (evaluated once), then called through its forward rule, as a plain function (no `this`)
      const fn = evaluated ?? this.lower(callee);
      return this.call(`__ad.fruleOf(${fn.p}, ${this.site(callee)})`, stemOf(callee), lowerArgs(), e.start, target);
    }
    const resolved = resolveCallee(e, this.ctx.scopes, (n) => this.verbatim(n));
    const args = lowerArgs();
    let frule: string;
    let stem = stemOf(callee);
    switch (resolved.kind) {
      case "op":
        frule = `__ad.fopOf(${JSON.stringify(resolved.name)}, ${this.site(callee)})`;
        stem = resolved.name;
        break;
      case "math":
        frule = `__ad.fmath.${resolved.name}`;
        stem = resolved.name;
        break;
      case "local":
        frule = `__ad.fruleOf(${resolved.binding.name}, ${this.site(callee)})`;
        stem = resolved.binding.name;
        break;
      case "runtime":
        frule = `__ad.fruleOf(${resolved.text}, ${this.site(callee)})`;
        break;
      case "object":
        frule = `__ad.fobjectOf(${JSON.stringify(resolved.name)}, ${this.site(callee)})`;
        break;
      default:
        this.ctx.report(resolved.node, resolved.reason, resolved.hint);
        return { p: "undefined", t: ZERO };
    }
    return this.call(frule, stem, args, e.start, target);
  }

  /** Source of an untracked part of an optional chain, its evaluated `?.` objects by their values. */
  inactiveChainText(e: Expression): string {
    return chainText(
      e,
      (n) => this.chainObjects.get(n)?.p,
      (n) => this.verbatim(n),
    );
  }

  /**
   * An optional chain `a?.b.c`, `o?.f(x)`, `a?.b?.[k]` with tracked values: a branch on the object
   * of its first `?.` link, evaluated once. When it is nullish the chain is undefined (tangent
   * null); otherwise the chain is lowered as written, the link's object replaced by its value
   * (the chain's next `?.` link is the next branch).
   */
  lowerChain(e: ChainExpression): Val {
    const first = firstChainLink(e, (n) => this.chainObjects.has(n), this.chainCalls);
    if (!first) return this.lower(e.expression);
    const { link, object: objNode } = first;
    const obj = this.named(this.lower(objNode), objNode.start, stemOf(objNode));
    const r = this.pair("chain");
    this.declare(r, e.start);
    this.emit(`if (${obj.p} === null || ${obj.p} === undefined) {`, link.start);
    this.depth++;
    this.assign(r, { p: "undefined", t: ZERO }, null, link.start);
    this.depth--;
    this.emit("} else {");
    this.depth++;
    this.chainObjects.set(objNode, obj);
    this.assign(r, this.lowerChain(e), null, e.start);
    this.chainObjects.delete(objNode);
    this.depth--;
    this.emit("}");
    return r;
  }

  /**
   * An object literal with spreads, `{ ...p, c: x, ...q }`: the runs of properties are object
   * literals, and the parts are joined by `__ad.fobjectSpread([p, { c: x }, q], [ṗ, { c: ẋ }, q̇])`
   * (a later key overrides an earlier one, its tangent too).
   */
  lowerSpreadObject(e: ObjectExpression, target?: { v: Val; decl: Decl }): Val {
    const parts = spreadParts(e).map((part): Val => {
      if (part.type !== "ObjectExpression" || this.act.isActive(part)) return this.lower(part);
      return { p: `{ ${part.properties.map((p) => this.verbatim(p)).join(", ")} }`, t: ZERO };
    });
    return this.call("__ad.fobjectSpread", "spread", parts, e.start, target);
  }

  /** `c ? a : b`, `a && b`, `a || b`, `a ?? b` choosing tracked values. */
  lowerBranch(e: ConditionalExpression | LogicalExpression): Val {
    const r = this.pair("pick");
    this.declare(r, e.start);
    const branch = (x: Expression) => {
      this.depth++;
      this.lower(x, { v: r, decl: null });
      this.depth--;
    };
    if (e.type === "ConditionalExpression") {
      this.emit(`if (${this.verbatim(e.test)}) {`, e.start);
      branch(e.consequent);
    } else {
      const left = this.named(this.lower(e.left), e.start, stemOf(e.left));
      const test = e.operator === "&&" ? `!${left.p}` : e.operator === "||" ? left.p : `${left.p} !== null && ${left.p} !== undefined`;
      this.emit(`if (${test}) {`, e.start);
      this.depth++;
      this.assign(r, left, null, e.start);
      this.depth--;
    }
    this.emit("} else {");
    branch(e.type === "ConditionalExpression" ? e.alternate : e.right);
    this.emit("}");
    return r;
  }

  // ---- patterns -------------------------------------------------------------------------

  /** Binds a pattern to a tracked value held in names (a declaration when `decl`). */
  bindPattern(pat: Pattern, v: Val, decl: Decl): void {
    const d = decl ? `${decl} ` : "";
    const element = (el: Pattern, p: string, t: string) => {
      if (el.type === "Identifier") {
        const b = this.ctx.scopes.refs.get(el);
        if (this.active(b)) this.assign({ p: el.name, t: this.tangentOf(b) }, { p, t }, decl, el.start);
        else this.emit(`${d}${el.name} = ${p};`, el.start);
        return;
      }
      if (el.type === "AssignmentPattern") {
        // a default for a missing element (its tangent is the default's, i.e. zero for a constant)
        const o = this.pair(stemOf(el.left));
        this.assign(o, { p: `${p} === undefined ? (${this.verbatim(el.right)}) : ${p}`, t: `${p} === undefined ? null : ${t}` }, "const", el.start);
        element(el.left, o.p, o.t);
        return;
      }
      const o = this.pair("part");
      this.assign(o, { p, t }, "const", el.start);
      this.bindPattern(el, o, decl);
    };
    switch (pat.type) {
      case "Identifier":
        element(pat, v.p, v.t);
        return;
      case "ArrayPattern":
        pat.elements.forEach((el, i) => {
          if (!el) return;
          if (el.type === "RestElement")
            element(el.argument, `${v.p}.slice(${i})`, v.t === ZERO ? ZERO : `__ad.tslice(${v.t}, ${i}, ${v.p}.length - ${i})`);
          else element(el, `${v.p}[${i}]`, v.t === ZERO ? ZERO : `__ad.at(${v.t}, ${i})`);
        });
        return;
      case "ObjectPattern":
        for (const prop of pat.properties) {
          if (prop.type === "RestElement") {
            this.ctx.report(
              prop,
              "rest properties (`...rest`) of a tracked object have no forward rule",
              "destructure the properties you need by name",
            );
            continue;
          }
          let key: string;
          let access: string;
          if (prop.computed) {
            key = this.fresh("k", stemOf(prop.key));
            this.emit(`const ${key} = (${this.verbatim(prop.key)});`, prop.key.start);
            access = `[${key}]`;
          } else {
            const name = prop.key.type === "Identifier" ? prop.key.name : String(prop.key.type === "Literal" ? prop.key.value : undefined);
            key = JSON.stringify(name);
            access = /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${key}]`;
          }
          element(prop.value, `${v.p}${access}`, v.t === ZERO ? ZERO : `__ad.at(${v.t}, ${key})`);
        }
        return;
      default:
        this.ctx.report(pat, "this assignment target cannot receive tracked values", "assign to a variable");
    }
  }

  /** Sets the tangents of the active bindings among `ids` to zero (they were assigned constants). */
  zero(ids: Identifier[], decl: Decl, origin: number): void {
    const ts = ids
      .map((id) => this.ctx.scopes.refs.get(id))
      .filter((b) => this.active(b))
      .map((b) => this.tangentOf(b));
    if (ts.length === 0) return;
    if (decl) for (const t of ts) this.emit(`${decl} ${t} = null;`, origin);
    else this.emit(`${ts.join(" = ")} = null;`, origin);
  }

  // ---- statements -----------------------------------------------------------------------

  hoisted(statements: (Directive | Statement)[]): void {
    for (const s0 of statements) {
      const s = s0.type === "ExportNamedDeclaration" ? s0.declaration : s0;
      if (s?.type !== "FunctionDeclaration" || !s.id) continue;
      const f = this.ctx.scopes.byNode.get(s);
      if (f && !this.ctx.handWritten.has(s)) this.emit(`__ad.withFrule(${s.id.name},${this.inlineRule(f)});`, s.start);
    }
  }

  block(statements: (Directive | Statement)[]): void {
    this.hoisted(statements);
    for (const s of statements) this.stmt(s);
  }

  braced(head: string, body: Statement, origin: number, tail = "}"): void {
    const label = this.loopLabel;
    this.loopLabel = "";
    this.emit(`${label}${head} {`, origin);
    this.depth++;
    this.block(body.type === "BlockStatement" ? body.body : [body]);
    this.depth--;
    this.emit(tail);
  }

  /** `// tangent of: <the statement> (line N)` above a statement that computes tangents, cut to keep the line under ~120 characters. */
  comment(s: Directive | Statement): void {
    const tail = ` (line ${this.ctx.p.index.position(s.start).line})`;
    this.emit(`// tangent of: ${summarize(this.ctx.p.source, s, Math.max(30, 118 - 2 * this.depth - 15 - tail.length))}${tail}`);
  }

  /** Whether a statement computes tangents (the others are copied as written, or are control flow around statements that do). */
  computesTangents(s: Directive | Statement): boolean {
    switch (s.type) {
      case "VariableDeclaration":
        return s.declarations.some((d) => d.init && this.act.isActive(d.init));
      case "ReturnStatement":
        return this.act.isActive(s.argument);
      case "ExpressionStatement": {
        const e = unwrapExpr(s.expression);
        if (e.type !== "AssignmentExpression" || e.left.type === "MemberExpression") return false;
        return this.act.isActive(e.right) || (e.left.type === "Identifier" && this.active(this.ctx.scopes.refs.get(e.left)));
      }
      case "ForOfStatement":
        return this.act.isActive(s.right);
      default:
        return false;
    }
  }

  stmt(s: Directive | Statement): void {
    const src = this.ctx.p.source;
    if (this.computesTangents(s)) this.comment(s);
    switch (s.type) {
      case "VariableDeclaration":
        for (const d of s.declarations) {
          const ids = patternIds(d.id);
          if (!d.init || !this.act.isActive(d.init)) {
            this.emit(
              d.init ? `${s.kind} ${src.slice(d.id.start, d.id.end)} = ${this.verbatim(d.init)};` : `${s.kind} ${src.slice(d.id.start, d.id.end)};`,
              d.start,
            );
            this.zero(ids, s.kind, d.start);
          } else if (d.id.type === "Identifier") {
            const b = this.ctx.scopes.refs.get(d.id);
            if (!this.active(b)) this.emit(`${s.kind} ${d.id.name} = ${this.verbatim(d.init)};`, d.start);
            else this.lower(d.init, { v: { p: d.id.name, t: this.tangentOf(b) }, decl: s.kind });
          } else {
            const v = this.named(this.lower(d.init), d.start, stemOf(d.init));
            this.bindPattern(d.id, v, s.kind);
          }
        }
        return;
      case "ExpressionStatement":
        this.expressionStatement(s);
        return;
      case "ReturnStatement": {
        if (!s.argument || !this.act.isActive(s.argument)) {
          this.emit(`return [${s.argument ? this.verbatim(s.argument) : "undefined"}, null];`, s.start);
          return;
        }
        const v = this.lower(s.argument);
        this.emit(`return [${v.p}, ${v.t}];`, s.start);
        return;
      }
      case "IfStatement":
        this.emit(`if (${this.verbatim(s.test)}) {`, s.start);
        this.depth++;
        this.block(s.consequent.type === "BlockStatement" ? s.consequent.body : [s.consequent]);
        this.depth--;
        if (s.alternate) {
          this.emit("} else {");
          this.depth++;
          this.block(s.alternate.type === "BlockStatement" ? s.alternate.body : [s.alternate]);
          this.depth--;
        }
        this.emit("}");
        return;
      case "ForStatement":
      case "ForInStatement":
        this.braced(loopHead(src, s), s.body, s.start);
        return;
      case "WhileStatement":
        this.braced(`while (${this.verbatim(s.test)})`, s.body, s.start);
        return;
      case "DoWhileStatement":
        this.braced("do", s.body, s.start, `} while (${this.verbatim(s.test)});`);
        return;
      case "ForOfStatement":
        this.forOf(s);
        return;
      case "BlockStatement":
        this.braced("", s, s.start);
        return;
      case "SwitchStatement":
        this.emit(`switch (${this.verbatim(s.discriminant)}) {`, s.start);
        this.depth++;
        this.hoisted(s.cases.flatMap((c) => c.consequent));
        for (const c of s.cases) {
          this.emit(c.test ? `case ${this.verbatim(c.test)}:` : "default:", c.start);
          this.depth++;
          c.consequent.forEach((x) => this.stmt(x));
          this.depth--;
        }
        this.depth--;
        this.emit("}");
        return;
      case "LabeledStatement":
        if (/^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(s.body.type)) {
          this.loopLabel = `${s.label.name}: `;
          this.stmt(s.body);
        } else {
          this.emit(`${s.label.name}: {`, s.start);
          this.depth++;
          this.stmt(s.body);
          this.depth--;
          this.emit("}");
        }
        return;
      case "FunctionDeclaration":
        this.emit(this.ctx.primalText(s), s.start);
        return;
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
        return;
      default:
        this.emit(this.verbatim(s), s.start);
    }
  }

  expressionStatement(s: ExpressionStatement): void {
    const e = unwrapExpr(s.expression);
    if (e.type === "AssignmentExpression" && e.left.type === "Identifier") {
      const b = this.ctx.scopes.refs.get(e.left);
      if (!this.active(b)) {
        this.emit(`${this.verbatim(e)};`, s.start);
        return;
      }
      const target = { p: e.left.name, t: this.tangentOf(b) };
      if (e.operator === "=") {
        this.lower(e.right, { v: target, decl: null });
        return;
      }
      const args = [target, this.lower(e.right)];
      const rule = ARITH_RULE[e.operator.slice(0, -1)];
      this.call(`__ad.fnum.${rule}`, rule, args, s.start, { v: target, decl: null });
      return;
    }
    if (e.type === "AssignmentExpression" && e.left.type !== "MemberExpression") {
      // destructuring assignment
      if (!this.act.isActive(e.right)) {
        this.emit(`(${this.verbatim(e)});`, s.start);
        this.zero(patternIds(e.left), null, s.start);
        return;
      }
      const v = this.named(this.lower(e.right), s.start, stemOf(e.right));
      this.bindPattern(e.left, v, null);
      return;
    }
    this.emit(`${this.verbatim(e)};`, s.start);
  }

  forOf(s: ForOfStatement): void {
    const src = this.ctx.p.source;
    if (!this.act.isActive(s.right)) {
      this.braced(loopHead(src, s), s.body, s.start);
      return;
    }
    // for (const x of xs) over tracked values: an indexed loop reading each element's tangent too.
    const list = this.named(this.lower(s.right), s.right.start, stemOf(s.right));
    const i = this.fresh("i");
    const label = this.loopLabel;
    this.loopLabel = "";
    this.emit(`${label}for (let ${i} = 0; ${i} < ${list.p}.length; ${i}++) {`, s.start);
    this.depth++;
    const left = s.left.type === "VariableDeclaration" ? s.left.declarations[0].id : s.left;
    const decl: Decl = s.left.type === "VariableDeclaration" ? s.left.kind : null;
    this.bindPattern(left, { p: `${list.p}[${i}]`, t: list.t === ZERO ? ZERO : `__ad.at(${list.t}, ${i})` }, decl);
    this.block(s.body.type === "BlockStatement" ? s.body.body : [s.body]);
    this.depth--;
    this.emit("}");
  }

  // ---- the rule -------------------------------------------------------------------------

  build(): Line[] {
    const node = this.fn.node;
    node.params.forEach((p, i) => {
      const arg = `__a[${i}]`;
      const tan = `__ad.at(__ta, ${i})`;
      if (p.type === "RestElement") {
        const v = { p: `__a.slice(${i})`, t: `__ad.tslice(__ta, ${i}, __a.length - ${i})` };
        if (p.argument.type === "Identifier") this.bindPattern(p.argument, v, "let");
        else this.bindPattern(p.argument, this.named(v, p.start, `arg${i}`), "let");
        return;
      }
      const base = p.type === "TSParameterProperty" ? p.parameter : p;
      if (base.type === "AssignmentPattern") {
        // a default, possibly computed from tracked values (`y = x`): its tangent then too
        const v = this.pair(`arg${i}`);
        this.declare(v, p.start);
        this.emit(`if (${arg} === undefined) {`, base.right.start);
        this.depth++;
        this.lower(base.right, { v, decl: null });
        this.depth--;
        this.emit("} else {");
        this.depth++;
        this.assign(v, { p: arg, t: tan }, null, p.start);
        this.depth--;
        this.emit("}");
        this.bindPattern(base.left, v, "let");
        return;
      }
      if (base.type === "Identifier") this.bindPattern(base, { p: arg, t: tan }, "let");
      else this.bindPattern(base, this.named({ p: arg, t: tan }, p.start, `arg${i}`), "let");
    });
    const body = node.body;
    if (body.type === "BlockStatement") {
      this.block(body.body);
      if (body.body[body.body.length - 1]?.type !== "ReturnStatement") this.emit("return [undefined, null];");
    } else {
      const ret: ReturnStatement = { type: "ReturnStatement", argument: body, start: body.start, end: body.end };
      this.stmt(ret);
    }
    return [
      { depth: 0, text: `function ${this.ruleName}(__a: any[], __ta: any[]): [any, any] {`, origin: node.start },
      ...this.lines,
      { depth: 0, text: "}" },
    ];
  }
}

/** The forward rule of `fn` as lines (`function <ruleName>(__a, __ta) { … }`). */
export function generateForwardRule(ctx: GenContext, fn: FunctionInfo, outer: ForwardOuter | null, ruleName: string): Line[] {
  return new ForwardBuilder(ctx, fn, outer, ruleName).build();
}
