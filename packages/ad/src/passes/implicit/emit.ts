// Implicit mode, pass 5 — emit: the module as written, plus its rules.
//
// Every original line stays on its line: line 1 gains the runtime import and a call of
// `__registerRules()`, which registers the rules of the module-level function declarations; a
// function expression `e` becomes `__ad.withRule(e, rule)` in place. `__registerRules`, the
// module's call-site formatter `__at(line, col)` (messages name a call `file:line:col`; the file is
// written once) and the rules themselves — readable code with `// pullback of:` comments — follow
// the last original line; as function declarations they are hoisted, so the registrations run
// before any of the module's own code. Stack frames inside the rules are sent back to the statement
// they differentiate (`frames`).
//
// A module-level function's rule is a module-level `function f__rrule`. A nested function's rule
// needs the nested function's scope, so it is built by a factory `g__rrule_in(…captured)` taking
// the variables it captures; inside another function's rule, a nested function gets its rule
// inline instead, closing over that rule's cotangents (closures capturing tracked values).
import MagicString from "magic-string";
import { makeDiagnostic, type Diagnostic } from "../../diagnostics.ts";
import { RUNTIME_MODULE, type Edit } from "../emit.ts";
import { eachChild, type Node, type Parsed } from "../parse.ts";
import { freeBindings } from "./activity.ts";
import { checkImplicit } from "./check.ts";
import { adExport } from "./callees.ts";
import { generateRule, ORIGIN_MARK, type GenContext, type Line } from "./generate.ts";
import { forwardRuleExpression, forwardRuleLines, forwardRuleName, forwardRulesOnDemand, type ForwardRuleName } from "../forward/emit.ts";
import { analyzeScopes, functionLabel, unwrapExpr, type FunctionInfo, type ScopeInfo } from "./scope.ts";

export interface ImplicitEmitted {
  code: string;
  edits: Edit[];
  frames: number[][];
  functions: number;
  diagnostics: Diagnostic[];
  /** With `forward`: the names of the forward rules and factories that `code` declares. */
  forwardRules?: string[];
}

/** Parent of every node (for the block a nested declaration's registration goes into). */
function parents(program: Node): Map<Node, Node> {
  const out = new Map<Node, Node>();
  const walk = (n: Node): void => {
    eachChild(n, (c) => {
      out.set(c, n);
      walk(c);
    });
  };
  walk(program);
  return out;
}

/** @pullback/ad calls whose function-literal arguments get their rule from the call itself. */
const RULE_GIVING = new Set(["nonDifferentiable", "customVjp", "defineRrule"]);

/**
 * Functions written as an argument of nonDifferentiable / customVjp / defineRrule (and the
 * functions inside them, such as the pullback a hand-written rule returns): that call gives them
 * their rule, so none is generated — a hand-written rule may read `.data` or do what the
 * generator rejects. (checkpoint's argument keeps its rule: checkpoint replays it.)
 */
function handWrittenFunctions(scopes: ScopeInfo, parentOf: Map<Node, Node>): Set<Node> {
  const out = new Set<Node>();
  for (const f of scopes.functions) {
    let n: Node = f.node;
    let parent = parentOf.get(n);
    while (parent && unwrapExpr(parent) !== parent) parent = parentOf.get((n = parent));
    if (
      parent?.type === "CallExpression" &&
      (parent.arguments as readonly Node[]).includes(n) &&
      RULE_GIVING.has(adExport(unwrapExpr(parent.callee), scopes) ?? "")
    )
      out.add(f.node);
  }
  // Functions nested in those (scopes.functions lists parents before their nested functions).
  for (const f of scopes.functions) if (f.parent && out.has(f.parent)) out.add(f.node);
  return out;
}

/**
 * The module with its rules; with `forward`, the forward rules of its functions instead (their
 * declarations only: the loader's module generates them on first use, see forward/emit.ts).
 */
export function emitImplicit(p: Parsed, options: { forward?: boolean } = {}): ImplicitEmitted {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const report = (node: { start: number; end: number }, reason: string, hint?: string) => {
    const key = `${node.start}:${reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    diagnostics.push(makeDiagnostic(p.file, p.index, node.start, node.end, reason, hint));
  };
  const scopes = analyzeScopes(p.program, (o) => p.index.lineOf(o));
  checkImplicit(p, scopes, report);
  const empty = { code: p.source, edits: [], frames: [], functions: 0, diagnostics };
  if (diagnostics.length > 0 || scopes.functions.length === 0) return empty;

  const taken = new Set<string>(p.source.match(/[A-Za-z_$][\w$]*/g) ?? []);
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    return name;
  };
  const parentOf = parents(p.program);

  // Names and primal-context registrations.
  const ruleNames = new Map<Node, string>();
  const factories = new Map<Node, { name: string; free: string[] }>();
  const edits: Edit[] = [];
  /** The registrations `__registerRules` makes: [the call up to its last argument, the forward rule]. */
  const registrations: [string, string][] = [];
  const handWritten = handWrittenFunctions(scopes, parentOf);
  const skip = (f: FunctionInfo): boolean => {
    if (handWritten.has(f.node)) return true;
    const parent = parentOf.get(f.node);
    return !!parent && (parent.type === "MethodDefinition" || (parent.type === "Property" && (parent.method || parent.kind !== "init")));
  };
  // A nested function may not assign a variable of an enclosing function: its rule runs on its
  // own view of the captured variables, and the enclosing rule would not see the new value.
  for (const id of scopes.writes) {
    const b = scopes.refs.get(id);
    const at = scopes.refFn.get(id) ?? null;
    if (!b || b.fn === null || at === null || at === b.fn || handWritten.has(at)) continue;
    report(
      id,
      `a nested function cannot assign \`${b.name}\`, a variable of the function that encloses it`,
      `return the new value from the nested function and assign it in \`${scopes.byNode.get(b.fn)?.name ?? "the enclosing function"}\``,
    );
  }
  if (diagnostics.length > 0) return { ...empty, diagnostics };
  const frules = new Map<Node, ForwardRuleName>();
  for (const f of scopes.functions) {
    if (skip(f)) continue;
    if (f.parent === null) ruleNames.set(f.node, unique(`${f.name}__rrule`));
    else factories.set(f.node, { name: unique(`${f.name}__rrule_in`), free: freeBindings(f.node, scopes).map((b) => b.name) });
    frules.set(f.node, forwardRuleName(f, unique, factories.get(f.node)?.free));
  }
  for (const f of scopes.functions) {
    if (skip(f)) continue;
    const n = f.node;
    const fac = factories.get(n);
    const rule = fac ? `(...__a) => ${fac.name}(${fac.free.join(", ")})(...__a)` : ruleNames.get(n)!;
    // A module-level function's pullback runs as a memory scope of its own (withModuleRule); a
    // nested one adds cotangents of captured values into its enclosing rule, so it cannot.
    const register = fac ? "withRule" : "withModuleRule";
    const frule = forwardRuleExpression(frules.get(n)!);
    if (n.type === "FunctionDeclaration") {
      if (!n.id) continue;
      if (!fac) {
        registrations.push([`__ad.${register}(${n.id.name}, ${rule}, undefined,`, `${frule});`]);
        continue;
      }
      const text = `__ad.${register}(${n.id.name}, ${rule}, undefined, ${frule});`;
      const parent = parentOf.get(n)!;
      if (parent.type === "BlockStatement") edits.push({ kind: "left", start: parent.start + 1, end: parent.start + 1, text: ` ${text}` });
      else edits.push({ kind: "right", start: n.start, end: n.start, text: `${text} ` });
    } else {
      edits.push({ kind: "right", start: n.start, end: n.start, text: `__ad.${register}(` });
      edits.push({
        kind: "left",
        start: n.end,
        end: n.end,
        text: `, ${rule}, ${f.anonymous ? `\`${functionLabel(f, site(n))}\`` : JSON.stringify(f.name)}, ${frule})`,
      });
    }
  }
  // A call site in messages, `file:line:col`: the module's __at formats it (the file is named once).
  function site(n: { start: number }): string {
    const { line, column } = p.index.position(n.start);
    return `__at(${line}, ${column})`;
  }
  const ordered = edits
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.start - b.e.start || a.i - b.i)
    .map((x) => x.e);
  const primalText = (node: { start: number; end: number }): string => {
    let out = "";
    let at = node.start;
    for (const e of ordered) {
      if (e.start <= node.start || e.start >= node.end) continue;
      out += p.source.slice(at, e.start) + e.text;
      at = e.start;
    }
    return out + p.source.slice(at, node.end);
  };

  let usesOps = false;
  const ctx: GenContext = { p, scopes, report, handWritten, primalText, useOps: () => (usesOps = true), site, taken };

  // The rules, after the last line.
  const rules: Line[] = [];
  let count = 0;
  for (const f of scopes.functions) {
    if (skip(f)) continue;
    const fac = factories.get(f.node);
    rules.push({ depth: 0, text: "" });
    if (options.forward) {
      rules.push(...forwardRuleLines(ctx, f, frules.get(f.node)!));
      count++;
      continue;
    }
    if (!fac) {
      rules.push(...generateRule(ctx, f, null, ruleNames.get(f.node)!));
    } else {
      rules.push({
        depth: 0,
        text: `// the rule of \`${f.name}\` (line ${p.index.position(f.node.start).line}), given the variables it captures`,
        origin: f.node.start,
      });
      rules.push({ depth: 0, text: `function ${fac.name}(${fac.free.map((v) => `${v}: any`).join(", ")}) {`, origin: f.node.start });
      const lines = generateRule(ctx, f, null, `${f.name}__rrule`);
      lines[0] = { ...lines[0], text: `return ${lines[0].text}` };
      rules.push(...lines.map((l) => ({ ...l, depth: l.depth + 1 })));
      rules.push({ depth: 0, text: "}" });
    }
    count++;
  }
  if (diagnostics.length > 0) return { ...empty, diagnostics };
  if (options.forward) {
    const code = rules
      .map((l) =>
        `${"  ".repeat(l.depth)}${l.text}`
          .split("\n")
          .map((t) => t.replace(ORIGIN_MARK, ""))
          .join("\n"),
      )
      .join("\n");
    return {
      code: `${code.replace(/^\n+/, "")}\n`,
      edits: [],
      frames: [],
      functions: count,
      diagnostics,
      forwardRules: [...frules.values()].map((r) => r.name),
    };
  }

  const imports = `import * as __ad from "${RUNTIME_MODULE}";${usesOps ? " const __ops = __ad.ops;" : ""} const __fwd = __registerRules();`;
  edits.push({ kind: "right", start: 0, end: 0, text: `${imports} ` });
  const banner = "// ---- generated by the pullback loader: the rule (forward + pullback) of every function above ----";
  const setup = [
    "",
    "// Called on line 1 (a function declaration is hoisted): registers the rules of the module's function",
    "// declarations before any of its code runs, and returns the handle of its forward rules.",
    "function __registerRules() {",
    `  const __fwd = ${forwardRulesOnDemand(p.source)}`,
    // one per line (the forward rule on the next when the line would be long)
    ...registrations.map(([call, frule]) => (call.length + frule.length < 116 ? `  ${call} ${frule}` : `  ${call}\n    ${frule}`)),
    "  return __fwd;",
    "}",
    "",
    "// A call site, as messages name it.",
    "function __at(line: number, column: number): string {",
    `  return ${JSON.stringify(`${p.file}:`)} + line + ":" + column;`,
    "}",
  ].join("\n");
  const tail = `${p.source.endsWith("\n") ? "" : "\n"}${banner}\n${setup}\n`;
  const rendered: string[] = [];
  const frames: number[][] = [];
  const firstLine = p.index.starts.length + (p.source.endsWith("\n") ? 0 : 1) + 1 + setup.split("\n").length;
  let line = firstLine;
  for (const l of rules) {
    // Lines of inline rules carry their own origin as a mark at the end (generate.ts).
    const parts = `${"  ".repeat(l.depth)}${l.text}`.split("\n");
    parts.forEach((t, j) => {
      const mark = ORIGIN_MARK.exec(t);
      if (mark) parts[j] = t.slice(0, mark.index);
      const origin = mark ? Number(mark[1]) : l.origin;
      if (origin === undefined) return;
      const o = p.index.position(origin);
      frames.push([line + j, 1, 1e9, o.line, o.column]);
    });
    rendered.push(parts.join("\n"));
    line += parts.length;
  }
  edits.push({ kind: "left", start: p.source.length, end: p.source.length, text: tail + rendered.join("\n") + "\n" });

  const magic = new MagicString(p.source);
  const all = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.i - b.i);
  for (const { e } of all) {
    if (e.kind === "left") magic.appendLeft(e.start, e.text);
    else magic.prependRight(e.start, e.text);
  }
  return { code: magic.toString(), edits: all.map((x) => x.e), frames, functions: count, diagnostics };
}
