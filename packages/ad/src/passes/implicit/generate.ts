// Implicit mode, pass 4b — generate: the rule of one function, as lines of TypeScript (its
// expressions are lowered by lower.ts, the reverse of each step is in reverse.ts).
//
//   function f__rrule(...params) {          the forward: the function's own statements, with each
//     let d_x = null; …                     active expression flattened into steps (rule calls,
//     <forward>                             property reads, array/object packing) whose pullbacks
//     function f_pullback(dy) {             are kept; inactive code is copied as written.
//       <reverse>                           the reverse: each unit (the active steps of one
//       return [d_x, …];                    statement) in reverse, cotangents summed per binding.
//     }
//   }
//
// Straight-line statements keep their pullbacks in constants and are reversed in source order. A
// top-level statement with active work under control flow (a loop, a branch) records, as Tangent
// does, the path the forward took: each of its units pushes its pullbacks and its id onto the
// statement's own tape (`__tape`, `__tape_2`, …), which carries the branch decisions and trip
// counts; the reverse replays that tape and runs each unit's pullback code. A function that may
// return early puts all its units on one tape. Names: names.ts; cleanup before rendering: cleanup.ts.
import type {
  Directive,
  Expression,
  ExpressionStatement,
  ForInStatement,
  ForOfStatement,
  ForStatement,
  ReturnStatement,
  Statement,
} from "oxc-parser";
import type { Identifier, Node } from "../parse.ts";
import { freeBindings } from "./activity.ts";
import { GLOBAL_MUTATORS, globalMember, mutatedArguments } from "./callees.ts";
import { ARITH_RULE, Lowering, MUTATING_METHODS, summarize, type GenContext, type Line, type Outer } from "./lower.ts";
import { isActiveOp, opText, reverseStep, stepOperands, type Active, type Unit } from "./reverse.ts";
import { forwardCotangents } from "./cleanup.ts";
import { stemOf } from "./names.ts";
import { functionLabel, isFunction, patternIds, unwrapExpr, type FunctionInfo } from "./scope.ts";

export type { GenContext, Line, Outer } from "./lower.ts";

/** The rule of one function: its statements lowered, then the forward and the pullback assembled. */
class RuleBuilder extends Lowering {
  /** The rule of a nested function, inline (it closes over this rule's forward and adjoints). */
  inlineRule(f: FunctionInfo): string {
    const outer: Outer = {
      isActive: (b) => this.act.isActiveBinding(b),
      adjointNames: this.adjointNames,
      adjoint: (b) => this.adjointOf(b),
      reversing: (b) =>
        b.fn === this.fn.node ? { flag: this.reversing(), name: this.fn.anonymous ? this.label(this.fn) : this.fn.name } : this.outer!.reversing(b),
    };
    const lines = generateRule(this.ctx, f, outer, `${f.name}__rrule`);
    const pad = "  ".repeat(this.depth);
    // The inline rule becomes part of one emitted line, from its next line on: its lines carry their origins as marks.
    return `\n${lines.map((l) => markOrigin(`${pad}  ${"  ".repeat(l.depth)}${l.text}`, l.origin)).join("\n")}`;
  }

  // ---- statements -----------------------------------------------------------------------

  /** Registers the rules of function declarations at the start of a block (they are hoisted). */
  hoistedRules(statements: (Directive | Statement)[]): void {
    for (const s0 of statements) {
      const s = s0.type === "ExportNamedDeclaration" ? s0.declaration : s0;
      if (s?.type !== "FunctionDeclaration" || !s.id) continue;
      const f = this.ctx.scopes.byNode.get(s);
      if (f && !this.ctx.handWritten.has(s)) this.emit(`__ad.withRule(${s.id.name},${this.inlineRule(f)});`, s.start);
    }
  }

  block(statements: (Directive | Statement)[]): void {
    this.hoistedRules(statements);
    statements.forEach((s, i) => {
      if (this.depth === 1) this.startGroup(s);
      this.stmt(s, i === statements.length - 1);
    });
  }

  /** The function as messages name it (its location, never a generated `anonymous_N`): the body of a template literal. */
  label(f: FunctionInfo): string {
    return functionLabel(f, this.ctx.site(f.node));
  }

  /** The label of the loop being emitted (`name: `), written on its head by braced or forOf. */
  loopLabel = "";
  takeLoopLabel(): string {
    const l = this.loopLabel;
    this.loopLabel = "";
    return l;
  }

  braced(head: string, body: Statement, origin: number, tail = "}"): void {
    this.emit(`${this.takeLoopLabel()}${head} {`, origin);
    this.depth++;
    if (body.type === "BlockStatement") this.block(body.body);
    else this.block([body]);
    this.depth--;
    this.emit(tail);
  }

  /** Kills the cotangents of active bindings assigned a constant (their old value gets none). */
  kill(ids: Identifier[], stmt: Node): void {
    for (const id of ids) {
      const b = this.ctx.scopes.refs.get(id);
      if (b && this.act.isActiveBinding(b)) this.unit(stmt).steps.push({ k: "kill", target: this.bindingOp(b), origin: id.start });
    }
  }

  stmt(s: Directive | Statement, last: boolean): void {
    const src = this.ctx.p.source;
    switch (s.type) {
      case "VariableDeclaration":
        for (const d of s.declarations) {
          const ids = patternIds(d.id);
          if (!d.init || !this.act.isActive(d.init)) {
            const text = d.init
              ? `${s.kind} ${src.slice(d.id.start, d.id.end)} = ${this.valueText(d.init)};`
              : `${s.kind} ${src.slice(d.id.start, d.id.end)};`;
            this.emit(text, d.start);
            this.kill(ids, s);
          } else if (d.id.type === "Identifier") {
            const b = this.ctx.scopes.refs.get(d.id)!;
            const name = d.id.name;
            if (!this.act.isActiveBinding(b)) this.emit(`${s.kind} ${name} = ${this.valueText(d.init)};`, d.start);
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
          this.emit(`return [${s.argument ? this.valueText(s.argument) : "undefined"}, ${this.pullbackName}];`, s.start);
          return;
        }
        const v = this.lower(s.argument, s) as Active;
        this.unit(s).steps.push({ k: "ret", src: v, origin: s.start });
        this.closeUnit();
        this.emit(`return [${v.name}, ${this.pullbackName}];`, s.start);
        return;
      }
      case "IfStatement": {
        this.emit(`if (${this.valueText(s.test)}) {`, s.start);
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
        this.braced(this.forHead(s), s.body, s.start);
        return;
      }
      case "WhileStatement":
        this.braced(`while (${this.valueText(s.test)})`, s.body, s.start);
        return;
      case "DoWhileStatement":
        this.braced("do", s.body, s.start, `} while (${this.valueText(s.test)});`);
        return;
      case "ForInStatement":
        this.braced(loopHead(src, s), s.body, s.start);
        return;
      case "ForOfStatement":
        this.forOf(s);
        return;
      case "BlockStatement":
        this.braced("", s, s.start);
        return;
      case "SwitchStatement":
        this.emit(`switch (${this.valueText(s.discriminant)}) {`, s.start);
        this.depth++;
        this.hoistedRules(s.cases.flatMap((c) => c.consequent));
        for (const c of s.cases) {
          this.emit(c.test ? `case ${this.valueText(c.test)}:` : "default:", c.start);
          this.depth++;
          c.consequent.forEach((x) => this.stmt(x, false));
          this.depth--;
        }
        this.depth--;
        this.emit("}");
        return;
      case "LabeledStatement":
        // A loop keeps its label (for `continue label`); any other statement may become several
        // (temporaries before it), so it is labelled as a block (`break label` still leaves it).
        if (/^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(s.body.type)) {
          // On the loop itself, which may come after temporaries (a for-of over tracked values).
          this.loopLabel = `${s.label.name}: `;
          this.stmt(s.body, last);
        } else {
          this.emit(`${s.label.name}: {`, s.start);
          this.depth++;
          this.stmt(s.body, last);
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
        // break, continue, throw, empty, debugger, type declarations: as written (a throw reads values).
        this.emit(s.type === "ThrowStatement" ? this.valueText(s) : this.verbatim(s), s.start);
    }
  }

  expressionStatement(s: ExpressionStatement): void {
    const e0 = unwrapExpr(s.expression);
    const e = e0.type === "ChainExpression" ? e0.expression : e0; // `p?.xs.push(y)`: checked as the call
    const src = this.ctx.p.source;
    if (e.type === "AssignmentExpression") {
      const left = e.left;
      if (left.type === "MemberExpression") {
        let root = left.object;
        while (root.type === "MemberExpression") root = root.object;
        root = unwrapExpr(root);
        if (root.type === "Identifier" && this.act.isActiveBinding(this.ctx.scopes.refs.get(root))) {
          this.error(
            left,
            `in-place write into the tracked value \`${root.name}\`: mutation cannot be differentiated`,
            "build a new value with an op (or a new object/array literal) instead of writing into this one",
          );
          return;
        }
        if (this.act.isActive(e.right)) {
          this.error(
            e,
            "storing a tracked value into an object property is a side effect the pullback cannot see",
            "return the value, or build a new object with it",
          );
          return;
        }
        this.emit(`${this.valueText(e)};`, s.start);
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
            this.emit(`${left.name} = ${this.valueText(e.right)};`, s.start);
            this.kill([left], s);
            return;
          }
          this.lower(e.right, s, { op: this.bindingOp(b!), decl: null });
          return;
        }
        const op = e.operator.slice(0, -1);
        if (!active && !this.act.isActive(e.right)) {
          this.emit(`${this.valueText(e)};`, s.start);
          return;
        }
        if (!ARITH_RULE[op]) {
          this.error(e, `\`${e.operator}\` on a tracked value is not differentiable`, "write the assignment out with an op");
          return;
        }
        const args = [this.lower(left, s), this.lower(e.right, s)];
        this.callStep(`__ad.num.${ARITH_RULE[op]}`, ARITH_RULE[op], args, e, s, { op: this.bindingOp(b!), decl: null });
        return;
      }
      // Destructuring assignment.
      if (!this.act.isActive(e.right)) {
        this.emit(`(${this.valueText(e)});`, s.start);
        this.kill(patternIds(left), s);
        return;
      }
      const v = this.lower(e.right, s);
      if (isActiveOp(v)) this.bindPattern(left, v, null, s);
      return;
    }
    if (e.type === "UpdateExpression") {
      let root: Expression = e.argument;
      while (root.type === "MemberExpression") root = root.object;
      if (root.type === "Identifier" && this.act.isActiveBinding(this.ctx.scopes.refs.get(root))) {
        if (e.argument.type === "MemberExpression")
          this.error(
            e,
            `\`${e.operator}\` writes into the tracked value \`${root.name}\` in place: mutation cannot be differentiated`,
            "build a new value (a new object or array literal) instead of writing into this one",
          );
        else
          this.error(
            e,
            `\`${e.operator}\` on the tracked value \`${root.name}\` is not differentiable`,
            `write \`${root.name} = ${root.name} ${e.operator[0]} 1\``,
          );
        return;
      }
      this.emit(`${this.valueText(e)};`, s.start);
      return;
    }
    const deleted =
      e.type === "UnaryExpression" && e.operator === "delete"
        ? unwrapExpr(e.argument.type === "ChainExpression" ? e.argument.expression : e.argument)
        : null;
    if (deleted?.type === "MemberExpression" && this.rootActive(deleted)) {
      this.error(e, "`delete` on a property of a tracked value: mutation cannot be differentiated", "build a new object without the property");
      return;
    }
    if (e.type === "CallExpression") {
      const callee = unwrapExpr(e.callee);
      for (const i of mutatedArguments(e, this.ctx.scopes)) {
        const a = e.arguments[i];
        if (a && this.act.isActive(a)) {
          this.error(
            a,
            `\`${summarize(src, callee, 30)}\` writes into the tracked value \`${summarize(src, a, 30)}\` in place: mutation cannot be differentiated`,
            "use the out-of-place op (e.g. add instead of addInto)",
          );
          return;
        }
      }
      const global = globalMember(callee, this.ctx.scopes);
      if (global && GLOBAL_MUTATORS.has(`${global[0]}.${global[1]}`) && e.arguments[0] && this.act.isActive(e.arguments[0])) {
        this.error(
          e.arguments[0],
          `\`${global[0]}.${global[1]}\` writes into the tracked value \`${summarize(src, e.arguments[0], 30)}\`: mutation cannot be differentiated`,
          "build a new object instead: `{ ...fields, key: value }` with a plain literal",
        );
        return;
      }
      if (callee.type === "MemberExpression" && !callee.computed && MUTATING_METHODS.has(callee.property.name)) {
        const objActive = this.act.isActive(callee.object) || (callee.object.type === "MemberExpression" && this.rootActive(callee.object));
        if (objActive || e.arguments.some((a) => this.act.isActive(a.type === "SpreadElement" ? a.argument : a))) {
          this.error(
            callee,
            `\`.${callee.property.name}(…)\` mutates ${objActive ? "a tracked value" : "an array or object with a tracked value"}: the pullback cannot see mutation`,
            "build a new array instead, e.g. `xs = [...xs, y]`",
          );
          return;
        }
      }
    }
    this.emit(`${this.valueText(e)};`, s.start);
  }

  rootActive(n: Expression): boolean {
    let root = n;
    while (root.type === "MemberExpression") root = root.object;
    root = unwrapExpr(root);
    return root.type === "Identifier" && this.act.isActiveBinding(this.ctx.scopes.refs.get(root));
  }

  /** `for (init; test; update)` with the reads of tracked values in its (untracked) parts as valueText writes them. */
  forHead(s: ForStatement): string {
    const head = loopHead(this.ctx.p.source, s);
    let out = "";
    let at = s.start;
    for (const part of [s.init, s.test, s.update]) {
      if (!part) continue;
      out += head.slice(at - s.start, part.start - s.start) + this.valueText(part);
      at = part.end;
    }
    return out + head.slice(at - s.start);
  }

  forOf(s: ForOfStatement): void {
    const src = this.ctx.p.source;
    if (s.await) {
      this.error(s, "`for await` is not supported in differentiated functions");
      return;
    }
    if (!this.act.isActive(s.right)) {
      this.braced(loopHead(src, s), s.body, s.start);
      return;
    }
    // for (const x of xs) over tracked values: an indexed loop; each element is read with a get
    // step whose index is saved, so the reverse routes x's cotangent to xs[i].
    const list = this.pseudoOp(stemOf(s.right));
    const v = this.lower(s.right, s);
    this.unit(s).steps.push({ k: "copy", out: list, src: v as Active, origin: s.right.start });
    this.emit(`const ${list.name} = ${opText(v)};`, s.right.start);
    this.closeUnit();
    const i = this.fresh("i");
    this.emit(`${this.takeLoopLabel()}for (let ${i} = 0; ${i} < ${list.name}.length; ${i}++) {`, s.start);
    this.depth++;
    const left = s.left.type === "VariableDeclaration" ? s.left.declarations[0].id : s.left;
    const decl = s.left.type === "VariableDeclaration" ? s.left.kind : null;
    this.unit(s).saved.push(i);
    const el = this.temp(`${stemOf(s.right)}_i`);
    this.unit(s).steps.push({ k: "get", out: el, obj: list, key: i, origin: left.start });
    this.emit(`const ${el.name} = ${list.name}[${i}];`, left.start);
    if (left.type === "Identifier") {
      const b = this.ctx.scopes.refs.get(left);
      if (!b) {
        this.error(
          left,
          `\`${left.name}\` is not declared: a tracked value cannot be assigned to it`,
          `declare it: \`for (const ${left.name} of …)\``,
        );
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
    const patterns: { pat: Node; op: Active; index: number; dflt?: Expression }[] = [];
    node.params.forEach((p, i) => {
      const base = p.type === "AssignmentPattern" ? p.left : p.type === "TSParameterProperty" ? p.parameter : p;
      const bound = patternIds(base).some((id) => this.act.isActiveBinding(this.ctx.scopes.refs.get(id)));
      if (p.type === "AssignmentPattern" && bound && this.act.isActive(p.right)) {
        // A default computed from tracked values (`y = x`): taken in the forward, so that y's
        // cotangent reaches x when the argument is missing, and the argument otherwise.
        const op = this.pseudoOp(`arg${i}`);
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
        const op = this.pseudoOp(`arg${i}`);
        params.push(p.type === "AssignmentPattern" ? `${op.name} = ${src.slice(p.right.start, p.right.end)}` : op.name);
        const anyActive = patternIds(base).some((id) => this.act.isActiveBinding(this.ctx.scopes.refs.get(id)));
        paramOps.push(anyActive ? op : null);
        patterns.push({ pat: base, op, index: i });
      }
    });

    // Forward. An argument no derivative flows from may still carry a tangent (hvp's v, the
    // pullback of grad(f) over it): the function reads its value, as first order does.
    node.params.forEach((p, i) => {
      const base = p.type === "AssignmentPattern" ? p.left : p.type === "RestElement" ? p.argument : p;
      if (base.type === "Identifier" && (p.type === "RestElement" ? restParam === null : paramOps[i] === null))
        this.emit(`${base.name} = __ad.primalOf(${base.name});`, p.start);
    });
    for (const { pat, op, dflt } of patterns) {
      this.startGroup(pat);
      if (dflt) {
        const value = pat.type === "Identifier" ? this.bindingOp(this.ctx.scopes.refs.get(pat)!) : this.pseudoOp("value");
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
        this.emit(`let ${src.slice(pat.start, pat.end)} = __ad.primalOf(${op.name});`, pat.start);
        continue;
      }
      this.bindPattern(pat, op, "let", pat);
      this.closeUnit();
    }
    const body = node.body;
    if (body.type === "BlockStatement") this.block(body.body);
    else {
      this.startGroup(body);
      const ret: ReturnStatement = { type: "ReturnStatement", argument: body, start: body.start, end: body.end };
      this.stmt(ret, true);
    }
    const endsWithReturn = body.type !== "BlockStatement" || body.body[body.body.length - 1]?.type === "ReturnStatement";
    if (!endsWithReturn) this.emit(`return [undefined, ${this.pullbackName}];`);

    return this.render(params, paramOps, restParam);
  }

  /**
   * The units in segments, in source order: a top-level statement whose units all run once
   * (straight-line) is a segment without a tape; one with units under control flow (a loop, a
   * branch) records the path it takes on a tape of its own. An early return makes the whole
   * function one taped segment (the statements after it may not run).
   */
  segments(): { units: Unit[]; tape: string | null; origin: Node | null }[] {
    if (this.returns.some((r) => r.depth > 1 || !r.last))
      return this.units.length > 0 ? [{ units: this.units, tape: this.fresh("tape"), origin: null }] : [];
    const out: { units: Unit[]; tape: string | null; origin: Node | null }[] = [];
    for (let g = 0; g < this.groups.length; g++) {
      const units = this.units.filter((u) => u.group === g);
      if (units.length === 0) continue;
      out.push({ units, tape: units.some((u) => u.depth > 0) ? this.fresh("tape") : null, origin: this.groups[g] });
    }
    return out;
  }

  render(params: string[], paramOps: (Active | null)[], restParam: Active | null): Line[] {
    const node = this.fn.node;
    const src = this.ctx.p.source;
    const line = (n: number) => this.ctx.p.index.position(n).line;
    const segments = this.segments();
    const forwarded = forwardCotangents(this.units);
    const tapeOf = new Map<Unit, string>();
    for (const sg of segments) if (sg.tape) for (const u of sg.units) tapeOf.set(u, sg.tape);
    const out: Line[] = [];
    const own = [...this.adjoints.values()].map((a) => a.adj).concat(this.pseudo.map((a) => a.adj));
    out.push({ depth: 0, text: `function ${this.ruleName}(${params.join(", ")}) {`, origin: node.start });
    for (const a of own) out.push({ depth: 1, text: `let ${a} = null;` });
    for (const sg of segments) {
      if (!sg.tape) continue;
      const what = sg.origin ? `the statement on line ${line(sg.origin.start)}` : "the function (it returns early)";
      out.push({ depth: 1, text: `const ${sg.tape}: unknown[] = []; // the path taken by ${what}` });
    }
    if (this.reversingFlag) out.push({ depth: 1, text: `let ${this.reversingFlag} = false;` });
    for (const l of this.lines) {
      if (!l.save) out.push(l);
      else if (tapeOf.has(l.save))
        out.push({ depth: l.depth, text: `${tapeOf.get(l.save)}.push(${[...l.save.saved, l.save.id].join(", ")});`, origin: l.save.origin.start });
    }

    // Reverse.
    out.push({ depth: 1, text: `function ${this.pullbackName}(__dy: any): any[] {`, origin: node.start });
    // A nested rule over captured tracked values: are the pullbacks of their owners running?
    const owners = this.outer
      ? [
          ...new Map(
            freeBindings(node, this.ctx.scopes)
              .filter((b) => this.act.isActiveBinding(b))
              .map((b) => this.outer!.reversing(b))
              .map((o) => [o.flag, o]),
          ).values(),
        ]
      : [];
    if (owners.length > 0)
      out.push({
        depth: 2,
        text: `if (!(${owners.map((o) => o.flag).join(" && ")})) __ad.escapedClosure(\`${this.label(this.fn)}\`, \`${owners.map((o) => o.name).join(", ")}\`);`,
      });
    if (this.reversingFlag) out.push({ depth: 2, text: `${this.reversingFlag} = true;` });
    // The cotangents start at zero on every call of the pullback.
    for (let i = 0; i < own.length; i += 6) out.push({ depth: 2, text: `${own.slice(i, i + 6).join(" = ")} = null;` });
    const unitLines = (u: Unit, depth: number): Line[] => {
      const lines: Line[] = [];
      for (let j = u.steps.length - 1; j >= 0; j--)
        for (const t of reverseStep(u.steps[j])) lines.push({ depth, text: t, origin: u.steps[j].origin });
      return lines;
    };
    /** `// pullback of: <the statement> (line N)`, cut to keep the line under ~120 characters. */
    const comment = (u: Unit, depth: number, prefix: string) => {
      const tail = ` (line ${line(u.origin.start)})`;
      return `// pullback of: ${summarize(src, u.origin, Math.max(30, 118 - 2 * depth - prefix.length - 16 - tail.length))}${tail}`;
    };
    // A temp computed in one unit and used in another (a ternary or && inside an expression splits
    // its statement into units) outlives its unit: declared for the whole pullback.
    const producer = new Map<Active, Unit>();
    for (const u of this.units) for (const st of u.steps) if ("out" in st) producer.set(st.out, u);
    const shared = this.temps.filter(
      (t) => producer.has(t) && this.units.some((u) => u !== producer.get(t) && u.steps.some((st) => stepOperands(st).includes(t))),
    );
    for (const t of shared) out.push({ depth: 2, text: `let ${t.adj}: any = null;` });
    const temps = (u: Unit, depth: number): Line[] =>
      this.temps
        .filter((t) => !shared.includes(t) && !forwarded.has(t) && producer.get(t) === u)
        .map((t) => ({ depth, text: `let ${t.adj}: any = null;` }));
    for (let k = segments.length - 1; k >= 0; k--) {
      const sg = segments[k];
      if (!sg.tape) {
        // Each unit in its own block: the `const __o_d_x` a unit declares when it consumes a
        // binding's cotangent is declared again by every other unit that writes x.
        for (let i = sg.units.length - 1; i >= 0; i--) {
          const u = sg.units[i];
          out.push({ depth: 2, text: `{ ${comment(u, 2, "{ ")}` });
          out.push(...temps(u, 3), ...unitLines(u, 3));
          out.push({ depth: 2, text: "}" });
        }
        continue;
      }
      const what = sg.origin ? `${summarize(src, sg.origin, 80)} (line ${line(sg.origin.start)})` : `the function (it returns early)`;
      out.push({ depth: 2, text: `// pullback of: ${what}` });
      out.push({ depth: 2, text: `// replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)` });
      out.push({ depth: 2, text: `for (let __t = ${sg.tape}.length; __t > 0; ) {` });
      out.push({ depth: 3, text: `switch (${sg.tape}[--__t]) {` });
      for (const u of sg.units) {
        out.push({ depth: 4, text: `case ${u.id}: { ${comment(u, 4, `case ${u.id}: { `)}` });
        for (let j = u.saved.length - 1; j >= 0; j--) out.push({ depth: 5, text: `const ${u.saved[j]} = ${sg.tape}[--__t] as any;` });
        out.push(...temps(u, 5), ...unitLines(u, 5));
        out.push({ depth: 5, text: "break;" });
        out.push({ depth: 4, text: "}" });
      }
      out.push({ depth: 3, text: "}" });
      out.push({ depth: 2, text: "}" });
    }
    const cots = paramOps.map((p) => (p ? p.adj : "null"));
    const lastParam = node.params.at(-1);
    if (lastParam?.type === "RestElement") {
      const rest = lastParam.argument;
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

/** A line's origin appended as a mark (`ORIGIN_MARK`), which emit strips into a stack frame. */
export const ORIGIN_MARK = /\/\*@@origin:(\d+)\*\/$/;
export function markOrigin(text: string, origin: number | undefined): string {
  if (origin === undefined) return text;
  return text
    .split("\n")
    .map((t) => (ORIGIN_MARK.test(t) ? t : `${t}/*@@origin:${origin}*/`))
    .join("\n");
}

/** The rule of `fn` as lines (`function <ruleName>(…) { … }`). */
export function generateRule(ctx: GenContext, fn: FunctionInfo, outer: Outer | null, ruleName: string): Line[] {
  return new RuleBuilder(ctx, fn, outer, ruleName).build();
}

export { freeBindings, isFunction };

/**
 * The head of a `for` loop as written, up to its closing `)`: what lies between it and the body
 * (comments, a line comment above all) is left out, so that the `{` written after it is code.
 */
export function loopHead(src: string, s: ForStatement | ForInStatement | ForOfStatement): string {
  const parts = (s.type === "ForStatement" ? [s.init, s.test, s.update] : [s.left, s.right]).filter((x) => !!x);
  let p = parts.length > 0 ? Math.max(...parts.map((x) => x.end)) : s.start + 3;
  while (p < s.body.start) {
    if (src.startsWith("//", p)) p = src.indexOf("\n", p) < 0 ? s.body.start : src.indexOf("\n", p);
    else if (src.startsWith("/*", p)) {
      const close = src.indexOf("*/", p + 2);
      if (close < 0) break;
      p = close + 2;
    } else if (src[p] === ")") return src.slice(s.start, p + 1);
    else p++; // whitespace, and the `(` and `;` of an empty `for (;;)` part
  }
  return src.slice(s.start, s.body.start).trimEnd();
}
