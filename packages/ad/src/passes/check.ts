// Pass 2 — check: finds every `ad(fn)` call and validates fn against the rrule-call convention
// (docs/ad.md, rules 1–8): rrule-call forms and markers, tracked inputs and outputs, linearity
// (each tracked value consumed exactly once), loops with a `let __;` prelude, attach/detach,
// nested `ad`. The result is a model of each ad function for the expand pass.
import { makeDiagnostic, type Diagnostic } from "../diagnostics.ts";
import type {
  Argument,
  BreakStatement,
  ContinueStatement,
  ArrayAssignmentTarget,
  ArrayPattern,
  AssignmentExpression,
  AssignmentTargetMaybeDefault,
  AssignmentTargetPropertyIdentifier,
  AssignmentTargetRest,
  BindingRestElement,
  ParamPattern,
  ArrowFunctionExpression,
  BindingPattern,
  CallExpression,
  Directive,
  DoWhileStatement,
  Expression,
  ExpressionStatement,
  ForInStatement,
  ForOfStatement,
  ForStatement,
  Function,
  PropertyKey,
  ReturnStatement,
  Statement,
  VariableDeclaration,
  WhileStatement,
} from "oxc-parser";
import { children, eachChild, type Identifier, type Node, type Parsed } from "./parse.ts";
import { METADATA } from "./implicit/activity.ts";

/**
 * What `pattern` and `bindingNames` read: a parameter, a declaration's binding, or an element of
 * an assignment's array pattern (anything but an identifier or a plain pattern is reported).
 */
type PatternNode =
  | ParamPattern
  | BindingPattern
  | BindingRestElement
  | AssignmentTargetRest
  | AssignmentTargetMaybeDefault
  | AssignmentTargetPropertyIdentifier["value"];

/** A tracked structure: an identifier, or array/object literals (patterns) of them. */
export type TreeShape =
  | { kind: "id"; name: string; node: Node }
  | { kind: "arr"; items: TreeShape[]; node: Node }
  | { kind: "obj"; props: { key: string; value: TreeShape }[]; node: Node };

export interface CallStep {
  kind: "call";
  /** `const [y, __] = f(x);` or (in a loop) `[y, __] = f(x);`. */
  stmt: VariableDeclaration | ExpressionStatement;
  marker: Identifier;
  callee: Expression;
  /** "attach": input is a constant (cotangent dropped); "detach": output is untracked (zero gradient). */
  special: "attach" | "detach" | null;
  input: TreeShape | null;
  output: TreeShape | null;
}

export interface LoopStep {
  kind: "loop";
  prelude: VariableDeclaration;
  preludeMarker: Identifier;
  loop: Loop;
  steps: CallStep[];
}

export type Loop = ForStatement | WhileStatement | DoWhileStatement | ForOfStatement | ForInStatement;
/** A `return` with a value (the one ending an ad function). */
export type ValueReturn = ReturnStatement & { argument: Expression };

export interface AdFunction {
  call: CallExpression;
  fn: ArrowFunctionExpression | Function;
  /** Used for the pullback's name: `<name>_pullback`. */
  name: string;
  param: TreeShape;
  steps: (CallStep | LoopStep)[];
  ret: ValueReturn;
  retTree: TreeShape;
}

const RESERVED = /^(__pb\d+|__stack\d+|__dout|__i)$/;
const LOOPS = new Set(["ForStatement", "WhileStatement", "DoWhileStatement", "ForOfStatement", "ForInStatement"]);
const isLoop = (n: Node): n is Loop => LOOPS.has(n.type);
const FUNCTIONS = new Set(["FunctionExpression", "ArrowFunctionExpression", "FunctionDeclaration"]);

export function unparen(n: Expression): Expression;
export function unparen(n: Argument): Argument;
export function unparen(n: Argument): Argument {
  while (
    n &&
    (n.type === "ParenthesizedExpression" || n.type === "TSAsExpression" || n.type === "TSNonNullExpression" || n.type === "TSSatisfiesExpression")
  )
    n = n.expression;
  return n;
}

/** `__` or `__` followed by digits (no regex: this runs on every identifier). */
function markerName(name: string): boolean {
  if (name.length < 2 || name.charCodeAt(0) !== 95 || name.charCodeAt(1) !== 95) return false;
  for (let i = 2; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const reservedName = (name: string): boolean => name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95 && RESERVED.test(name);

export function isMarker(n: Node | null | undefined): boolean {
  return !!n && n.type === "Identifier" && markerName(n.name);
}

function isAdCall(n: Node): n is CallExpression {
  return n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "ad";
}

function treeNames(t: TreeShape, out: { name: string; node: Node }[] = []): { name: string; node: Node }[] {
  if (t.kind === "id") out.push({ name: t.name, node: t.node });
  else if (t.kind === "arr") t.items.forEach((i) => treeNames(i, out));
  else t.props.forEach((p) => treeNames(p.value, out));
  return out;
}

/** The static key of a property (object literal or pattern, class member), if it has one. */
function keyName(prop: { computed: boolean; key: PropertyKey }): string | null {
  if (prop.computed) return null;
  const k = prop.key;
  if (k.type === "Identifier") return k.name;
  if (k.type === "Literal" && (typeof k.value === "string" || typeof k.value === "number")) return String(k.value);
  return null;
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly functions: AdFunction[] = [];
  constructor(readonly p: Parsed) {}

  error(node: { start: number; end: number }, reason: string, hint?: string): void {
    this.diagnostics.push(makeDiagnostic(this.p.file, this.p.index, node.start, node.end, reason, hint));
  }

  line(node: { start: number }): number {
    return this.p.index.position(node.start).line;
  }

  text(node: { start: number; end: number }): string {
    return this.p.source.slice(node.start, node.end);
  }

  /** Offsets of every `ad(` / `ad<` in the source: subtrees without one are not walked. */
  readonly adOffsets: number[] = [];

  hasAdWithin(start: number, end: number): boolean {
    const a = this.adOffsets;
    let lo = 0,
      hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && a[lo] < end;
  }

  /** Finds ad calls anywhere (nested ones included), naming each from its binding. */
  findAll(node: Node, name: string | null): void {
    if (!this.hasAdWithin(node.start, node.end)) return;
    if (isAdCall(node)) this.checkAd(node, name);
    for (const c of children(node)) {
      let hint: string | null = null;
      if (node.type === "VariableDeclarator" && c === node.init && node.id.type === "Identifier") hint = node.id.name;
      else if (node.type === "Property" && c === node.value) hint = keyName(node);
      else if ((node.type === "PropertyDefinition" || node.type === "MethodDefinition") && c === node.value) hint = keyName(node);
      else if (node.type === "AssignmentExpression" && c === node.right) {
        const l = node.left;
        hint = l.type === "Identifier" ? l.name : l.type === "MemberExpression" && !l.computed ? l.property.name : null;
      } else if (node.type === "ExportDefaultDeclaration") hint = "default";
      else if (c.type === "ParenthesizedExpression" || node.type === "ParenthesizedExpression") hint = name;
      this.findAll(c, hint);
    }
  }

  /** Pattern (parameter, rrule output) → tracked structure. */
  pattern(n: PatternNode, what: string): TreeShape | null {
    if (n.type === "Identifier") {
      if (isMarker(n)) {
        this.error(n, `the marker \`${n.name}\` cannot be ${what}`, "`__` only marks the pullback slot: the second element of `[out, __] = f(x)`");
        return null;
      }
      return { kind: "id", name: n.name, node: n };
    }
    if (n.type === "ArrayPattern") {
      const items: TreeShape[] = [];
      for (const el of n.elements) {
        if (el === null) {
          this.error(n, `holes are not allowed in ${what}`, "name every element; consume unwanted ones with `detach`");
          return null;
        }
        const t = this.pattern(el, what);
        if (!t) return null;
        items.push(t);
      }
      return { kind: "arr", items, node: n };
    }
    if (n.type === "ObjectPattern") {
      const props: { key: string; value: TreeShape }[] = [];
      for (const prop of n.properties) {
        if (prop.type !== "Property" || keyName(prop) === null) {
          this.error(
            prop,
            `only plain \`key: pattern\` properties are allowed in ${what}`,
            "rest elements and computed keys cannot carry cotangents",
          );
          return null;
        }
        const t = this.pattern(prop.value, what);
        if (!t) return null;
        props.push({ key: keyName(prop)!, value: t });
      }
      return { kind: "obj", props, node: n };
    }
    if (n.type === "AssignmentPattern") {
      this.error(n, `default values are not allowed in ${what}`, "a tracked value must be provided by the caller");
      return null;
    }
    if (n.type === "RestElement") {
      this.error(n, `rest elements are not allowed in ${what}`, "list the tracked values one by one");
      return null;
    }
    this.error(n, `${what} must be an identifier or an array/object pattern of identifiers`);
    return null;
  }

  /** Expression (first argument, return value) → tracked structure of identifiers. */
  expression(raw: Expression, what: string, hint: string): TreeShape | null {
    const n = unparen(raw);
    if (n.type === "Identifier") {
      if (isMarker(n)) {
        this.error(
          n,
          `the marker \`${n.name}\` cannot be used as a value`,
          "`__` only marks the pullback slot: the second element of `[out, __] = f(x)`",
        );
        return null;
      }
      return { kind: "id", name: n.name, node: n };
    }
    if (n.type === "ArrayExpression") {
      const items: TreeShape[] = [];
      for (const el of n.elements) {
        if (el === null || el.type === "SpreadElement") {
          this.error(el ?? n, `${el ? "spread elements" : "holes"} are not allowed in ${what}`, hint);
          return null;
        }
        const t = this.expression(el, what, hint);
        if (!t) return null;
        items.push(t);
      }
      return { kind: "arr", items, node: n };
    }
    if (n.type === "ObjectExpression") {
      const props: { key: string; value: TreeShape }[] = [];
      for (const prop of n.properties) {
        if (prop.type !== "Property" || prop.kind !== "init" || prop.method || keyName(prop) === null) {
          this.error(prop, `only plain \`key: value\` properties are allowed in ${what}`, hint);
          return null;
        }
        const t = this.expression(prop.value, what, hint);
        if (!t) return null;
        props.push({ key: keyName(prop)!, value: t });
      }
      return { kind: "obj", props, node: n };
    }
    this.error(n, `${what} must be a tracked identifier or an array/object literal of them, not \`${this.text(n).slice(0, 40)}\``, hint);
    return null;
  }

  checkAd(call: CallExpression, name: string | null): void {
    const fnName = name && /^[A-Za-z_$][\w$]*$/.test(name) ? name : "ad";
    const errorsBefore = this.diagnostics.length;
    if (call.arguments.length !== 1) {
      this.error(call, `ad(...) takes exactly one function, got ${call.arguments.length} arguments`, "write `ad((x) => { …; return y; })`");
      return;
    }
    const fn = unparen(call.arguments[0]);
    if (fn.type !== "ArrowFunctionExpression" && fn.type !== "FunctionExpression") {
      this.error(
        fn,
        "ad(...) needs a function literal, not a reference to one",
        "the loader rewrites the function's source: write it inline, `ad((x) => { … })`",
      );
      return;
    }
    if (fn.async || fn.generator) {
      this.error(fn, `an ad function cannot be ${fn.async ? "async" : "a generator"}`, "pullbacks are generated for plain synchronous code");
      return;
    }
    // (A function expression always has a body; oxc's `Function` type also covers bodiless declarations.)
    if (fn.body === null || fn.body.type !== "BlockStatement") {
      this.error(fn.body ?? fn, "an ad function needs a block body ending in `return`", "write `(x) => { const [y, __] = f(x); return y; }`");
      return;
    }
    if (fn.params.length === 0) {
      this.error(
        fn,
        "an ad function needs a parameter: its differentiable input",
        "write `ad((x) => …)` or `ad(([x, w]) => …)`; further parameters are not differentiated",
      );
      return;
    }
    const param = this.pattern(fn.params[0], "the differentiable parameter");
    if (!param) return;
    const extra = new Set<string>();
    for (const p of fn.params.slice(1)) this.bindingNames(p, extra);

    const known = new Map<string, { kind: "param" | "const" | "let" | "plain" }>();
    const live = new Map<string, Node>();
    const consumedAt = new Map<string, Node>();
    for (const { name: n, node } of treeNames(param)) {
      if (live.has(n)) this.error(node, `\`${n}\` appears twice in the parameters`, "each tracked input needs its own name");
      live.set(n, node);
      known.set(n, { kind: "param" });
    }
    const st: State = { known, live, consumedAt, extra };

    const body = fn.body.body;
    const steps: (CallStep | LoopStep)[] = [];
    let ret: ReturnStatement | null = null;
    let retTree: TreeShape | null = null;
    // Plain `let t;` declarations (no initializer) may receive rrule outputs inside loops.
    for (const s of body) {
      if (s.type === "VariableDeclaration" && s.kind === "let") {
        for (const d of s.declarations)
          if (d.id.type === "Identifier" && !isMarker(d.id) && d.init === null && !known.has(d.id.name)) known.set(d.id.name, { kind: "plain" });
      }
    }
    for (let i = 0; i < body.length; i++) {
      const s = body[i];
      if (ret) {
        this.error(
          s,
          "`return` must be the last statement of an ad function",
          "statements after `return` never run and their values are never differentiated",
        );
        break;
      }
      if (s.type === "ReturnStatement") {
        ret = s;
        if (!s.argument) {
          this.error(s, "an ad function must return a tracked value", "write `return y;` with y produced by an rrule call (or a parameter)");
          continue;
        }
        retTree = this.expression(
          s.argument,
          "the return value",
          "return a tracked identifier or an array/object literal of them; compute anything else in an rrule call",
        );
        if (retTree) for (const { name: n, node } of treeNames(retTree)) this.consume(st, n, node, "returned");
        continue;
      }
      const step = this.classify(s);
      if (step === "prelude") {
        const next = body[i + 1];
        if (!next || !isLoop(next)) {
          this.error(
            s,
            "a `let __;` prelude must be immediately followed by a loop",
            "the prelude declares the pullback stack of the loop on the next line",
          );
          continue;
        }
        const loop = this.checkLoop(st, s as VariableDeclaration, next); // a prelude is a declaration (`classify`)
        if (loop) steps.push(loop);
        i++;
        continue;
      }
      if (step && step.kind === "call") {
        if (step.stmt.type === "ExpressionStatement") {
          this.error(s, "an assignment-form rrule call is only allowed inside a loop", "declare the output: `const [y, __] = f(x);`");
          continue;
        }
        // `classify` refused `var`, and `using` declarations take no pattern.
        this.applyCall(st, step, step.stmt.kind as "const" | "let");
        steps.push(step);
        continue;
      }
      if (step === null) continue; // malformed rrule call (reported)
      // Any other statement.
      if (isLoop(s) && this.containsRRule(s)) {
        this.error(
          s,
          "this loop contains rrule calls but has no `let __;` prelude",
          "add `let __;` on the line before the loop: it becomes the loop's pullback stack",
        );
        continue;
      }
      this.plainStatement(st, s);
    }
    if (!ret) {
      this.error(
        { start: fn.body.end - 1, end: fn.body.end },
        "an ad function must end with `return <tracked value>`",
        "return the output of the last rrule call, e.g. `return y;`",
      );
      return;
    }
    // Unused values are only reported when the body is otherwise valid (else they are noise).
    if (this.diagnostics.length === errorsBefore)
      for (const [n, node] of st.live) {
        this.error(
          node,
          `\`${n}\` is never used: every tracked value must be consumed exactly once`,
          `use it in an rrule call or return it; if its gradient is not needed, consume it with \`const [_${n}, __] = detach(${n})\``,
        );
      }
    if (!retTree) return;
    // `retTree` was built from the return's argument.
    this.functions.push({ call, fn, name: fnName, param, steps, ret: ret as ValueReturn, retTree });
  }

  bindingNames(n: PatternNode, out: Set<string>): void {
    if (n.type === "Identifier") out.add(n.name);
    else if (n.type === "ArrayPattern") n.elements.forEach((e) => e && this.bindingNames(e, out));
    else if (n.type === "ObjectPattern") n.properties.forEach((p) => this.bindingNames(p.type === "RestElement" ? p.argument : p.value, out));
    else if (n.type === "AssignmentPattern") this.bindingNames(n.left, out);
    else if (n.type === "RestElement") this.bindingNames(n.argument, out);
    else if (n.type === "TSParameterProperty") this.bindingNames(n.parameter, out);
  }

  /**
   * A statement as an rrule call (CallStep), a loop prelude ("prelude"), a malformed use of a
   * marker (null, reported), or anything else (undefined).
   */
  classify(s: Directive | Statement): CallStep | "prelude" | null | undefined {
    if (s.type === "VariableDeclaration") {
      const withMarker = s.declarations.filter((d) => isMarker(d.id) || (d.id.type === "ArrayPattern" && d.id.elements.some(isMarker)));
      if (withMarker.length === 0) return undefined;
      if (s.declarations.length !== 1) {
        this.error(s, "an rrule call must be a declaration of its own", "split it: one `const [y, __] = f(x);` per statement");
        return null;
      }
      const d = s.declarations[0];
      if (d.id.type === "Identifier" && isMarker(d.id)) {
        if (d.init !== null) {
          this.error(
            d,
            `the marker \`${d.id.name}\` cannot be assigned a value`,
            "`let __;` (no initializer) is the loop prelude; rrule calls are `const [y, __] = f(x)`",
          );
          return null;
        }
        if (s.kind !== "let") {
          this.error(s, `the loop prelude must be \`let ${d.id.name};\`, not \`${s.kind}\``, "write `let __;` right before the loop");
          return null;
        }
        return "prelude";
      }
      if (s.kind === "var") {
        this.error(s, "rrule calls must be declared with `const` or `let`, not `var`", "write `const [y, __] = f(x);`");
        return null;
      }
      // `withMarker`: the binding is a marker (handled above) or an array pattern holding one.
      return this.callForm(s, d.id as ArrayPattern, d.init);
    }
    if (s.type === "ExpressionStatement") {
      const e = unparen(s.expression);
      if (e.type === "AssignmentExpression" && e.left.type === "ArrayPattern" && e.left.elements.some(isMarker)) {
        if (e.operator !== "=") {
          this.error(e, `an rrule call assigns with \`=\`, not \`${e.operator}\``);
          return null;
        }
        return this.callForm(s, e.left, e.right);
      }
    }
    return undefined;
  }

  callForm(stmt: VariableDeclaration | ExpressionStatement, pat: ArrayPattern | ArrayAssignmentTarget, init: Expression | null): CallStep | null {
    const els = pat.elements;
    const marker = els.length === 2 ? els[1] : null;
    if (marker?.type !== "Identifier" || !isMarker(marker)) {
      const m = els.find(isMarker)!;
      this.error(m, "the marker must be the second and last element: `[out, __] = f(x)`", "the pattern of an rrule call is exactly `[out, __]`");
      return null;
    }
    if (!init) {
      this.error(pat, "an rrule call needs a call on the right: `const [y, __] = f(x)`");
      return null;
    }
    const call = unparen(init);
    if (call.type !== "CallExpression") {
      this.error(
        init,
        `the right side of \`[out, ${marker.name}] = …\` must be an rrule call, not \`${this.text(init).slice(0, 40)}\``,
        "the marker receives the pullback that the call returns: `const [y, __] = f(x)`",
      );
      return null;
    }
    if (call.optional) {
      this.error(call, "an rrule call cannot be optional (`?.`)");
      return null;
    }
    const callee = unparen(call.callee);
    const special =
      callee.type === "Identifier" && (callee.name === "attach" || callee.name === "detach") ? (callee.name as "attach" | "detach") : null;
    if (call.arguments.length === 0) {
      this.error(call, "an rrule call needs a first argument: the differentiable input", `write \`${this.text(call.callee)}(x, …)\``);
      return null;
    }
    const arg0 = call.arguments[0];
    if (arg0.type === "SpreadElement") {
      this.error(arg0, "the first argument of an rrule call cannot be a spread", "pass the differentiable inputs as an array literal: `f([a, b])`");
      return null;
    }
    let input: TreeShape | null = null;
    if (special !== "attach") {
      input = this.expression(
        arg0,
        "the first argument of an rrule call",
        "the first argument is differentiated: pass tracked values (constants go through `attach`, other arguments after it)",
      );
      if (!input) return null;
    }
    let output: TreeShape | null = null;
    if (special !== "detach") {
      if (els[0] === null) {
        this.error(pat, "an rrule call needs an output before the marker: `[y, __]`");
        return null;
      }
      output = this.pattern(els[0]!, "the output of an rrule call");
      if (!output) return null;
    }
    return { kind: "call", stmt, marker, callee: call.callee, special, input, output };
  }

  consume(st: State, name: string, node: Node, how: string): void {
    if (st.live.has(name)) {
      st.live.delete(name);
      st.consumedAt.set(name, node);
      return;
    }
    if (st.consumedAt.has(name)) {
      const first = this.line(st.consumedAt.get(name)!);
      this.error(
        node,
        `\`${name}\` is used twice (already consumed on line ${first})`,
        `every tracked value is consumed exactly once; fork it: \`const [[${name}1, ${name}2], __] = fork(${name})\``,
      );
      return;
    }
    this.error(
      node,
      `\`${name}\` is not a tracked value but is ${how}`,
      `bring a constant into the tracked set with \`const [${name}1, __] = attach(${name})\`, or pass it after the first argument (not differentiated)`,
    );
  }

  /** Effects of an rrule call: consume its input, define its output. */
  applyCall(st: State, step: CallStep, declKind: "const" | "let" | null): void {
    this.restArgs(st, step);
    if (step.input) {
      const seen = new Set<string>();
      for (const { name, node } of treeNames(step.input)) {
        if (seen.has(name)) {
          this.error(node, `\`${name}\` is used twice in the same call`, `fork it first: \`const [[${name}1, ${name}2], __] = fork(${name})\``);
          continue;
        }
        seen.add(name);
        this.consume(st, name, node, "passed as the differentiable argument");
      }
    }
    if (step.output) {
      for (const { name, node } of treeNames(step.output)) {
        if (reservedName(name)) this.error(node, `\`${name}\` is a name reserved for generated code`, "rename it");
        if (declKind) {
          if (st.known.has(name) && st.known.get(name)!.kind !== "plain") {
            this.error(node, `\`${name}\` is already declared as a tracked value`, "give each rrule output a new name");
            continue;
          }
          if (st.live.has(name)) this.error(node, `\`${name}\` is declared twice`, "give each rrule output a new name");
          st.known.set(name, { kind: declKind });
        } else {
          const k = st.known.get(name);
          if (!k) {
            this.error(
              node,
              `\`${name}\` is assigned in a loop but is not a tracked variable declared before it`,
              `declare it before the loop: \`let [${name}, __] = …\` (or a plain \`let ${name};\`)`,
            );
            continue;
          }
          if (k.kind === "const") {
            this.error(
              node,
              `\`${name}\` is declared with const and cannot be reassigned in the loop`,
              `declare it with let: \`let [${name}, __] = …\``,
            );
            continue;
          }
          if (st.live.has(name)) {
            this.error(
              node,
              `\`${name}\` is reassigned while its previous value is unused`,
              `consume it first (the loop body must use \`${name}\` before reassigning it), or \`detach\` it`,
            );
            continue;
          }
        }
        if (!declKind && st.known.get(name)!.kind === "plain") st.known.set(name, { kind: "let" });
        st.live.set(name, node);
        st.consumedAt.delete(name);
      }
    }
  }

  /** The callee may read tracked values (to choose a branch); the other arguments may not. */
  restArgs(st: State, step: CallStep): void {
    // The statement is an rrule call (`classify`): its initializer or right side is a call; an
    // assignment may be parenthesized, `([y, __] = f(x));`, as classify accepts.
    const init =
      step.stmt.type === "VariableDeclaration" ? step.stmt.declarations[0].init : (unparen(step.stmt.expression) as AssignmentExpression).right;
    const call = unparen(init!) as CallExpression;
    const callee = this.text(call.callee);
    this.markers(call.callee);
    for (const a of call.arguments.slice(step.special === "attach" ? 0 : 1)) {
      this.references(st, a, (id) => {
        this.error(
          id,
          `\`${id.name}\` is tracked but passed as a non-differentiated argument of \`${callee}\``,
          `its gradient would be lost; pass it in the differentiable first argument, e.g. \`${callee}([x, ${id.name}], …)\``,
        );
      });
    }
  }

  markers(node: Expression): void {
    this.references(null, node, () => {});
  }

  /** Reports tracked identifiers (and markers/reserved names) used in `node` (nested ad calls skipped). */
  references(st: State | null, node: Node, onTracked: (id: Identifier) => void): void {
    const visit = (n: Node, parent: Node | null): void => {
      if (n.type === "Identifier") {
        if (isMarker(n)) {
          this.error(
            n,
            `the marker \`${n.name}\` can only appear as the second element of an rrule call or in a \`let ${n.name};\` loop prelude`,
            "`__` receives the pullback of the call; it is not a value you can use",
          );
          return;
        }
        if (reservedName(n.name)) {
          this.error(n, `\`${n.name}\` is a name reserved for generated code`, "rename it");
          return;
        }
        if (st && st.known.has(n.name) && st.known.get(n.name)!.kind !== "plain" && !st.extra.has(n.name)) onTracked(n);
        return;
      }
      if (isAdCall(n)) return; // checked on its own
      if (n.type === "MemberExpression") {
        const obj = unparen(n.object);
        if (!(obj.type === "Identifier" && !n.computed && METADATA.has(n.property.name))) visit(n.object, n);
        if (n.computed) visit(n.property, n);
        return;
      }
      if ((n.type === "Property" || n.type === "PropertyDefinition" || n.type === "MethodDefinition") && !n.computed) {
        if (n.value) visit(n.value, n);
        return;
      }
      if (n.type === "LabeledStatement") return visit(n.body, n);
      if (n.type === "BreakStatement" || n.type === "ContinueStatement") return;
      eachChild(n, (c) => visit(c, n));
      void parent;
    };
    visit(node, null);
  }

  /**
   * An ordinary statement. One walk finds: a nested rrule call, a nested return, (in a loop body
   * with rrule calls: `inLoop`) a break/continue of that loop, and tracked/marker/reserved identifiers.
   */
  plainStatement(st: State, s: Directive | Statement, inLoop = false): void {
    // (Assigned in `visit`: the assertions keep TypeScript from narrowing them to `null` here.)
    let rrule = null as VariableDeclaration | AssignmentExpression | null;
    let ret = null as ReturnStatement | null;
    let jump = null as BreakStatement | ContinueStatement | null;
    let nestedJumpTarget = 0; // loops/switches entered inside s
    const ids: Identifier[] = [];
    const visit = (n: Node, inFunction: boolean): void => {
      const t = n.type;
      if (t === "Identifier") {
        ids.push(n);
        return;
      }
      if (t === "BreakStatement" || t === "ContinueStatement") {
        if (inLoop && !inFunction && !jump && (n.label || nestedJumpTarget === 0)) jump = n;
        return;
      }
      if (t === "CallExpression" && isAdCall(n)) return; // checked on its own
      if (!inFunction) {
        if (t === "ReturnStatement" && !ret) ret = n;
        else if (
          !rrule &&
          t === "VariableDeclaration" &&
          n.declarations.some((d) => isMarker(d.id) || (d.id.type === "ArrayPattern" && d.id.elements.some(isMarker)))
        )
          rrule = n;
        else if (!rrule && t === "AssignmentExpression" && n.left.type === "ArrayPattern" && n.left.elements.some(isMarker)) rrule = n;
      }
      if (t === "MemberExpression") {
        const obj = unparen(n.object);
        if (!(obj.type === "Identifier" && !n.computed && METADATA.has(n.property.name))) visit(n.object, inFunction);
        if (n.computed) visit(n.property, inFunction);
        return;
      }
      if ((t === "Property" || t === "PropertyDefinition" || t === "MethodDefinition") && !n.computed) {
        if (n.value) visit(n.value, inFunction);
        return;
      }
      if (t === "LabeledStatement") return visit(n.body, inFunction);
      const inner = inFunction || FUNCTIONS.has(t) || t === "ClassBody";
      const target = LOOPS.has(t) || t === "SwitchStatement";
      if (target) nestedJumpTarget++;
      eachChild(n, (c) => visit(c, inner));
      if (target) nestedJumpTarget--;
    };
    visit(s, false);
    if (jump) {
      const j = jump;
      this.error(
        j,
        `\`${j.type === "BreakStatement" ? "break" : "continue"}\` in a loop with rrule calls`,
        "the pullback replays whole iterations: compute the trip count before the loop instead",
      );
      return;
    }
    if (rrule) {
      if (isLoop(s)) return; // reported by the caller
      this.error(
        rrule,
        `rrule calls cannot be nested inside ${s.type === "IfStatement" ? "`if`" : s.type === "BlockStatement" ? "a block" : `a ${s.type.replace(/Statement$/, "").toLowerCase()} statement`}`,
        "rrule calls are top-level statements of the ad function (or of a loop body); branch by choosing the callee: `const [y, __] = (cond ? f : g)(x)`",
      );
      return;
    }
    if (ret) {
      this.error(
        ret,
        "`return` must be the last statement of an ad function, not nested in another statement",
        "the pullback is built at the single final return",
      );
      return;
    }
    for (const id of ids) {
      if (isMarker(id)) {
        this.error(
          id,
          `the marker \`${id.name}\` can only appear as the second element of an rrule call or in a \`let ${id.name};\` loop prelude`,
          "`__` receives the pullback of the call; it is not a value you can use",
        );
      } else if (reservedName(id.name)) {
        this.error(id, `\`${id.name}\` is a name reserved for generated code`, "rename it");
      } else if (st.known.has(id.name) && st.known.get(id.name)!.kind !== "plain" && !st.extra.has(id.name)) {
        this.error(
          id,
          `\`${id.name}\` is tracked and can only be used in an rrule call`,
          "to use its value without a gradient, fork it and detach one copy: `const [[a, b], __] = fork(x); const [xv, __1] = detach(b);` (`.shape`, `.dtype`, `.size`, `.ndim`, `.length` may be read freely)",
        );
      }
    }
  }

  containsRRule(s: Statement): boolean {
    return this.firstRRule(s) !== null;
  }

  firstRRule(s: Statement): VariableDeclaration | AssignmentExpression | null {
    let found = null as VariableDeclaration | AssignmentExpression | null; // (assigned in `visit`)
    const visit = (n: Node) => {
      if (found || FUNCTIONS.has(n.type) || isAdCall(n)) return;
      if (
        n.type === "VariableDeclaration" &&
        n.declarations.some((d) => isMarker(d.id) || (d.id.type === "ArrayPattern" && d.id.elements.some(isMarker)))
      ) {
        found = n;
        return;
      }
      if (n.type === "AssignmentExpression" && n.left.type === "ArrayPattern" && n.left.elements.some(isMarker)) {
        found = n;
        return;
      }
      eachChild(n, visit);
    };
    visit(s);
    return found;
  }

  checkLoop(st: State, prelude: VariableDeclaration, loop: Loop): LoopStep | null {
    const preludeMarker = prelude.declarations[0].id as Identifier; // `classify`: a prelude declares a marker
    const bodyNode = loop.body;
    const stmts = bodyNode.type === "BlockStatement" ? bodyNode.body : [bodyNode];
    // The loop head (init, test, update, iterable) runs every iteration: it may not use tracked values.
    const head =
      loop.type === "ForStatement"
        ? [loop.init, loop.test, loop.update]
        : loop.type === "WhileStatement" || loop.type === "DoWhileStatement"
          ? [loop.test]
          : [loop.right, loop.left];
    for (const h of head) {
      if (h)
        this.references(st, h, (id) =>
          this.error(
            id,
            `\`${id.name}\` is tracked and cannot be used in the loop header`,
            "loop conditions must not depend on tracked values (read `.shape`/`.length` instead, or detach a forked copy)",
          ),
        );
    }
    const entry = new Set(st.live.keys());
    const steps: CallStep[] = [];
    let ok = true;
    for (const s of stmts) {
      const step = this.classify(s);
      if (step === "prelude") {
        this.error(
          s,
          "loop preludes cannot be nested in a loop",
          "rrule calls in nested loops are not supported: move the inner loop into its own `ad` function and call it as an rrule",
        );
        ok = false;
        continue;
      }
      if (step === null) {
        ok = false;
        continue;
      }
      if (step) {
        if (s.type === "VariableDeclaration") {
          this.error(
            s,
            "inside a loop, rrule calls must be assignments to variables declared before the loop",
            `declare the variable before the loop (\`let [y, __] = …\`), then assign it here: \`[y, ${step.marker.name}] = f(y)\``,
          );
          ok = false;
          continue;
        }
        this.applyCall(st, step, null);
        steps.push(step);
        continue;
      }
      if (isLoop(s) && this.containsRRule(s)) {
        this.error(
          this.firstRRule(s)!,
          "rrule calls in nested loops are not supported",
          "move the inner loop into its own `ad` function and call it as an rrule",
        );
        ok = false;
        continue;
      }
      const before = this.diagnostics.length;
      this.plainStatement(st, s, true);
      if (this.diagnostics.length > before) ok = false;
    }
    if (steps.length === 0 && ok) {
      this.error(
        prelude,
        "this `let __;` prelude precedes a loop without rrule calls",
        "remove the prelude, or put assignment-form rrule calls `[y, __] = f(y)` in the loop",
      );
      return null;
    }
    const exit = new Set(st.live.keys());
    for (const n of entry) {
      if (!exit.has(n) && st.known.has(n)) {
        const at = st.consumedAt.get(n);
        this.error(
          at ?? loop,
          `\`${n}\` is consumed in the loop but not reassigned in it`,
          `a loop may run 0, 1 or many times: every tracked value it consumes must be reassigned in the same iteration, e.g. \`[${n}, __] = f(${n})\``,
        );
        st.live.set(n, at ?? loop); // keep checking the rest as if it were live
        st.consumedAt.delete(n);
      }
    }
    for (const n of exit) {
      if (!entry.has(n)) {
        this.error(
          st.live.get(n)!,
          `\`${n}\` is assigned in the loop but not consumed in it`,
          "a loop may run 0, 1 or many times: a tracked value produced in an iteration must be consumed in the next one or replace one consumed in it",
        );
        st.live.delete(n);
      }
    }
    if (!ok) return null;
    return { kind: "loop", prelude, preludeMarker, loop, steps };
  }
}

interface State {
  known: Map<string, { kind: "param" | "const" | "let" | "plain" }>;
  live: Map<string, Node>;
  consumedAt: Map<string, Node>;
  /** Non-differentiated parameters (never tracked). */
  extra: Set<string>;
}

export function check(p: Parsed): { functions: AdFunction[]; diagnostics: Diagnostic[] } {
  const c = new Checker(p);
  for (const m of p.source.matchAll(/\bad\s*[(<]/g)) c.adOffsets.push(m.index!);
  c.findAll(p.program, null);
  c.diagnostics.sort((a, b) => a.start - b.start);
  return { functions: c.functions, diagnostics: c.diagnostics };
}
