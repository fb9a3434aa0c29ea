// Pass 3 — expand: plans the forward edits and the pullback of each checked ad function.
// Names are deterministic: pullback slots `__pb<k>` and loop stacks `__stack<k>` numbered in
// source order across the file; cotangents `d<name>`; the pullback `<binding>_pullback`.
import type { AdFunction, CallStep, LoopStep, TreeShape } from "./check.ts";
import type { Parsed } from "./parse.ts";

/** One line of the pullback body, with the comment shown by `ad:expand`. */
export interface BackLine {
  code: string;
  comment?: string;
  /** Nesting inside the pullback (loops). */
  depth: number;
  /** Source offset this step stands for (the callee of the original rrule call), for stack traces. */
  origin?: number;
}

export interface PlannedCall {
  step: CallStep;
  /** The slot variable the marker is renamed to. */
  slot: string;
  /** Set for calls inside a loop: `; <stack>.push(<slot>)` is appended after the statement. */
  stack?: string;
}

export interface PlannedLoop {
  step: LoopStep;
  slot: string;
  stack: string;
}

export interface Plan {
  fn: AdFunction;
  pullbackName: string;
  calls: PlannedCall[];
  loops: PlannedLoop[];
  back: BackLine[];
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
const KEYWORDS = new Set(["do", "default", "delete", "debugger"]);

/** Cotangent variable names `d<name>` (suffixed with `_` when that is a keyword or already taken). */
export function cotangentNames(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of names) {
    if (out.has(n)) continue;
    let c = `d${n}`;
    while (KEYWORDS.has(c) || taken.has(c)) c += "_";
    taken.add(c);
    out.set(n, c);
  }
  return out;
}

let cot: (name: string) => string = (name) => `d${name}`;

export function renderCot(t: TreeShape): string {
  if (t.kind === "id") return cot(t.name);
  if (t.kind === "arr") return `[${t.items.map(renderCot).join(", ")}]`;
  return `{ ${t.props.map((p) => `${IDENT.test(p.key) ? p.key : JSON.stringify(p.key)}: ${renderCot(p.value)}`).join(", ")} }`;
}

function names(t: TreeShape | null, out: string[]): void {
  if (!t) return;
  if (t.kind === "id") out.push(t.name);
  else if (t.kind === "arr") t.items.forEach((i) => names(i, out));
  else t.props.forEach((p) => names(p.value, out));
}

/** `target = value;` (parenthesized when the target is an object pattern). */
function assign(target: TreeShape, value: string): string {
  const s = `${renderCot(target)} = ${value};`;
  return target.kind === "obj" ? `(${s.slice(0, -1)});` : s;
}

function summarize(p: Parsed, start: number, end: number, max = 100): string {
  const s = p.source.slice(start, end).replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** `comments`: build the `// pullback of: …` comments (only `ad:expand` prints them). */
export function expand(p: Parsed, functions: AdFunction[], options: { comments?: boolean } = {}): Plan[] {
  const comments = options.comments ?? true;
  const summary = comments ? summarize : () => "";
  let counter = 0;
  return functions.map((fn) => {
    const calls: PlannedCall[] = [];
    const loops: PlannedLoop[] = [];
    const forward: ({ call: PlannedCall } | { loop: PlannedLoop; calls: PlannedCall[] })[] = [];
    for (const step of fn.steps) {
      const k = ++counter;
      if (step.kind === "call") {
        const c = { step, slot: `__pb${k}` };
        calls.push(c);
        forward.push({ call: c });
      } else {
        const l = { step, slot: `__pb${k}`, stack: `__stack${k}` };
        loops.push(l);
        const inner = step.steps.map((s) => ({ step: s, slot: l.slot, stack: l.stack }));
        calls.push(...inner);
        forward.push({ loop: l, calls: inner });
      }
    }

    const back: BackLine[] = [];
    const all: string[] = [];
    names(fn.retTree, all);
    names(fn.param, all);
    for (const s of fn.steps)
      for (const c of s.kind === "call" ? [s] : s.steps) {
        names(c.special === "detach" ? null : c.output, all);
        names(c.input, all);
      }
    const cots = cotangentNames(all);
    cot = (name) => cots.get(name)!;
    const declared = [...cots.values()];
    back.push({ code: `let ${declared.join(", ")};`, depth: 0 });
    back.push({
      code: assign(fn.retTree, "__dout"),
      comment: `cotangent of: return ${summary(p, fn.ret.argument.start, fn.ret.argument.end)}`,
      depth: 0,
    });
    const callLine = (c: PlannedCall, pb: string, depth: number): BackLine => {
      const comment = `pullback of: ${summary(p, c.step.stmt.start, c.step.stmt.end)}`;
      const s = c.step;
      if (s.special === "attach") {
        // A constant: nothing flows back. Inside a loop its slot on the stack is still skipped.
        return {
          code: depth > 0 ? `${pb.replace(/^.*\[__i--\]$/, "__i--")};` : "",
          comment: `${comment} (a constant: its cotangent ${renderCot(s.output!)} is dropped)`,
          depth,
        };
      }
      const arg = s.special === "detach" ? "" : renderCot(s.output!);
      return { code: assign(s.input!, `${pb}(${arg})`), comment, depth, origin: s.callee.start };
    };
    for (let i = forward.length - 1; i >= 0; i--) {
      const f = forward[i];
      if ("call" in f) {
        back.push(callLine(f.call, f.call.slot, 0));
      } else {
        const line = comments ? p.index.position(f.loop.step.loop.start).line : 0;
        const head = summary(p, f.loop.step.loop.start, f.loop.step.loop.body.start, 48);
        back.push({
          code: `for (let __i = ${f.loop.stack}.length - 1; __i >= 0; ) {`,
          comment: `pullback of the loop on line ${line} (\`${head}…\`), iterations in reverse`,
          depth: 0,
        });
        for (let j = f.calls.length - 1; j >= 0; j--) back.push(callLine(f.calls[j], `${f.loop.stack}[__i--]`, 1));
        back.push({ code: "}", depth: 0 });
      }
    }
    back.push({ code: `return ${renderCot(fn.param)};`, comment: "cotangents of the parameter, in its structure", depth: 0 });
    return { fn, pullbackName: `${fn.name}_pullback`, calls, loops, back };
  });
}
