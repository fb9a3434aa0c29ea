// Implicit mode, pass 4a — lower: a function's expressions flattened into steps (reverse.ts).
// An active expression becomes steps whose results are operands — a variable or a single-use
// temporary — with its forward code emitted as it goes; an inactive one is copied as written
// (with the rules of the function literals inside it). The statements, and the assembly of the
// rule, are in generate.ts, which extends this class.
import type {
  CallExpression,
  ChainExpression,
  ConditionalExpression,
  Expression,
  LogicalExpression,
  MemberExpression,
  ObjectExpression,
  ObjectProperty,
  SpreadElement,
  VariableDeclarationKind,
} from "oxc-parser";
import { eachChild, type Identifier, type Node, type Parsed } from "../parse.ts";
import { analyzeActivity, METADATA, topLevelActivity, type Activity } from "./activity.ts";
import { resolveCallee, tensorStatic } from "./callees.ts";
import { AdjointNames, StepNames, stemOf } from "./names.ts";
import { isActiveOp, opText, type Active, type Operand, type Step, type Unit } from "./reverse.ts";
import { isFunction, unwrapExpr, type Binding, type FunctionInfo, type ScopeInfo } from "./scope.ts";

export interface Line {
  depth: number;
  text: string;
  /** Source offset this line stands for (stack traces). */
  origin?: number;
  /** A unit's tape push, rendered only in tape mode. */
  save?: Unit;
}

export interface GenContext {
  p: Parsed;
  scopes: ScopeInfo;
  report(node: { start: number; end: number }, reason: string, hint?: string): void;
  /** Functions that get their rule from nonDifferentiable / customVjp / defineRrule: none is generated. */
  handWritten: Set<Node>;
  /** Source text of a node (or a range) with the primal-context insertions strictly inside it. */
  primalText(node: { start: number; end: number }): string;
  /** Marks that generated code refers to the op rules (`__ops`). */
  useOps(): void;
  /** Code giving the string "file:line:col" of a node: `__at(line, col)` (the module's formatter, implicit/emit.ts). */
  site(node: Node): string;
  /** Names used anywhere in the file (generated names avoid them). */
  taken: Set<string>;
}

/** How a nested function sees the bindings of the function it is generated inside. */
export interface Outer {
  isActive(b: Binding): boolean;
  /** The cotangent names of the enclosing rule (a nested rule's own are unique among them). */
  adjointNames: AdjointNames;
  adjoint(b: Binding): string;
  /** The "pullback running" flag of the rule that owns b, and that function's name (a template-literal body, functionLabel). */
  reversing(b: Binding): { flag: string; name: string };
}

export interface Target {
  op: Active;
  /** Declaration keyword when the statement declares the binding. */
  decl: VariableDeclarationKind | null;
}

export const ARITH_RULE: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "%": "mod" };
const ARRAY_LOOPS = new Set(["forEach", "reduceRight", "filter", "flatMap", "some", "every", "find", "findIndex"]);
/** Array methods with a rule over tracked values (runtime/implicit.ts) and a forward rule (runtime/forward.ts), and their argument counts. */
const ARRAY_RULES: Record<string, { rule: string; frule: string; args: number[] }> = {
  map: { rule: "__ad.arrayMap", frule: "__ad.farrayMap", args: [1] },
  reduce: { rule: "__ad.arrayReduce", frule: "__ad.farrayReduce", args: [1, 2] },
};
export const MUTATING_METHODS = new Set([
  "push",
  "pop",
  "shift",
  "unshift",
  "splice",
  "set",
  "fill",
  "copyWithin",
  "sort",
  "reverse",
  "delete",
  "clear",
  "add",
]);

export function summarize(source: string, n: Node, max = 80): string {
  const s = source.slice(n.start, n.end).replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The forward of a rule under construction: names, emitted lines, units, and expressions. */
export abstract class Lowering {
  readonly lines: Line[] = [];
  readonly units: Unit[] = [];
  readonly act: Activity;
  readonly adjoints = new Map<Binding, Active>();
  /** Pseudo-bindings (pattern parameters, for-of arrays, branch results): summed cotangents. */
  readonly pseudo: Active[] = [];
  readonly temps: Active[] = [];
  readonly names: StepNames;
  readonly adjointNames: AdjointNames;
  protected cur: Unit | null = null;
  protected depth = 1;
  protected returns: { depth: number; last: boolean }[] = [];
  /** The top-level statement (or parameter pattern) each group of units comes from (Unit.group). */
  protected readonly groups: Node[] = [];
  readonly pullbackName: string;
  /**
   * Set while this rule's pullback runs; declared once a nested function capturing this rule's
   * tracked values is given an inline rule. That closure's pullback adds cotangents to this
   * rule's variables, which only counts while this pullback runs (it resets them on entry and
   * returns them on exit): a closure that escaped (was returned) and is differentiated in the
   * caller's reverse would lose them, so its pullback throws instead (escapedClosure).
   */
  protected reversingFlag: string | null = null;
  /** Objects of `?.` links already evaluated (inside the branch where they are not nullish). */
  protected readonly chainObjects = new Map<Node, Operand>();
  /** Calls that are links of an optional chain (`o?.f(x)`): their callee is called as a value. */
  protected readonly chainCalls = new Set<Node>();

  constructor(
    readonly ctx: GenContext,
    readonly fn: FunctionInfo,
    readonly outer: Outer | null,
    readonly ruleName: string,
  ) {
    this.act = outer ? analyzeActivity(fn, ctx.scopes, (b) => outer.isActive(b)) : topLevelActivity(fn, ctx.scopes);
    this.names = new StepNames(ctx.taken);
    this.adjointNames = outer ? outer.adjointNames : new AdjointNames(ctx.taken);
    let pullbackName = `${fn.name}_pullback`;
    while (ctx.taken.has(pullbackName)) pullbackName += "_"; // a function of the file may have the name
    this.pullbackName = pullbackName;
  }

  // ---- names ----------------------------------------------------------------------------

  /** A generated name of this rule: `__<role>`, `__<role>_<base>`, numbered when repeated. */
  fresh(role: string, base = ""): string {
    return this.names.fresh(role, base);
  }

  adjointOf(b: Binding): string {
    if (b.fn !== this.fn.node) return this.outer!.adjoint(b);
    let a = this.adjoints.get(b);
    if (!a) {
      a = { name: b.name, adj: this.adjointNames.of(b.name), kind: "acc" };
      this.adjoints.set(b, a);
    }
    return a.adj;
  }

  bindingOp(b: Binding): Active {
    return { name: b.name, adj: this.adjointOf(b), kind: "acc" };
  }

  /** A single-use temporary `__v_<stem>` (its cotangent `__d_<stem>` is assigned, not summed). */
  temp(stem: string): Active {
    const s = this.names.stem(stem);
    const t: Active = { name: `__v_${s}`, adj: `__d_${s}`, kind: "temp" };
    this.temps.push(t);
    return t;
  }

  /** A value read more than once (a pattern parameter, a for-of list, a branch result): cotangents summed. */
  pseudoOp(stem: string): Active {
    const s = this.names.stem(stem);
    const t: Active = { name: `__v_${s}`, adj: `__d_${s}`, kind: "acc" };
    this.pseudo.push(t);
    return t;
  }

  reversing(): string {
    if (!this.reversingFlag) {
      let name = "__reversing";
      for (let i = 1; this.ctx.taken.has(name); i++) name = `__reversing${i}`;
      this.ctx.taken.add(name);
      this.reversingFlag = name;
    }
    return this.reversingFlag;
  }

  // ---- output ---------------------------------------------------------------------------

  emit(text: string, origin?: number): void {
    this.lines.push({ depth: this.depth, text, origin });
  }

  unit(origin: Node): Unit {
    if (!this.cur) {
      this.cur = { id: this.units.length + 1, origin, steps: [], saved: [], depth: this.depth - 1, group: this.groups.length - 1 };
      this.units.push(this.cur);
    }
    return this.cur;
  }

  /** Starts the units of a top-level statement or parameter pattern: the tape, if any, is per group. */
  startGroup(origin: Node): void {
    this.groups.push(origin);
  }

  closeUnit(): void {
    if (!this.cur) return;
    if (this.cur.steps.length > 0) this.lines.push({ depth: this.depth, text: "", save: this.cur });
    else this.units.splice(this.units.indexOf(this.cur), 1);
    this.cur = null;
  }

  error(node: { start: number; end: number }, reason: string, hint?: string): Active {
    this.ctx.report(node, reason, hint);
    return this.temp("error");
  }

  site(n: Node): string {
    return this.ctx.site(n);
  }

  // ---- verbatim code (inactive), with nested functions given their rules ----------------

  /** Source of an inactive node; nested function literals inside it are registered with rules. */
  verbatim(n: Node): string {
    return withNestedRules(this.ctx, this.fn, n, (f) => `__ad.withRule(${this.ctx.primalText(f.node)},${this.inlineRule(f)})`);
  }

  /**
   * Source of an expression whose value carries no derivative — a test (of if, while, do,
   * switch, case, a ternary), an untracked operand, declaration or result — verbatim, each read
   * of a tracked binding in it wrapped `__ad.primalOf(s)`. While a second derivative is taken the
   * tracked values carry tangents (DualNumber): `s > 0` and `s === 0` compare the values
   * themselves. Reads of a shape (a member path through `.shape`, `.size`, `.ndim`, `.dtype` or
   * `.length`: `p.blocks.length`, `ws[i].length`, `x.shape[0]`) stay as written; a function literal
   * inside is given its rule, as verbatim does (its own rule reads what it captures).
   */
  valueText(n: Node): string {
    const { refs, writes } = this.ctx.scopes;
    const pieces: { node: Node; text: () => string }[] = [];
    const shorthand = shorthandValues(n);
    const visit = (x: Node): void => {
      if (isFunction(x)) {
        pieces.push({ node: x, text: () => this.verbatim(x) });
        return;
      }
      if (x.type === "CallExpression") this.checkConstantBuilder(x);
      if (x.type === "Identifier") {
        const b = refs.get(x);
        if (b && !writes.has(x) && this.act.isActiveBinding(b)) {
          const read = sliceWithEdits(this.ctx, x.start, x.end);
          pieces.push({ node: x, text: () => `${shorthand.has(x.start) ? `${read}: ` : ""}__ad.primalOf(${read})` });
        }
        return;
      }
      if (x.type === "MemberExpression") {
        const chain: MemberExpression[] = [];
        let base: Node = x;
        while (base.type === "MemberExpression") {
          chain.push(base);
          base = unwrapExpr(base.object);
        }
        if (chain.some((m) => !m.computed && METADATA.has(m.property.name))) {
          for (const m of chain) if (m.computed) visit(m.property);
          if (base.type !== "Identifier") visit(base);
          return;
        }
      }
      eachChild(x, visit);
    };
    visit(n);
    if (pieces.length === 0) return this.verbatim(n);
    let out = "";
    let at = n.start;
    for (const p of pieces) {
      out += sliceWithEdits(this.ctx, at, p.node.start) + p.text();
      at = p.node.end;
    }
    return out + sliceWithEdits(this.ctx, at, n.end);
  }

  /**
   * Tensor.full and Tensor.from build constants: a value given to them that depends on the
   * differentiable inputs would get no gradient, silently — an error instead. (Their shapes, and
   * the other statics' arguments, carry no gradient.) valueText checks each call it copies.
   */
  checkConstantBuilder(call: CallExpression): void {
    const name = tensorStatic(call.callee, this.ctx.scopes);
    const value = name === "Tensor.full" ? call.arguments[1] : name === "Tensor.from" ? call.arguments[0] : undefined;
    if (value && this.act.isVaried(value.type === "SpreadElement" ? value.argument : value))
      this.error(
        value,
        `${name} builds a constant: the tracked value \`${summarize(this.ctx.p.source, value, 40)}\` given to it would get no gradient`,
        "build the tensor with ops (mulScalar(Tensor.ones(shape), s) for a filled one), or pass stopGradient(…) when no gradient should flow",
      );
  }

  // ---- expressions ----------------------------------------------------------------------

  /** Lowers an expression; active results come back as an operand holding the value. */
  lower(e0: Expression, stmt: Node, target?: Target): Operand {
    const e = unwrapExpr(e0);
    const evaluated = this.chainObjects.get(e);
    if (evaluated) return evaluated;
    if (!this.act.isActive(e)) return { text: this.chainObjects.size > 0 ? this.inactiveChainText(e) : this.valueText(e) };
    const u = () => this.unit(stmt);
    const out = (stem: string): Active => (target ? target.op : this.temp(stem));
    const decl = (o: Active): string => (target && o === target.op ? (target.decl ? `${target.decl} ` : "") : "const ");
    switch (e.type) {
      case "Identifier": {
        const src = this.bindingOp(this.ctx.scopes.refs.get(e)!);
        if (!target) return src;
        if (target.op.name === src.name && target.op.adj === src.adj) return src;
        u().steps.push({ k: "copy", out: target.op, src, origin: e.start });
        this.emit(`${decl(target.op)}${target.op.name} = ${src.name};`, e.start);
        return target.op;
      }
      case "MemberExpression": {
        // A chain of reads (`p.attn.wqkv`, `p.blocks[l].mlp`) is one step: one value read through
        // a path, whose cotangent is routed back along the same path.
        const chain: MemberExpression[] = [];
        let base: Expression = e;
        while (base.type === "MemberExpression" && !this.chainObjects.has(base)) {
          if (!base.computed && base.property.name === "data") {
            return this.error(
              base.property,
              "reading `.data` of a tracked tensor loses its gradient",
              "use an op (pick, sum, …) to read values, or stopGradient(x).data when no gradient should flow",
            );
          }
          chain.unshift(base);
          base = unwrapExpr(base.object);
          if (base.type === "MemberExpression" && !this.act.isActive(base)) break;
        }
        const obj = this.lower(base, stmt);
        if (!isActiveOp(obj)) return { text: this.verbatim(e) };
        const keys: string[] = [];
        let access = "";
        for (const m of chain) {
          if (!m.computed) {
            keys.push(JSON.stringify(m.property.name));
            access += `.${m.property.name}`;
            continue;
          }
          const prop = unwrapExpr(m.property);
          // A key computed from tracked numbers (`xs[i]`, i a number parameter) is an index: the
          // value read does not change under a small change of i, so it gets no cotangent.
          let key: string;
          if (prop.type === "Literal" && (typeof prop.value === "number" || typeof prop.value === "string")) key = JSON.stringify(prop.value);
          else {
            key = this.fresh("k", stemOf(prop));
            this.emit(`const ${key} = (${this.valueText(prop)});`, prop.start);
            u().saved.push(key);
          }
          keys.push(key);
          access += `[${key}]`;
        }
        const o = out(stemOf(e));
        u().steps.push({ k: "get", out: o, obj, key: keys.length === 1 ? keys[0] : `[${keys.join(", ")}]`, path: keys.length > 1, origin: e.start });
        this.emit(`${decl(o)}${o.name} = ${obj.name}${access};`, e.start);
        return o;
      }
      case "CallExpression":
        return this.lowerCall(e, stmt, target);
      case "BinaryExpression":
      case "UnaryExpression": {
        if (e.type === "UnaryExpression" && e.operator === "+") return this.lower(e.argument, stmt, target);
        // (A private name, `#x in o`, needs a class: check.ts rejects them.)
        const operands = e.type === "BinaryExpression" ? [e.left as Expression, e.right] : [e.argument];
        const rule = e.type === "BinaryExpression" ? ARITH_RULE[e.operator] : "neg";
        const args = operands.map((x) => this.lower(x, stmt));
        return this.callStep(`__ad.num.${rule}`, rule, args, e, stmt, target);
      }
      case "ConditionalExpression":
      case "LogicalExpression":
        return this.lowerBranch(e, stmt, target);
      case "ArrayExpression": {
        const items: { op: Operand; len?: string }[] = [];
        for (const el of e.elements) {
          if (el === null) return this.error(e, "holes in an array literal with tracked values are not supported", "write `undefined` explicitly");
          if (el.type === "SpreadElement") {
            const op = this.lower(el.argument, stmt);
            const len = this.fresh("n", stemOf(el.argument));
            this.emit(`const ${len} = ${opText(op)}.length;`, el.start);
            u().saved.push(len);
            items.push({ op, len });
          } else items.push({ op: this.lower(el, stmt) });
        }
        const o = out("array");
        u().steps.push({ k: "array", out: o, items, origin: e.start });
        this.emit(`${decl(o)}${o.name} = [${items.map((i) => (i.len ? `...${opText(i.op)}` : opText(i.op))).join(", ")}];`, e.start);
        return o;
      }
      case "ObjectExpression": {
        if (e.properties.some((p) => p.type === "SpreadElement")) return this.lowerSpreadObject(e, stmt, target);
        const props: { key: string; op: Operand }[] = [];
        for (const p of e.properties as ObjectProperty[]) {
          // (no spread: checked above)
          if (p.kind === "get" || p.kind === "set")
            return this.error(
              p,
              "getters and setters on tracked values are not supported",
              "compute the value in the function and store it as a plain property",
            );
          if (p.method) return this.error(p, "methods in an object literal with tracked values are not supported", "write `name: (x) => …`");
          let key: string;
          if (!p.computed) key = JSON.stringify(p.key.type === "Identifier" ? p.key.name : p.key.type === "Literal" ? p.key.value : undefined);
          else {
            key = this.fresh("k", stemOf(p.key));
            this.emit(`const ${key} = (${this.valueText(p.key)});`, p.key.start);
            u().saved.push(key);
          }
          props.push({ key, op: this.lower(p.value, stmt) });
        }
        const o = out("object");
        u().steps.push({ k: "object", out: o, props, origin: e.start });
        this.emit(
          `${decl(o)}${o.name} = { ${props.map((p) => `${p.key.startsWith('"') ? p.key : `[${p.key}]`}: ${opText(p.op)}`).join(", ")} };`,
          e.start,
        );
        return o;
      }
      case "NewExpression":
        return this.error(e, "constructing an object from tracked values (`new`) is not differentiable", "call a function or an op instead");
      case "AssignmentExpression":
      case "SequenceExpression":
      case "UpdateExpression":
        return this.error(
          e,
          `${e.type === "SequenceExpression" ? "a comma expression" : e.type === "UpdateExpression" ? "`++`/`--`" : "an assignment"} inside an expression is not supported on tracked values`,
          "write it as its own statement",
        );
      case "AwaitExpression":
      case "YieldExpression":
        return this.error(e, `\`${e.type === "AwaitExpression" ? "await" : "yield"}\` is not supported in differentiated functions`);
      case "ChainExpression":
        return this.lowerChain(e, stmt, target);
      case "TaggedTemplateExpression":
        return this.error(e, "a tagged template with tracked values is not differentiable");
      default:
        return this.error(e, `\`${summarize(this.ctx.p.source, e, 40)}\` (${e.type}) is not supported on tracked values`);
    }
  }

  /** A call of `rule`; `stem` names its pullback `__pb_<stem>` (and its value `__v_<stem>`). */
  callStep(rule: string, stem: string, args: Operand[], e: Node, stmt: Node, target?: Target): Active {
    const u = this.unit(stmt);
    const direct = target && target.decl !== null;
    const s = this.names.stem(stem);
    const o = direct ? target!.op : { name: `__v_${s}`, adj: `__d_${s}`, kind: "temp" as const };
    if (!direct) this.temps.push(o);
    const pb = `__pb_${s}`;
    u.saved.push(pb);
    u.steps.push({ k: "call", out: o, pb, args, origin: e.start });
    const call = wrapCall(`${direct ? target!.decl : "const"} [${o.name}, ${pb}] = ${rule}(`, args.map(opText), this.depth);
    this.emit(call.join(`\n${"  ".repeat(this.depth)}`), e.start);
    if (target && !direct) {
      u.steps.push({ k: "copy", out: target.op, src: o, origin: e.start });
      this.emit(`${target.op.name} = ${o.name};`, e.start);
      return target.op;
    }
    return o;
  }

  lowerCall(e: CallExpression, stmt: Node, target?: Target): Operand {
    const callee = unwrapExpr(e.callee);
    const evaluated = this.chainObjects.get(callee);
    const member = callee.type === "MemberExpression" && !callee.computed ? callee : undefined;
    const method = evaluated || !member ? undefined : arrayMethod(this.ctx, this.act, e);
    if (member && method) {
      // xs.map(f), xs.reduce(f[, init]) with tracked values (in xs, init, or captured by f): the
      // rule runs f's rule per element (runtime/implicit.ts).
      const xs = this.lower(member.object, stmt);
      const args = (e.arguments as Expression[]).map((a) => this.lower(a, stmt)); // (no spread: checked above)
      return this.callStep(method.rule, member.property.name, [xs, ...args], e, stmt, target);
    }
    if (evaluated || (this.chainCalls.has(e) && callee.type === "MemberExpression")) {
      // A link of an optional chain (`o?.f(x)`, `o.f?.(x)`, `f?.(x)`): the function value is
      // read (evaluated once), then called through its rule, as a plain function (no `this`).
      const fn = evaluated ?? this.lower(callee, stmt);
      const args = e.arguments.map((a) => (a.type === "SpreadElement" ? this.spreadArgument(a) : this.lower(a, stmt)));
      return this.callStep(`__ad.ruleOf(${opText(fn)}, ${this.site(callee)})`, stemOf(callee), args, e, stmt, target);
    }
    if (callee.type === "MemberExpression" && this.act.isActive(callee.object)) {
      const name = callee.computed ? "[…]" : callee.property.name;
      const hint = ARRAY_LOOPS.has(name)
        ? `write a \`for … of\` loop instead of \`.${name}(…)\``
        : "call a function or an op of @pullback/tensor instead (e.g. reshape(x, shape), not x.reshape(shape))";
      return this.error(callee, `method calls on tracked values are not differentiated: \`.${name}(…)\``, hint);
    }
    for (const a of e.arguments) {
      if (a.type === "SpreadElement" && this.act.isActive(a.argument)) return this.spreadArgument(a);
    }
    const resolved = resolveCallee(e, this.ctx.scopes, (n) => this.verbatim(n));
    if (resolved.kind === "error") return this.error(resolved.node, resolved.reason, resolved.hint);
    const args = e.arguments.map((a) => (a.type === "SpreadElement" ? { text: `...${this.verbatim(a.argument)}` } : this.lower(a, stmt)));
    let rule: string;
    let stem = stemOf(callee);
    switch (resolved.kind) {
      case "op":
        this.ctx.useOps();
        rule = `__ops.${resolved.name}`;
        stem = resolved.name;
        break;
      case "math":
        rule = `__ad.math.${resolved.name}`;
        stem = resolved.name;
        break;
      case "object":
        rule = `__ad.objectRules.${resolved.name}`;
        break;
      case "local":
        // Through the registry, not the generated rule directly: customVjp/defineRrule (here or
        // in a module importing this one) replace the rule of a function after it is defined.
        rule = `__ad.ruleOf(${resolved.binding.name}, ${this.site(callee)})`;
        stem = resolved.binding.name;
        break;
      default:
        rule = `__ad.ruleOf(${resolved.text}, ${this.site(callee)})`;
    }
    return this.callStep(rule, stem, args, e, stmt, target);
  }

  /** Source of an untracked part of an optional chain, its evaluated `?.` objects by their values. */
  inactiveChainText(e: Expression): string {
    const visit = (x: Node): void => {
      if (x.type === "CallExpression") this.checkConstantBuilder(x);
      eachChild(x, visit);
    };
    visit(e);
    return chainText(
      e,
      (n) => {
        const evaluated = this.chainObjects.get(n);
        return evaluated && opText(evaluated);
      },
      (n) => this.verbatim(n),
    );
  }

  /** A spread argument `f(...xs)`: inactive ones are passed as written; tracked ones are an error. */
  spreadArgument(a: SpreadElement): Operand {
    if (this.act.isActive(a.argument))
      return this.error(a, "spreading tracked values into a call is not supported", "pass the array itself, or its elements one by one");
    return { text: `...${this.verbatim(a.argument)}` };
  }

  /**
   * An optional chain `a?.b.c`, `o?.f(x)`, `a?.b?.[k]` with tracked values: a branch on the object
   * of its first `?.` link, evaluated once. When it is nullish the chain is undefined (and gets
   * no cotangent); otherwise the chain is lowered as written, the link's object replaced by its
   * value (the chain's next `?.` link is the next branch).
   */
  lowerChain(e: ChainExpression, stmt: Node, target?: Target): Operand {
    const first = firstChainLink(e, (n) => this.chainObjects.has(n), this.chainCalls);
    if (!first) return this.lower(e.expression as Expression, stmt, target); // a chain element is an expression
    const { link, object: objNode } = first;
    let obj = this.lower(objNode, stmt);
    if (!isActiveOp(obj)) {
      const saved = this.fresh("o", stemOf(objNode));
      this.emit(`const ${saved} = ${obj.text};`, objNode.start);
      obj = { text: saved };
    }
    const result = this.pseudoOp("chain");
    this.emit(`let ${result.name};`, e.start);
    this.closeUnit();
    this.emit(`if (${opText(obj)} === null || ${opText(obj)} === undefined) {`, link.start);
    this.depth++;
    this.emit(`${result.name} = undefined;`, link.start);
    this.depth--;
    this.emit("} else {");
    this.depth++;
    this.chainObjects.set(objNode, obj);
    this.setResult(this.lowerChain(e, stmt), result, stmt, e.start);
    this.chainObjects.delete(objNode);
    this.closeUnit();
    this.depth--;
    this.emit("}");
    return this.branchResult(result, e, stmt, target);
  }

  /**
   * An object literal with spreads, `{ ...p, c: x, ...q }`: the runs of properties are object
   * literals, and the parts are joined by the rule `__ad.objectSpread(p, { c: x }, q)`, whose
   * pullback gives each part the cotangents of the keys it contributes (a later key overrides).
   */
  lowerSpreadObject(e: ObjectExpression, stmt: Node, target?: Target): Operand {
    const parts = spreadParts(e).map((part): Operand => {
      if (part.type !== "ObjectExpression" || this.act.isActive(part)) return this.lower(part, stmt);
      return { text: `{ ${part.properties.map((p) => this.valueText(p)).join(", ")} }` };
    });
    return this.callStep("__ad.objectSpread", "spread", parts, e, stmt, target);
  }

  /** `c ? a : b`, `a && b`, `a || b`, `a ?? b` choosing tracked values: a branch in the forward. */
  lowerBranch(e: ConditionalExpression | LogicalExpression, stmt: Node, target?: Target): Operand {
    const result = this.pseudoOp("pick");
    this.emit(`let ${result.name};`, e.start);
    let test: string;
    let first: Expression | null;
    let second: Expression;
    let firstIsLeft = false;
    let left: Operand | null = null;
    if (e.type === "ConditionalExpression") {
      test = this.valueText(e.test);
      first = e.consequent;
      second = e.alternate;
    } else {
      left = this.lower(e.left, stmt);
      // (its truthiness is the value's: a number carrying a tangent is an object)
      const l = opText(left);
      test = e.operator === "&&" ? `!__ad.primalOf(${l})` : e.operator === "||" ? `__ad.primalOf(${l})` : `${l} !== null && ${l} !== undefined`;
      first = null;
      firstIsLeft = true;
      second = e.right;
    }
    this.closeUnit();
    this.emit(`if (${test}) {`, e.start);
    this.depth++;
    if (firstIsLeft) this.setResult(left!, result, stmt, e.start);
    else this.branchValue(first!, result, stmt);
    this.closeUnit();
    this.depth--;
    this.emit("} else {");
    this.depth++;
    this.branchValue(second, result, stmt);
    this.closeUnit();
    this.depth--;
    this.emit("}");
    return this.branchResult(result, e, stmt, target);
  }

  branchValue(x: Expression, result: Active, stmt: Node): void {
    this.setResult(this.lower(x, stmt), result, stmt, x.start);
  }

  /** `result = v` in a branch: a copy step when v is tracked. */
  setResult(v: Operand, result: Active, stmt: Node, origin: number): void {
    if (isActiveOp(v)) {
      this.unit(stmt).steps.push({ k: "copy", out: result, src: v, origin });
      this.emit(`${result.name} = ${v.name};`, origin);
    } else this.emit(`${result.name} = ${v.text};`, origin);
  }

  /** The value a branch chose, copied into the target when there is one. */
  branchResult(result: Active, e: Node, stmt: Node, target?: Target): Operand {
    if (!target) return result;
    this.unit(stmt).steps.push({ k: "copy", out: target.op, src: result, origin: e.start });
    this.emit(`${target.decl ? `${target.decl} ` : ""}${target.op.name} = ${result.name};`, e.start);
    return target.op;
  }

  // ---- patterns -------------------------------------------------------------------------

  /** Binds a pattern to an active value (declaration when `decl`, else assignment). */
  bindPattern(pat: Node, value: Active, decl: VariableDeclarationKind | null, stmt: Node): void {
    const u = () => this.unit(stmt);
    /** A read into an element of the pattern: a step unless the element is inactive (no cotangent). */
    const read = (st: Step & { out: Active }) => st.out.adj !== "__unused" && u().steps.push(st);
    const d = decl ? `${decl} ` : "";
    switch (pat.type) {
      case "Identifier": {
        const b = this.ctx.scopes.refs.get(pat)!;
        if (!decl && this.outsideWrite(pat, b)) return;
        if (!this.act.isActiveBinding(b)) {
          this.emit(`${d}${pat.name} = ${value.name};`, pat.start);
          return;
        }
        const o = this.bindingOp(b);
        u().steps.push({ k: "copy", out: o, src: value, origin: pat.start });
        this.emit(`${d}${pat.name} = ${value.name};`, pat.start);
        return;
      }
      case "ArrayPattern":
        pat.elements.forEach((el, i) => {
          if (!el) return;
          if (el.type === "RestElement") {
            const o = this.patternTarget(el.argument);
            read({ k: "rest", out: o.op, src: value, start: i, origin: el.start });
            this.emit(`${o.temp ? "const " : d}${o.op.name} = ${value.name}.slice(${i});`, el.start);
            if (o.temp) this.bindPattern(el.argument, o.op, decl, stmt);
            return;
          }
          if (el.type === "AssignmentPattern") {
            this.error(el, "default values in a pattern that receives tracked values are not supported", "give the value explicitly");
            return;
          }
          const o = this.patternTarget(el);
          read({ k: "get", out: o.op, obj: value, key: String(i), origin: el.start });
          this.emit(`${o.temp ? "const " : d}${o.op.name} = ${value.name}[${i}];`, el.start);
          if (o.temp) this.bindPattern(el, o.op, decl, stmt);
        });
        return;
      case "ObjectPattern":
        for (const prop of pat.properties) {
          if (prop.type === "RestElement") {
            this.error(prop, "rest properties (`...rest`) of a tracked object are not supported", "destructure the properties you need by name");
            continue;
          }
          if (prop.value.type === "AssignmentPattern") {
            this.error(prop.value, "default values in a pattern that receives tracked values are not supported", "give the value explicitly");
            continue;
          }
          let key: string;
          let access: string;
          if (prop.computed) {
            key = this.fresh("k", stemOf(prop.key));
            this.emit(`const ${key} = (${this.valueText(prop.key)});`, prop.key.start);
            u().saved.push(key);
            access = `[${key}]`;
          } else {
            const name = prop.key.type === "Identifier" ? prop.key.name : String(prop.key.type === "Literal" ? prop.key.value : undefined);
            key = JSON.stringify(name);
            access = /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${key}]`;
          }
          const o = this.patternTarget(prop.value);
          read({ k: "get", out: o.op, obj: value, key, origin: prop.start });
          this.emit(`${o.temp ? "const " : d}${o.op.name} = ${value.name}${access};`, prop.start);
          if (o.temp) this.bindPattern(prop.value, o.op, decl, stmt);
        }
        return;
      default:
        this.error(pat, "this assignment target cannot receive tracked values", "assign to a variable");
    }
  }

  /** The operand a pattern element is read into: its binding, or a temp for nested patterns. */
  patternTarget(el: Node): { op: Active; temp: boolean } {
    if (el.type === "Identifier") {
      const b = this.ctx.scopes.refs.get(el)!;
      if (this.act.isActiveBinding(b)) return { op: this.bindingOp(b), temp: false };
      return { op: { name: el.name, adj: "__unused", kind: "temp" }, temp: false };
    }
    return { op: this.temp("part"), temp: true };
  }

  /**
   * Reports a tracked value written into a variable of an enclosing function or of the module
   * (true): the caller's rule neither sees the call as changing it nor gives the write a cotangent.
   */
  outsideWrite(id: Identifier, b: Binding): boolean {
    if (b.fn === this.fn.node) return false;
    this.error(
      id,
      `assigning a tracked value to \`${id.name}\`, a variable of ${b.fn ? "an enclosing function" : "the module"}, is a side effect the pullback cannot see`,
      `return the new value instead and assign it where \`${id.name}\` is declared (\`${id.name} = f(${id.name}, …)\`), or store stopGradient(…) of it if no gradient should flow (a log)`,
    );
    return true;
  }

  /** The rule of a nested function, inline (it closes over this rule's forward and cotangents). */
  abstract inlineRule(f: FunctionInfo): string;
}

/**
 * `head(args);`, a statement at `depth`, as lines indented relative to it: one line, or, when it
 * would pass ~120 characters, the head, the arguments on the lines below (one level in: all on one
 * line when they fit, unless `onePerLine`, else one per line) and `);`.
 */
export function wrapCall(head: string, args: string[], depth: number, onePerLine = false): string[] {
  const one = `${head}${args.join(", ")});`;
  if (2 * depth + one.length <= 120 || args.some((a) => a.includes("\n"))) return [one];
  const joined = `  ${args.join(", ")}`;
  const inner = 2 * depth + joined.length <= 120 && !onePerLine ? [joined] : args.map((a, i) => `  ${a}${i < args.length - 1 ? "," : ""}`);
  return [head, ...inner, ");"];
}

/**
 * The array method with a rule that the call `e` is, if any: `xs.map(f)`, `xs.reduce(f[, init])`
 * (no spread arguments) on an array — a tracked value, or an untracked one that is not a module
 * imported as a namespace (`lib.map(…)` is a function of that module).
 */
export function arrayMethod(ctx: GenContext, act: Activity, e: CallExpression): { rule: string; frule: string } | undefined {
  const callee = unwrapExpr(e.callee);
  if (callee.type !== "MemberExpression" || callee.computed) return undefined;
  const method = ARRAY_RULES[callee.property.name];
  if (!method || !method.args.includes(e.arguments.length) || e.arguments.some((a) => a.type === "SpreadElement")) return undefined;
  if (act.isActive(callee.object)) return method;
  const o = unwrapExpr(callee.object);
  return o.type === "Identifier" && ctx.scopes.refs.get(o)?.imported ? undefined : method;
}

/**
 * The first `?.` link of the optional chain `e` (a ChainExpression) after the objects already
 * evaluated, and that link's object; null when none is left. Records the calls of the chain
 * (its links: their callee is called as a value) in `calls`.
 */
export function firstChainLink(
  e: ChainExpression,
  evaluated: (n: Node) => boolean,
  calls: Set<Node>,
): { link: MemberExpression | CallExpression; object: Expression } | null {
  let link: MemberExpression | CallExpression | null = null;
  for (let n = unwrapExpr(e.expression); n.type === "MemberExpression" || n.type === "CallExpression"; ) {
    const obj = unwrapExpr(n.type === "MemberExpression" ? n.object : n.callee);
    if (n.type === "CallExpression") calls.add(n);
    if (evaluated(obj)) break;
    if (n.optional) link = n;
    n = obj;
  }
  return link && { link, object: unwrapExpr(link.type === "MemberExpression" ? link.object : link.callee) };
}

/**
 * The parts of an object literal with spreads, `{ ...p, c: x, ...q }`: each spread's argument,
 * and each run of properties between them as an object literal of its own (`{ c: x }`).
 */
export function spreadParts(e: ObjectExpression): Expression[] {
  const parts: Expression[] = [];
  let run: ObjectProperty[] = [];
  const flush = () => {
    if (run.length > 0)
      parts.push({ type: "ObjectExpression", properties: run, start: run[0].start, end: run[run.length - 1].end } as ObjectExpression);
    run = [];
  };
  for (const p of e.properties) {
    if (p.type !== "SpreadElement") run.push(p);
    else {
      flush();
      parts.push(p.argument);
    }
  }
  flush();
  return parts;
}

/**
 * Source of an untracked part of an optional chain whose `?.` objects were evaluated (`evaluated`
 * gives their values' text); `verbatim` gives the source of everything else.
 */
export function chainText(e: Expression, evaluated: (n: Expression) => string | undefined, verbatim: (n: Node) => string): string {
  const value = evaluated(e);
  if (value !== undefined) return value;
  if (e.type === "MemberExpression")
    return `${chainText(unwrapExpr(e.object), evaluated, verbatim)}${e.computed ? `[${verbatim(e.property)}]` : `.${e.property.name}`}`;
  if (e.type === "CallExpression")
    return `${chainText(unwrapExpr(e.callee), evaluated, verbatim)}(${e.arguments.map((a) => verbatim(a)).join(", ")})`;
  return verbatim(e);
}

/** Starts of the values of shorthand properties (`{ s }`) inside n: wrapped, such a read keeps its key (`{ s: __ad.primalOf(s) }`). */
function shorthandValues(n: Node): Set<number> {
  const out = new Set<number>();
  const visit = (x: Node): void => {
    if (x.type === "Property" && x.shorthand) out.add(x.value.start);
    eachChild(x, visit);
  };
  visit(n);
  return out;
}

/**
 * Source of node `n` inside function `fn`, with each function literal nested in it (a direct child
 * of fn, not hand-written) replaced by `register(f)`: the literal given its inline rule.
 */
export function withNestedRules(ctx: GenContext, fn: FunctionInfo, n: Node, register: (f: FunctionInfo) => string): string {
  const nested = ctx.scopes.functions.filter(
    (f) =>
      f.parent === fn.node && f.node.start >= n.start && f.node.end <= n.end && f.node.type !== "FunctionDeclaration" && !ctx.handWritten.has(f.node),
  );
  if (nested.length === 0) return ctx.primalText(n);
  let out = "";
  let at = n.start;
  const piece = (from: number, to: number): string => (from >= to ? "" : sliceWithEdits(ctx, from, to));
  for (const f of nested) {
    out += piece(at, f.node.start) + register(f);
    at = f.node.end;
  }
  return out + piece(at, n.end);
}

/** Source text of [from, to) with the primal insertions strictly inside it. */
export function sliceWithEdits(ctx: GenContext, from: number, to: number): string {
  return ctx.primalText({ start: from, end: to });
}
