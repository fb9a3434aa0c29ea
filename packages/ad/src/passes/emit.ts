// Pass 4 — emit: applies the plans to the source with magic-string. Untouched code stays
// byte-identical and every original statement stays on its original line: markers are renamed in
// place, loop pushes are appended on the statement's own line, the loop prelude becomes the stack
// declaration, `ad(fn)` becomes `__ad.explicit("<binding>", fn)` (which names fn and registers its
// rule; line 1 gains the runtime import), and the pullback closure is appended on the `return` line (compact), or — for
// `ad:expand` — spread over commented lines (readable).
import MagicString from "magic-string";
import type { Plan } from "./expand.ts";
import type { Parsed } from "./parse.ts";

/** The runtime module generated code imports as `__ad` (both modes). */
export const RUNTIME_MODULE = "@pullback/ad/implicit";

/** An edit as applied to magic-string (kept for the fast hires source map, see sourcemap.ts). */
export interface Edit {
  /** "left": appendLeft (before other content at `start`); "right": prependRight; "replace": overwrite/remove [start, end). */
  kind: "left" | "right" | "replace";
  start: number;
  end: number;
  text: string;
}

export interface Emitted {
  code: string;
  ms: MagicString;
  edits: Edit[];
  /**
   * Stack-trace frames inside the compact pullbacks: [generated line, first column, end column,
   * original line, original column] (1-based lines and columns; end exclusive). A frame in the
   * pullback of a step points at the original rrule call.
   */
  frames: number[][];
}

function indentOf(p: Parsed, offset: number): string {
  const line = p.index.lineOf(offset);
  return /^[ \t]*/.exec(p.index.lineText(line))![0];
}

interface Piece {
  from: number;
  to: number;
  origin: number;
}

function pullbackText(p: Parsed, plan: Plan, readable: boolean, pieces: Piece[] = []): string {
  const head = `function ${plan.pullbackName}(__dout) {`;
  if (!readable) {
    let text = head;
    for (const b of plan.back) {
      if (b.code === "") continue;
      text += " ";
      if (b.origin !== undefined) pieces.push({ from: text.length, to: text.length + b.code.length, origin: b.origin });
      text += b.code;
    }
    return `${text} }`;
  }
  const base = indentOf(p, plan.fn.ret.start);
  const lines = [head];
  for (const b of plan.back) {
    const pad = `${base}  ${"  ".repeat(b.depth)}`;
    if (b.comment) lines.push(`${pad}// ${b.comment}`);
    if (b.code !== "") lines.push(`${pad}${b.code}`);
  }
  lines.push(`${base}}`);
  return lines.join("\n");
}

export function emit(p: Parsed, plans: Plan[], options: { readable?: boolean } = {}): Emitted {
  // Edits are collected, then applied to magic-string in source order (stable for equal
  // positions): its chunk search is linear from the last edit, and nested ad functions would
  // otherwise make it jump back and forth.
  const edits: Edit[] = [];
  const ms = {
    overwrite: (start: number, end: number, text: string) => edits.push({ kind: "replace", start, end, text }),
    appendLeft: (at: number, text: string) => edits.push({ kind: "left", start: at, end: at, text }),
    prependRight: (at: number, text: string) => edits.push({ kind: "right", start: at, end: at, text }),
  };
  const readable = !!options.readable;
  const pullbacks: { text: string; pieces: Piece[]; line: number }[] = [];
  for (const plan of plans) {
    const { call } = plan.fn;
    // `ad(fn)` → `__ad.explicit("<binding>", fn)`: fn keeps the name its binding gave it (stack traces show it).
    ms.overwrite(call.callee.start, call.typeArguments ? call.typeArguments.end : call.callee.end, "__ad.explicit");
    ms.prependRight(plan.fn.fn.start, `${JSON.stringify(plan.fn.name === "ad" ? "" : plan.fn.name)}, `);
    for (const c of plan.calls) ms.overwrite(c.step.marker.start, c.step.marker.end, c.slot);
    for (const l of plan.loops) {
      ms.overwrite(l.step.preludeMarker.start, l.step.preludeMarker.end, `${l.slot}, ${l.stack} = []`);
      const body = l.step.loop.body;
      const braces = body.type !== "BlockStatement";
      if (braces) ms.prependRight(body.start, "{ ");
      for (const s of l.step.steps) {
        const end = s.stmt.end;
        const semi = p.source[end - 1] === ";" ? "" : ";";
        ms.appendLeft(end, `${semi} ${l.stack}.push(${l.slot});`);
      }
      if (braces) ms.appendLeft(body.end, " }");
    }
    const arg = plan.fn.ret.argument;
    ms.prependRight(arg.start, "[");
    const pieces: Piece[] = [];
    const text = pullbackText(p, plan, readable, pieces);
    ms.appendLeft(arg.end, `, ${text}]`);
    if (pieces.length > 0) pullbacks.push({ text, pieces, line: p.index.lineOf(arg.end) + 1 });
  }
  if (plans.length > 0) ms.prependRight(0, `import * as __ad from "${RUNTIME_MODULE}"; `);
  const magic = new MagicString(p.source);
  const ordered = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.i - b.i);
  for (const { e } of ordered) {
    if (e.kind === "left") magic.appendLeft(e.start, e.text);
    else if (e.kind === "right") magic.prependRight(e.start, e.text);
    else if (e.text === "") magic.remove(e.start, e.end);
    else magic.overwrite(e.start, e.end, e.text);
  }
  const code = magic.toString();
  const frames: number[][] = [];
  if (!readable && pullbacks.length > 0) {
    // Line-preserving: a compact pullback sits on its return's line; find it from that line's start.
    const lineStarts = [0];
    for (let i = code.indexOf("\n"); i >= 0; i = code.indexOf("\n", i + 1)) lineStarts.push(i + 1);
    for (const { text, pieces, line } of pullbacks) {
      const lineStart = lineStarts[line - 1];
      const at = code.indexOf(text, lineStart);
      if (at < 0) continue;
      for (const piece of pieces) {
        const o = p.index.position(piece.origin);
        frames.push([line, at - lineStart + piece.from + 1, at - lineStart + piece.to + 1, o.line, o.column]);
      }
    }
  }
  return { code, ms: magic, edits, frames };
}
