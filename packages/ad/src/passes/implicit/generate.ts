// Implicit mode, pass 4 — generate: the rule of one function, as lines of TypeScript.
//
//   function f__rrule(...params) {          the forward: the function's own statements, with each
//     let dx = null, …;                     active expression flattened into steps (rule calls,
//     <forward>                             property reads, array/object packing) whose pullbacks
//     function f_pullback(dy) {             are kept; inactive code is copied as written.
//       <reverse>                           the reverse: each unit (the active steps of one
//       return [dx, …];                     statement) in reverse, cotangents summed per binding.
//     }
//   }
//
// Straight-line functions keep pullbacks in constants and reverse the units in source order. A
// function with active work under control flow records, as Tangent does, the path the forward
// took: each unit pushes its pullbacks and its id onto a tape (`__tape`), which carries the branch
// decisions and trip counts; the reverse pops the tape and runs each unit's pullback code.
import type { Parsed, Node } from "../parse.ts";
import { analyzeActivity, freeBindings, type Activity } from "./activity.ts";
import { GLOBAL_MUTATORS, globalMember, mutatedArguments, resolveCallee } from "./callees.ts";
import { isFunction, patternIds, unwrapExpr, type Binding, type FunctionInfo, type ScopeInfo } from "./scope.ts";

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
  /** Source text of a node with the primal-context insertions strictly inside it. */
  primalText(node: Node): string;
  /** Marks that generated code refers to the op rules (`__ops`). */
  useOps(): void;
  /** A JS string literal "file:line:col" for a node. */
  site(node: Node): string;
  /** Names used anywhere in the file (generated names avoid them). */
  taken: Set<string>;
}

/** How a nested function sees the bindings of the function it is generated inside. */
export interface Outer {
  isActive(b: Binding): boolean;
  adjoint(b: Binding): string;
  /** The "pullback running" flag of the rule that owns b, and that function's name. */
  reversing(b: Binding): { flag: string; name: string };
}

interface Active {
  name: string;
  adj: string;
  /** "temp": used once, its cotangent is assigned; "acc": cotangents are summed (bindings). */
  kind: "temp" | "acc";
}
interface Inactive {
  text: string;
}
type Operand = Active | Inactive;
const isActiveOp = (o: Operand): o is Active => (o as Active).name !== undefined;
const opText = (o: Operand): string => (isActiveOp(o) ? o.name : o.text);

type Step =
  | { k: "call"; out: Active; pb: string; args: Operand[]; origin: number }
  | { k: "get"; out: Active; obj: Active; key: string; origin: number }
  | { k: "array"; out: Active; items: { op: Operand; len?: string }[]; origin: number }
  | { k: "object"; out: Active; props: { key: string; op: Operand }[]; origin: number }
  | { k: "copy"; out: Active; src: Active; origin: number }
  | { k: "rest"; out: Active; src: Active; start: number; origin: number }
  | { k: "ret"; src: Active; origin: number }
  | { k: "kill"; target: Active; origin: number };

export interface Unit {
  id: number;
  origin: Node;
  steps: Step[];
  saved: string[];
  depth: number;
}

interface Target {
  op: Active;
  /** Declaration keyword when the statement declares the binding. */
  decl: "const" | "let" | "var" | null;
}

const ARITH_RULE: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "%": "mod" };
const ARRAY_LOOPS = new Set(["map", "forEach", "reduce", "reduceRight", "filter", "flatMap", "some", "every", "find", "findIndex"]);
const MUTATING_METHODS = new Set(["push", "pop", "shift", "unshift", "splice", "set", "fill", "copyWithin", "sort", "reverse", "delete", "clear", "add"]);

function summarize(source: string, n: Node, max = 80): string {
  const s = source.slice(n.start, n.end).replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

class RuleBuilder {
  readonly lines: Line[] = [];
  readonly units: Unit[] = [];
  readonly act: Activity;
  readonly adjoints = new Map<Binding, Active>();
  /** Pseudo-bindings (pattern parameters, for-of arrays, branch results): summed cotangents. */
  readonly pseudo: Active[] = [];
  readonly temps: Active[] = [];
  private k = 0;
  private cur: Unit | null = null;
  private depth = 1;
  private returns: { depth: number; last: boolean }[] = [];
  readonly pullbackName: string;
  /**
   * Set while this rule's pullback runs; declared once a nested function capturing this rule's
   * tracked values is given an inline rule. That closure's pullback adds cotangents to this
   * rule's variables, which only counts while this pullback runs (it resets them on entry and
   * returns them on exit): a closure that escaped (was returned) and is differentiated in the
   * caller's reverse would lose them, so its pullback throws instead (escapedClosure).
   */
  private reversingFlag: string | null = null;

  constructor(
    readonly ctx: GenContext,
    readonly fn: FunctionInfo,
    readonly outer: Outer | null,
    readonly ruleName: string,
  ) {
    this.act = analyzeActivity(fn, ctx.scopes, (b) => (outer ? outer.isActive(b) : false));
    let pullbackName = `${fn.name}_pullback`;
    while (ctx.taken.has(pullbackName)) pullbackName += "_"; // a function of the file may have the name
    this.pullbackName = pullbackName;
  }

  // ---- names ----------------------------------------------------------------------------

  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}${++this.k}`;
    while (this.ctx.taken.has(name));
    return name;
  }

  adjointOf(b: Binding): string {
    if (b.fn !== this.fn.node) return this.outer!.adjoint(b);
    let a = this.adjoints.get(b);
    if (!a) {
      let adj = `d_${b.unique}`;
      while (this.ctx.taken.has(adj)) adj += "_";
      a = { name: b.name, adj, kind: "acc" };
      this.adjoints.set(b, a);
    }
    return a.adj;
  }

  bindingOp(b: Binding): Active {
    return { name: b.name, adj: this.adjointOf(b), kind: "acc" };
  }

  temp(): Active {
    const n = this.fresh("__v");
    const t: Active = { name: n, adj: `__d${n.slice(3)}`, kind: "temp" };
    this.temps.push(t);
    return t;
  }

  pseudoOp(prefix: string): Active {
    const n = this.fresh(prefix);
    const t: Active = { name: n, adj: `__d${n.slice(2)}`, kind: "acc" };
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
      this.cur = { id: this.units.length + 1, origin, steps: [], saved: [], depth: this.depth - 1 };
      this.units.push(this.cur);
    }
    return this.cur;
  }

  closeUnit(): void {
    if (!this.cur) return;
    if (this.cur.steps.length > 0) this.lines.push({ depth: this.depth, text: "", save: this.cur });
    else this.units.splice(this.units.indexOf(this.cur), 1);
    this.cur = null;
  }

  error(node: { start: number; end: number }, reason: string, hint?: string): Active {
    this.ctx.report(node, reason, hint);
    return this.temp();
  }

  site(n: Node): string {
    return this.ctx.site(n);
  }

  // ---- verbatim code (inactive), with nested functions given their rules ----------------

  /** Source of an inactive node; nested function literals inside it are registered with rules. */
  verbatim(n: Node): string {
    const nested = this.ctx.scopes.functions.filter((f) => f.parent === this.fn.node && f.node.start >= n.start && f.node.end <= n.end && f.node.type !== "FunctionDeclaration" && !this.ctx.handWritten.has(f.node));
    if (nested.length === 0) return this.ctx.primalText(n);
    let out = "";
    let at = n.start;
    const piece = (from: number, to: number): string => (from >= to ? "" : sliceWithEdits(this.ctx, from, to));
    for (const f of nested) {
      out += piece(at, f.node.start);
      out += `__ad.withRule(${this.ctx.primalText(f.node)}, ${this.inlineRule(f)})`;
      at = f.node.end;
    }
    out += piece(at, n.end);
    return out;
  }

  /** The rule of a nested function, inline (it closes over this rule's forward and adjoints). */
  inlineRule(f: FunctionInfo): string {
    const outer: Outer = {
      isActive: (b) => this.act.isActiveBinding(b),
      adjoint: (b) => this.adjointOf(b),
      reversing: (b) => (b.fn === this.fn.node ? { flag: this.reversing(), name: this.fn.name } : this.outer!.reversing(b)),
    };
    const lines = generateRule(this.ctx, f, outer, `${f.name}__rrule`);
    const pad = "  ".repeat(this.depth);
    // The inline rule becomes part of one emitted line: its lines carry their origins as marks.
    return lines.map((l, i) => (i === 0 ? l.text : markOrigin(`${pad}${"  ".repeat(l.depth)}${l.text}`, l.origin))).join("\n");
  }

  // ---- expressions ----------------------------------------------------------------------

  /** Lowers an expression; active results come back as an operand holding the value. */
  lower(e0: Node, stmt: Node, target?: Target): Operand {
    const e = unwrapExpr(e0);
    if (!this.act.isActive(e)) return { text: this.verbatim(e) };
    const u = () => this.unit(stmt);
    const out = (): Active => (target ? target.op : this.temp());
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
        if (e.optional) return this.error(e, "optional chaining (`?.`) on a tracked value is not supported", "check for the property with an `if` first");
        if (!e.computed && e.property.name === "data") {
          return this.error(e.property, "reading `.data` of a tracked tensor loses its gradient", "use an op (pick, sum, …) to read values, or stopGradient(x).data when no gradient should flow");
        }
        const obj = this.lower(e.object, stmt);
        if (!isActiveOp(obj)) return { text: this.verbatim(e) };
        let key: string;
        let access: string;
        if (!e.computed) {
          key = JSON.stringify(e.property.name);
          access = `.${e.property.name}`;
        } else {
          const prop = unwrapExpr(e.property);
          // A key computed from tracked numbers (`xs[i]`, i a number parameter) is an index: the
          // value read does not change under a small change of i, so it gets no cotangent.
          if (prop.type === "Literal" && (typeof prop.value === "number" || typeof prop.value === "string")) key = JSON.stringify(prop.value);
          else {
            key = this.fresh("__k");
            this.emit(`const ${key} = ${this.verbatim(prop)};`, prop.start);
            u().saved.push(key);
          }
          access = `[${key}]`;
        }
        const o = out();
        u().steps.push({ k: "get", out: o, obj, key, origin: e.start });
        this.emit(`${decl(o)}${o.name} = ${obj.name}${access};`, e.start);
        return o;
      }
      case "CallExpression":
        return this.lowerCall(e, stmt, target);
      case "BinaryExpression":
      case "UnaryExpression": {
        if (e.type === "UnaryExpression" && e.operator === "+") return this.lower(e.argument, stmt, target);
        const operands = e.type === "BinaryExpression" ? [e.left, e.right] : [e.argument];
        const rule = e.type === "BinaryExpression" ? ARITH_RULE[e.operator] : "neg";
        const args = operands.map((x) => this.lower(x, stmt));
        return this.callStep(`__ad.num.${rule}`, args, e, stmt, target);
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
            const len = this.fresh("__n");
            this.emit(`const ${len} = ${opText(op)}.length;`, el.start);
            u().saved.push(len);
            items.push({ op, len });
          } else items.push({ op: this.lower(el, stmt) });
        }
        const o = out();
        u().steps.push({ k: "array", out: o, items, origin: e.start });
        this.emit(`${decl(o)}${o.name} = [${items.map((i) => (i.len ? `...${opText(i.op)}` : opText(i.op))).join(", ")}];`, e.start);
        return o;
      }
      case "ObjectExpression": {
        const props: { key: string; op: Operand; spread?: boolean }[] = [];
        for (const p of e.properties) {
          if (p.type === "SpreadElement") {
            if (this.act.isActive(p.argument)) return this.error(p, "spreading a tracked object is not supported", "list the properties: `{ a: p.a, b: p.b }`");
            props.push({ key: "", op: { text: this.verbatim(p.argument) }, spread: true });
            continue;
          }
          if (p.kind === "get" || p.kind === "set") return this.error(p, "getters and setters on tracked values are not supported", "compute the value in the function and store it as a plain property");
          if (p.method) return this.error(p, "methods in an object literal with tracked values are not supported", "write `name: (x) => …`");
          let key: string;
          if (!p.computed) key = JSON.stringify(p.key.type === "Identifier" ? p.key.name : p.key.value);
          else {
            key = this.fresh("__k");
            this.emit(`const ${key} = ${this.verbatim(p.key)};`, p.key.start);
            u().saved.push(key);
          }
          props.push({ key, op: this.lower(p.value, stmt) });
        }
        const o = out();
        u().steps.push({ k: "object", out: o, props: props.filter((p) => !p.spread), origin: e.start });
        this.emit(`${decl(o)}${o.name} = { ${props.map((p) => (p.spread ? `...${opText(p.op)}` : `${p.key.startsWith('"') ? p.key : `[${p.key}]`}: ${opText(p.op)}`)).join(", ")} };`, e.start);
        return o;
      }
      case "NewExpression":
        return this.error(e, "constructing an object from tracked values (`new`) is not differentiable", "call a function or an op instead");
      case "AssignmentExpression":
      case "SequenceExpression":
      case "UpdateExpression":
        return this.error(e, `${e.type === "SequenceExpression" ? "a comma expression" : e.type === "UpdateExpression" ? "`++`/`--`" : "an assignment"} inside an expression is not supported on tracked values`, "write it as its own statement");
      case "AwaitExpression":
      case "YieldExpression":
        return this.error(e, `\`${e.type === "AwaitExpression" ? "await" : "yield"}\` is not supported in differentiated functions`);
      case "ChainExpression":
        return this.error(e, "optional chaining (`?.`) on a tracked value is not supported", "check for the property with an `if` first");
      case "TaggedTemplateExpression":
        return this.error(e, "a tagged template with tracked values is not differentiable");
      default:
        return this.error(e, `\`${summarize(this.ctx.p.source, e, 40)}\` (${e.type}) is not supported on tracked values`);
    }
  }

  callStep(rule: string, args: Operand[], e: Node, stmt: Node, target?: Target): Active {
    const u = this.unit(stmt);
    const direct = target && target.decl !== null;
    const o = direct ? target!.op : this.temp();
    const pb = this.fresh("__pb");
    u.saved.push(pb);
    u.steps.push({ k: "call", out: o, pb, args, origin: e.start });
    this.emit(`${direct ? target!.decl : "const"} [${o.name}, ${pb}] = ${rule}(${args.map(opText).join(", ")});`, e.start);
    if (target && !direct) {
      u.steps.push({ k: "copy", out: target.op, src: o, origin: e.start });
      this.emit(`${target.op.name} = ${o.name};`, e.start);
      return target.op;
    }
    return o;
  }

  lowerCall(e: Node, stmt: Node, target?: Target): Operand {
    const callee = unwrapExpr(e.callee);
    if (e.optional) return this.error(e, "optional calls (`f?.()`) are not supported with tracked values");
    if (callee.type === "MemberExpression" && !callee.computed && callee.property.name === "map" && e.arguments.length === 1 && e.arguments[0].type !== "SpreadElement" && this.act.isActive(callee.object)) {
      // xs.map(f) over a tracked array: the rule of map calls f's rule per element.
      const xs = this.lower(callee.object, stmt);
      const f = this.lower(e.arguments[0], stmt);
      return this.callStep("__ad.arrayMap", [xs, f], e, stmt, target);
    }
    if (callee.type === "MemberExpression" && this.act.isActive(callee.object)) {
      const name = callee.computed ? "[…]" : callee.property.name;
      const hint = ARRAY_LOOPS.has(name) ? `write a \`for … of\` loop instead of \`.${name}(…)\`` : "call a function or an op of @pullback/tensor instead (e.g. reshape(x, shape), not x.reshape(shape))";
      return this.error(callee, `method calls on tracked values are not differentiated: \`.${name}(…)\``, hint);
    }
    for (const a of e.arguments) {
      if (a.type === "SpreadElement" && this.act.isActive(a.argument)) return this.error(a, "spreading tracked values into a call is not supported", "pass the array itself, or its elements one by one");
    }
    const resolved = resolveCallee(e, this.ctx.scopes, (n) => this.verbatim(n));
    if (resolved.kind === "error") return this.error(resolved.node, resolved.reason, resolved.hint);
    const args = e.arguments.map((a: Node) => (a.type === "SpreadElement" ? { text: `...${this.verbatim(a.argument)}` } : this.lower(a, stmt)));
    let rule: string;
    switch (resolved.kind) {
      case "op":
        this.ctx.useOps();
        rule = `__ops.${resolved.name}`;
        break;
      case "math":
        rule = `__ad.math.${resolved.name}`;
        break;
      case "local":
        // Through the registry, not the generated rule directly: customVjp/defineRrule (here or
        // in a module importing this one) replace the rule of a function after it is defined.
        rule = `__ad.ruleOf(${resolved.binding.name}, ${this.site(callee)})`;
        break;
      default:
        rule = `__ad.ruleOf(${resolved.text}, ${this.site(callee)})`;
    }
    return this.callStep(rule, args, e, stmt, target);
  }

  /** `c ? a : b`, `a && b`, `a || b`, `a ?? b` choosing tracked values: a branch in the forward. */
  lowerBranch(e: Node, stmt: Node, target?: Target): Operand {
    const result = this.pseudoOp("__c");
    this.emit(`let ${result.name};`, e.start);
    let test: string;
    let first: Node | null;
    let second: Node;
    let firstIsLeft = false;
    let left: Operand | null = null;
    if (e.type === "ConditionalExpression") {
      test = this.verbatim(e.test);
      first = e.consequent;
      second = e.alternate;
    } else {
      left = this.lower(e.left, stmt);
      const l = opText(left);
      test = e.operator === "&&" ? `!${l}` : e.operator === "||" ? l : `${l} !== null && ${l} !== undefined`;
      first = null;
      firstIsLeft = true;
      second = e.right;
    }
    this.closeUnit();
    this.emit(`if (${test}) {`, e.start);
    this.depth++;
    if (firstIsLeft) {
      if (isActiveOp(left!)) {
        this.unit(stmt).steps.push({ k: "copy", out: result, src: left, origin: e.start });
        this.emit(`${result.name} = ${left.name};`, e.start);
      } else this.emit(`${result.name} = ${left!.text};`, e.start);
    } else this.branchValue(first!, result, stmt);
    this.closeUnit();
    this.depth--;
    this.emit("} else {");
    this.depth++;
    this.branchValue(second, result, stmt);
    this.closeUnit();
    this.depth--;
    this.emit("}");
    if (!target) return result;
    this.unit(stmt).steps.push({ k: "copy", out: target.op, src: result, origin: e.start });
    this.emit(`${target.decl ? `${target.decl} ` : ""}${target.op.name} = ${result.name};`, e.start);
    return target.op;
  }

  branchValue(x: Node, result: Active, stmt: Node): void {
    const v = this.lower(x, stmt);
    if (isActiveOp(v)) {
      this.unit(stmt).steps.push({ k: "copy", out: result, src: v, origin: x.start });
      this.emit(`${result.name} = ${v.name};`, x.start);
    } else this.emit(`${result.name} = ${v.text};`, x.start);
  }

  // ---- patterns -------------------------------------------------------------------------

  /** Binds a pattern to an active value (declaration when `decl`, else assignment). */
  bindPattern(pat: Node, value: Active, decl: "const" | "let" | "var" | null, stmt: Node): void {
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
        pat.elements.forEach((el: Node | null, i: number) => {
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
            key = this.fresh("__k");
            this.emit(`const ${key} = ${this.verbatim(prop.key)};`, prop.key.start);
            u().saved.push(key);
            access = `[${key}]`;
          } else {
            const name = prop.key.type === "Identifier" ? prop.key.name : String(prop.key.value);
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
    return { op: this.temp(), temp: true };
  }

  // ---- statements -----------------------------------------------------------------------

  /** Registers the rules of function declarations at the start of a block (they are hoisted). */
  hoistedRules(statements: Node[]): void {
    for (const s0 of statements) {
      const s = s0.type === "ExportNamedDeclaration" ? s0.declaration : s0;
      if (s?.type !== "FunctionDeclaration" || !s.id) continue;
      const f = this.ctx.scopes.byNode.get(s);
      if (f && !this.ctx.handWritten.has(s)) this.emit(`__ad.withRule(${s.id.name}, ${this.inlineRule(f)});`, s.start);
    }
  }

  block(statements: Node[]): void {
    this.hoistedRules(statements);
    statements.forEach((s, i) => this.stmt(s, i === statements.length - 1));
  }

  braced(head: string, body: Node, origin: number, tail = "}"): void {
    this.emit(`${head} {`, origin);
    this.depth++;
    if (body.type === "BlockStatement") this.block(body.body);
    else this.block([body]);
    this.depth--;
    this.emit(tail);
  }

  /** Kills the cotangents of active bindings assigned a constant (their old value gets none). */
  kill(ids: Node[], stmt: Node): void {
    for (const id of ids) {
      const b = this.ctx.scopes.refs.get(id);
      if (b && this.act.isActiveBinding(b)) this.unit(stmt).steps.push({ k: "kill", target: this.bindingOp(b), origin: id.start });
    }
  }

  stmt(s: Node, last: boolean): void {
    const src = this.ctx.p.source;
    switch (s.type) {
      case "VariableDeclaration":
        for (const d of s.declarations) {
          const ids = patternIds(d.id);
          if (!d.init || !this.act.isActive(d.init)) {
            const text = d.init ? `${s.kind} ${src.slice(d.id.start, d.id.end)} = ${this.verbatim(d.init)};` : `${s.kind} ${src.slice(d.id.start, d.id.end)};`;
            this.emit(text, d.start);
            this.kill(ids, s);
          } else if (d.id.type === "Identifier") {
            const b = this.ctx.scopes.refs.get(d.id)!;
            const name = d.id.name;
            if (!this.act.isActiveBinding(b)) this.emit(`${s.kind} ${name} = ${this.verbatim(d.init)};`, d.start);
            else this.lower(d.init, s, { op: this.bindingOp(b), decl: s.kind });
          } else {
            const v = this.lower(d.init, s);
            if (isActiveOp(v)) this.bindPattern(d.id, v, s.kind, s);
            else this.emit(`${s.kind} ${src.slice(d.id.start, d.id.end)} = ${v.text};`, d.start);
          }
          this.closeUnit();
        }
        return;
      case "ExpressionStatement":
        this.expressionStatement(s);
        this.closeUnit();
        return;
      case "ReturnStatement": {
        this.returns.push({ depth: this.depth, last });
        if (!s.argument || !this.act.isActive(s.argument)) {
          this.emit(`return [${s.argument ? this.verbatim(s.argument) : "undefined"}, ${this.pullbackName}];`, s.start);
          return;
        }
        const v = this.lower(s.argument, s) as Active;
        this.unit(s).steps.push({ k: "ret", src: v, origin: s.start });
        this.closeUnit();
        this.emit(`return [${v.name}, ${this.pullbackName}];`, s.start);
        return;
      }
      case "IfStatement": {
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
      }
      case "ForStatement": {
        // One report per header: a tracked init makes the update tracked too.
        header: for (const part of [s.init, s.test, s.update]) {
          if (part && part.type !== "VariableDeclaration" && this.act.isActive(part)) {
            this.error(part, "a `for` header must not compute tracked values", "compute them in the loop body");
            break;
          }
          if (part?.type === "VariableDeclaration") {
            for (const d of part.declarations) {
              if (d.init && this.act.isActive(d.init)) {
                this.error(d, "a `for` header must not compute tracked values", "declare the variable before the loop");
                break header;
              }
            }
          }
        }
        this.braced(src.slice(s.start, s.body.start).trimEnd(), s.body, s.start);
        return;
      }
      case "WhileStatement":
        this.braced(`while (${this.verbatim(s.test)})`, s.body, s.start);
        return;
      case "DoWhileStatement":
        this.braced("do", s.body, s.start, `} while (${this.verbatim(s.test)});`);
        return;
      case "ForInStatement":
        this.braced(src.slice(s.start, s.body.start).trimEnd(), s.body, s.start);
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
        this.hoistedRules(s.cases.flatMap((c: Node) => c.consequent));
        for (const c of s.cases) {
          this.emit(c.test ? `case ${this.verbatim(c.test)}:` : "default:", c.start);
          this.depth++;
          c.consequent.forEach((x: Node) => this.stmt(x, false));
          this.depth--;
        }
        this.depth--;
        this.emit("}");
        return;
      case "LabeledStatement":
        this.emit(`${s.label.name}:`, s.start);
        this.stmt(s.body, last);
        return;
      case "FunctionDeclaration":
        this.emit(this.ctx.primalText(s), s.start);
        return;
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
        return;
      default:
        // break, continue, throw, empty, debugger, type declarations: as written.
        this.emit(this.verbatim(s), s.start);
    }
  }

  expressionStatement(s: Node): void {
    const e = unwrapExpr(s.expression);
    const src = this.ctx.p.source;
    if (e.type === "AssignmentExpression") {
      const left = e.left;
      if (left.type === "MemberExpression") {
        let root = left.object;
        while (root.type === "MemberExpression") root = root.object;
        root = unwrapExpr(root);
        if (root.type === "Identifier" && this.act.isActiveBinding(this.ctx.scopes.refs.get(root))) {
          this.error(left, `in-place write into the tracked value \`${root.name}\`: mutation cannot be differentiated`, "build a new value with an op (or a new object/array literal) instead of writing into this one");
          return;
        }
        if (this.act.isActive(e.right)) {
          this.error(e, "storing a tracked value into an object property is a side effect the pullback cannot see", "return the value, or build a new object with it");
          return;
        }
        this.emit(`${this.verbatim(e)};`, s.start);
        return;
      }
      if (left.type === "Identifier") {
        const b = this.ctx.scopes.refs.get(left);
        const active = this.act.isActiveBinding(b);
        if (!b && this.act.isActive(e.right)) {
          this.error(left, `\`${left.name}\` is not declared: a tracked value cannot be assigned to it`, `declare it: \`let ${left.name} = …\``);
          return;
        }
        if (b && (active || this.act.isActive(e.right)) && this.outsideWrite(left, b)) return;
        if (e.operator === "=") {
          if (!this.act.isActive(e.right)) {
            this.emit(`${left.name} = ${this.verbatim(e.right)};`, s.start);
            this.kill([left], s);
            return;
          }
          this.lower(e.right, s, { op: this.bindingOp(b!), decl: null });
          return;
        }
        const op = e.operator.slice(0, -1);
        if (!active && !this.act.isActive(e.right)) {
          this.emit(`${this.verbatim(e)};`, s.start);
          return;
        }
        if (!ARITH_RULE[op]) {
          this.error(e, `\`${e.operator}\` on a tracked value is not differentiable`, "write the assignment out with an op");
          return;
        }
        const args = [this.lower(left, s), this.lower(e.right, s)];
        this.callStep(`__ad.num.${ARITH_RULE[op]}`, args, e, s, { op: this.bindingOp(b!), decl: null });
        return;
      }
      // Destructuring assignment.
      if (!this.act.isActive(e.right)) {
        this.emit(`(${this.verbatim(e)});`, s.start);
        this.kill(patternIds(left), s);
        return;
      }
      const v = this.lower(e.right, s);
      if (isActiveOp(v)) this.bindPattern(left, v, null, s);
      return;
    }
    if (e.type === "UpdateExpression") {
      let root = e.argument;
      while (root.type === "MemberExpression") root = root.object;
      if (root.type === "Identifier" && this.act.isActiveBinding(this.ctx.scopes.refs.get(root))) {
        if (e.argument.type === "MemberExpression") this.error(e, `\`${e.operator}\` writes into the tracked value \`${root.name}\` in place: mutation cannot be differentiated`, "build a new value (a new object or array literal) instead of writing into this one");
        else this.error(e, `\`${e.operator}\` on the tracked value \`${root.name}\` is not differentiable`, `write \`${root.name} = ${root.name} ${e.operator[0]} 1\``);
        return;
      }
      this.emit(`${this.verbatim(e)};`, s.start);
      return;
    }
    if (e.type === "UnaryExpression" && e.operator === "delete" && e.argument.type === "MemberExpression" && this.rootActive(e.argument)) {
      this.error(e, "`delete` on a property of a tracked value: mutation cannot be differentiated", "build a new object without the property");
      return;
    }
    if (e.type === "CallExpression") {
      const callee = unwrapExpr(e.callee);
      for (const i of mutatedArguments(e, this.ctx.scopes)) {
        const a = e.arguments[i];
        if (a && this.act.isActive(a)) {
          this.error(a, `\`${summarize(src, callee, 30)}\` writes into the tracked value \`${summarize(src, a, 30)}\` in place: mutation cannot be differentiated`, "use the out-of-place op (e.g. add instead of addInto)");
          return;
        }
      }
      const global = globalMember(callee, this.ctx.scopes);
      if (global && GLOBAL_MUTATORS.has(`${global[0]}.${global[1]}`) && e.arguments[0] && this.act.isActive(e.arguments[0])) {
        this.error(e.arguments[0], `\`${global[0]}.${global[1]}\` writes into the tracked value \`${summarize(src, e.arguments[0], 30)}\`: mutation cannot be differentiated`, "build a new object instead: `{ ...fields, key: value }` with a plain literal");
        return;
      }
      if (callee.type === "MemberExpression" && !callee.computed && MUTATING_METHODS.has(callee.property.name)) {
        const objActive = this.act.isActive(callee.object) || (callee.object.type === "MemberExpression" && this.rootActive(callee.object));
        if (objActive || e.arguments.some((a: Node) => this.act.isActive(a.type === "SpreadElement" ? a.argument : a))) {
          this.error(callee, `\`.${callee.property.name}(…)\` mutates ${objActive ? "a tracked value" : "an array or object with a tracked value"}: the pullback cannot see mutation`, "build a new array instead, e.g. `xs = [...xs, y]`");
          return;
        }
      }
    }
    this.emit(`${this.verbatim(e)};`, s.start);
  }

  /**
   * Reports a tracked value written into a variable of an enclosing function or of the module
   * (true): the caller's rule neither sees the call as changing it nor gives the write a cotangent.
   */
  outsideWrite(id: Node, b: Binding): boolean {
    if (b.fn === this.fn.node) return false;
    this.error(id, `assigning a tracked value to \`${id.name}\`, a variable of ${b.fn ? "an enclosing function" : "the module"}, is a side effect the pullback cannot see`, `return the new value instead and assign it where \`${id.name}\` is declared (\`${id.name} = f(${id.name}, …)\`), or store stopGradient(…) of it if no gradient should flow (a log)`);
    return true;
  }

  rootActive(n: Node): boolean {
    let root = n;
    while (root.type === "MemberExpression") root = root.object;
    root = unwrapExpr(root);
    return root.type === "Identifier" && this.act.isActiveBinding(this.ctx.scopes.refs.get(root));
  }

  forOf(s: Node): void {
    const src = this.ctx.p.source;
    if (s.await) {
      this.error(s, "`for await` is not supported in differentiated functions");
      return;
    }
    if (!this.act.isActive(s.right)) {
      this.braced(src.slice(s.start, s.body.start).trimEnd(), s.body, s.start);
      return;
    }
    // for (const x of xs) over tracked values: an indexed loop; each element is read with a get
    // step whose index is saved, so the reverse routes x's cotangent to xs[i].
    const list = this.pseudoOp("__xs");
    const v = this.lower(s.right, s);
    this.unit(s).steps.push({ k: "copy", out: list, src: v as Active, origin: s.right.start });
    this.emit(`const ${list.name} = ${opText(v)};`, s.right.start);
    this.closeUnit();
    const i = this.fresh("__i");
    this.emit(`for (let ${i} = 0; ${i} < ${list.name}.length; ${i}++) {`, s.start);
    this.depth++;
    const left = s.left.type === "VariableDeclaration" ? s.left.declarations[0].id : s.left;
    const decl = s.left.type === "VariableDeclaration" ? s.left.kind : null;
    this.unit(s).saved.push(i);
    const el = this.temp();
    this.unit(s).steps.push({ k: "get", out: el, obj: list, key: i, origin: left.start });
    this.emit(`const ${el.name} = ${list.name}[${i}];`, left.start);
    if (left.type === "Identifier") {
      const b = this.ctx.scopes.refs.get(left);
      if (!b) {
        this.error(left, `\`${left.name}\` is not declared: a tracked value cannot be assigned to it`, `declare it: \`for (const ${left.name} of …)\``);
        this.depth--;
        return;
      }
      this.unit(s).steps.push({ k: "copy", out: this.bindingOp(b), src: el, origin: left.start });
      this.emit(`${decl ? `${decl} ` : ""}${left.name} = ${el.name};`, left.start);
    } else this.bindPattern(left, el, decl, s);
    this.closeUnit();
    const body = s.body;
    this.block(body.type === "BlockStatement" ? body.body : [body]);
    this.depth--;
    this.emit("}");
  }

  // ---- the rule -------------------------------------------------------------------------

  build(): Line[] {
    const node = this.fn.node;
    const src = this.ctx.p.source;
    const params: string[] = [];
    const paramOps: (Active | null)[] = [];
    let restParam: Active | null = null;
    const patterns: { pat: Node; op: Active; index: number; dflt?: Node }[] = [];
    node.params.forEach((p: Node, i: number) => {
      const base = p.type === "AssignmentPattern" ? p.left : p.type === "TSParameterProperty" ? p.parameter : p;
      const bound = patternIds(base).some((id) => this.act.isActiveBinding(this.ctx.scopes.refs.get(id)));
      if (p.type === "AssignmentPattern" && bound && this.act.isActive(p.right)) {
        // A default computed from tracked values (`y = x`): taken in the forward, so that y's
        // cotangent reaches x when the argument is missing, and the argument otherwise.
        const op = this.pseudoOp("__a");
        params.push(op.name);
        paramOps.push(op);
        patterns.push({ pat: base, op, index: i, dflt: p.right });
      } else if (base.type === "Identifier") {
        params.push(src.slice(p.start, p.end));
        const b = this.ctx.scopes.refs.get(base)!;
        paramOps.push(this.act.isActiveBinding(b) ? this.bindingOp(b) : null);
      } else if (p.type === "RestElement" && p.argument.type === "Identifier") {
        params.push(src.slice(p.start, p.end));
        const b = this.ctx.scopes.refs.get(p.argument)!;
        restParam = this.act.isActiveBinding(b) ? this.bindingOp(b) : null;
        paramOps.push(null);
      } else {
        const op = this.pseudoOp("__a");
        params.push(p.type === "AssignmentPattern" ? `${op.name} = ${src.slice(p.right.start, p.right.end)}` : op.name);
        const anyActive = patternIds(base).some((id) => this.act.isActiveBinding(this.ctx.scopes.refs.get(id)));
        paramOps.push(anyActive ? op : null);
        patterns.push({ pat: base, op, index: i });
      }
    });

    // Forward.
    for (const { pat, op, dflt } of patterns) {
      if (dflt) {
        const value = pat.type === "Identifier" ? this.bindingOp(this.ctx.scopes.refs.get(pat)!) : this.pseudoOp("__a");
        this.emit(`let ${value.name};`, pat.start);
        this.emit(`if (${op.name} === undefined) {`, dflt.start);
        this.depth++;
        this.lower(dflt, dflt, { op: value, decl: null });
        this.closeUnit();
        this.depth--;
        this.emit("} else {");
        this.depth++;
        this.unit(pat).steps.push({ k: "copy", out: value, src: op, origin: pat.start });
        this.emit(`${value.name} = ${op.name};`, pat.start);
        this.closeUnit();
        this.depth--;
        this.emit("}");
        if (pat.type !== "Identifier") this.bindPattern(pat, value, "let", pat);
        this.closeUnit();
        continue;
      }
      if (paramOps[patterns.find((x) => x.op === op)!.index] === null) {
        this.emit(`let ${src.slice(pat.start, pat.end)} = ${op.name};`, pat.start);
        continue;
      }
      this.bindPattern(pat, op, "let", pat);
      this.closeUnit();
    }
    const body = node.body;
    if (body.type === "BlockStatement") this.block(body.body);
    else this.stmt({ type: "ReturnStatement", argument: body, start: body.start, end: body.end } as Node, true);
    const endsWithReturn = body.type !== "BlockStatement" || body.body[body.body.length - 1]?.type === "ReturnStatement";
    if (!endsWithReturn) this.emit(`return [undefined, ${this.pullbackName}];`);

    const tape = this.units.some((u) => u.depth > 0) || this.returns.some((r) => r.depth > 1 || !r.last);
    return this.render(params, paramOps, restParam, tape);
  }

  render(params: string[], paramOps: (Active | null)[], restParam: Active | null, tape: boolean): Line[] {
    const node = this.fn.node;
    const out: Line[] = [];
    const own = [...this.adjoints.values()].map((a) => a.adj).concat(this.pseudo.map((a) => a.adj));
    out.push({ depth: 0, text: `function ${this.ruleName}(${params.join(", ")}) {`, origin: node.start });
    if (own.length > 0) out.push({ depth: 1, text: `let ${own.map((a) => `${a} = null`).join(", ")};` });
    if (tape) out.push({ depth: 1, text: "const __tape: unknown[] = [];" });
    if (this.reversingFlag) out.push({ depth: 1, text: `let ${this.reversingFlag} = false;` });
    for (const l of this.lines) {
      if (l.save) {
        if (tape) out.push({ depth: l.depth, text: `__tape.push(${[...l.save.saved, l.save.id].join(", ")});`, origin: l.save.origin.start });
        continue;
      }
      out.push(l);
    }

    // Reverse.
    const src = this.ctx.p.source;
    const pos = (n: number) => this.ctx.p.index.position(n).line;
    out.push({ depth: 1, text: `function ${this.pullbackName}(__dy: any): any[] {`, origin: node.start });
    // A nested rule over captured tracked values: are the pullbacks of their owners running?
    const owners = this.outer ? [...new Map(freeBindings(node, this.ctx.scopes).filter((b) => this.act.isActiveBinding(b)).map((b) => this.outer!.reversing(b)).map((o) => [o.flag, o])).values()] : [];
    if (owners.length > 0) out.push({ depth: 2, text: `if (!(${owners.map((o) => o.flag).join(" && ")})) __ad.escapedClosure(${JSON.stringify(this.fn.name)}, ${JSON.stringify(owners.map((o) => o.name).join(", "))});` });
    if (this.reversingFlag) out.push({ depth: 2, text: `${this.reversingFlag} = true;` });
    if (own.length > 0) out.push({ depth: 2, text: `${own.join(" = ")} = null;` });
    const unitLines = (u: Unit, depth: number): Line[] => {
      const lines: Line[] = [];
      for (let j = u.steps.length - 1; j >= 0; j--) for (const t of reverseStep(u.steps[j])) lines.push({ depth, text: t, origin: u.steps[j].origin });
      return lines;
    };
    const comment = (u: Unit) => `// pullback of: ${summarize(src, u.origin)} (line ${pos(u.origin.start)})`;
    if (!tape) {
      const temps = this.temps.filter((t) => this.units.some((u) => u.steps.some((s) => "out" in s && s.out === t)));
      if (temps.length > 0) out.push({ depth: 2, text: `let ${temps.map((t) => `${t.adj}: any = null`).join(", ")};` });
      // Each unit in its own block: the `const __o_d_x` a unit declares when it consumes a
      // binding's cotangent is declared again by every other unit that writes x.
      for (let i = this.units.length - 1; i >= 0; i--) {
        const u = this.units[i];
        out.push({ depth: 2, text: `{ ${comment(u)}` });
        out.push(...unitLines(u, 3));
        out.push({ depth: 2, text: "}" });
      }
    } else if (this.units.length > 0) {
      // A temp computed in one unit and used in another (a ternary or && inside an expression
      // splits its statement into units) outlives its unit's case: declared for the whole replay.
      const producer = new Map<Active, Unit>();
      for (const u of this.units) for (const st of u.steps) if ("out" in st) producer.set(st.out, u);
      const shared = this.temps.filter((t) => producer.has(t) && this.units.some((u) => u !== producer.get(t) && u.steps.some((st) => stepOperands(st).includes(t))));
      if (shared.length > 0) out.push({ depth: 2, text: `let ${shared.map((t) => `${t.adj}: any = null`).join(", ")};` });
      out.push({ depth: 2, text: "// replay the tape: each entry is a unit id, under the pullbacks and keys it saved" });
      out.push({ depth: 2, text: "for (let __t = __tape.length; __t > 0; ) {" });
      out.push({ depth: 3, text: "switch (__tape[--__t]) {" });
      for (const u of this.units) {
        out.push({ depth: 4, text: `case ${u.id}: { ${comment(u)}` });
        for (let j = u.saved.length - 1; j >= 0; j--) out.push({ depth: 5, text: `const ${u.saved[j]} = __tape[--__t] as any;` });
        const temps = this.temps.filter((t) => !shared.includes(t) && u.steps.some((s) => "out" in s && s.out === t));
        if (temps.length > 0) out.push({ depth: 5, text: `let ${temps.map((t) => `${t.adj}: any = null`).join(", ")};` });
        out.push(...unitLines(u, 5));
        out.push({ depth: 5, text: "break;" });
        out.push({ depth: 4, text: "}" });
      }
      out.push({ depth: 3, text: "}" });
      out.push({ depth: 2, text: "}" });
    }
    const cots = paramOps.map((p) => (p ? p.adj : "null"));
    if (node.params.length > 0 && node.params[node.params.length - 1].type === "RestElement") {
      const rest = node.params[node.params.length - 1].argument;
      cots.pop();
      cots.push(`...__ad.restCotangents(${restParam ? restParam.adj : "null"}, ${rest.type === "Identifier" ? rest.name : "[]"}.length)`);
    }
    if (this.reversingFlag) out.push({ depth: 2, text: `${this.reversingFlag} = false;` });
    out.push({ depth: 2, text: `return [${cots.join(", ")}];` });
    out.push({ depth: 1, text: "}" });
    out.push({ depth: 0, text: "}" });
    return out;
  }
}

/** The values a step reads (its inputs; `out` excluded). */
function stepOperands(s: Step): Operand[] {
  switch (s.k) {
    case "call":
      return s.args;
    case "get":
      return [s.obj];
    case "array":
      return s.items.map((i) => i.op);
    case "object":
      return s.props.map((p) => p.op);
    case "copy":
    case "rest":
    case "ret":
      return [s.src];
    case "kill":
      return [s.target];
  }
}

/** `dst ← dst + value` for a binding, `dst ← value` for a single-use temp. */
function give(dst: Operand, value: string): string | null {
  if (!isActiveOp(dst) || dst.adj === "__unused") return null;
  return dst.kind === "temp" ? `${dst.adj} = ${value};` : `${dst.adj} = __ad.acc(${dst.adj}, ${value});`;
}

function reverseStep(s: Step): string[] {
  const lines: string[] = [];
  /** Reads the output's cotangent; a binding's is consumed (its earlier value gets its own). */
  const read = (o: Active): string => {
    if (o.kind === "temp") return o.adj;
    const t = `__o_${o.adj}`;
    lines.push(`const ${t} = ${o.adj};`, `${o.adj} = null;`);
    return t;
  };
  const push = (x: string | null) => x !== null && lines.push(x);
  /**
   * dst ← f(dst's cotangent) for container updates. A temp too accumulates: a destructuring reads
   * several elements of one temp (`const [a, b] = splitAt(…)`), each get adding its part.
   */
  const update = (dst: Active, f: (base: string) => string) => lines.push(`${dst.adj} = ${f(dst.adj)};`);
  switch (s.k) {
    case "call": {
      const dy = read(s.out);
      const g = `__g${s.pb.slice(4)}`;
      const gives = s.args.map((a, i) => give(a, `${g}[${i}]`)).filter((x): x is string => x !== null);
      if (gives.length === 0) lines.push(`if (${dy} !== null) ${s.pb}(${dy});`);
      else lines.push(`if (${dy} !== null) { const ${g} = ${s.pb}(${dy}); ${gives.join(" ")} }`);
      break;
    }
    case "get": {
      const dy = read(s.out);
      update(s.obj, (base) => `__ad.accAt(${base}, ${s.key}, ${dy})`);
      break;
    }
    case "array": {
      const dy = read(s.out);
      let offset = "0";
      let fixed = 0;
      const at = () => (offset === "0" ? String(fixed) : `${offset} + ${fixed}`);
      for (const item of s.items) {
        if (item.len) {
          push(give(item.op, `__ad.sliceCotangent(${dy}, ${at()}, ${item.len})`));
          offset = offset === "0" ? item.len : `${offset} + ${item.len}`;
        } else {
          push(give(item.op, `__ad.at(${dy}, ${at()})`));
          fixed++;
        }
      }
      break;
    }
    case "object": {
      const dy = read(s.out);
      for (const p of s.props) push(give(p.op, `__ad.at(${dy}, ${p.key})`));
      break;
    }
    case "copy": {
      const dy = read(s.out);
      push(give(s.src, dy));
      break;
    }
    case "rest": {
      const dy = read(s.out);
      update(s.src, (base) => `__ad.restCotangent(${base}, ${s.start}, ${dy})`);
      break;
    }
    case "ret":
      push(give(s.src, "__dy"));
      break;
    case "kill":
      lines.push(`${s.target.adj} = null;`);
      break;
  }
  return lines;
}

/** A line's origin appended as a mark (`ORIGIN_MARK`), which emit strips into a stack frame. */
export const ORIGIN_MARK = /\/\*@@origin:(\d+)\*\/$/;
function markOrigin(text: string, origin: number | undefined): string {
  if (origin === undefined) return text;
  return text.split("\n").map((t) => (ORIGIN_MARK.test(t) ? t : `${t}/*@@origin:${origin}*/`)).join("\n");
}

/** Source text of [from, to) with the primal insertions strictly inside it. */
export function sliceWithEdits(ctx: GenContext, from: number, to: number): string {
  return ctx.primalText({ type: "Range", start: from, end: to } as Node);
}

/** The rule of `fn` as lines (`function <ruleName>(…) { … }`). */
export function generateRule(ctx: GenContext, fn: FunctionInfo, outer: Outer | null, ruleName: string): Line[] {
  return new RuleBuilder(ctx, fn, outer, ruleName).build();
}

export { freeBindings, isFunction };
