// Load-time diagnostics of the .ad.ts loader: `file:line:col: reason`, a code frame with a caret,
// and a hint. Every violation found in a file is reported; the error carries the first location.

export interface Diagnostic {
  file: string;
  /** 1-based line and column (columns count UTF-16 code units, as editors do). */
  line: number;
  column: number;
  /** Offsets [start, end) into the source. */
  start: number;
  end: number;
  reason: string;
  hint?: string;
  /** The formatted report: location, reason, code frame, hint. */
  text: string;
}

/** Line starts of a source, for offset → (line, column). */
export class LineIndex {
  readonly starts: number[] = [0];
  constructor(readonly source: string) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    let lo = 0,
      hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  position(offset: number): { line: number; column: number } {
    const l = this.lineOf(offset);
    return { line: l + 1, column: offset - this.starts[l] + 1 };
  }
  lineText(line0: number): string {
    const s = this.starts[line0];
    const e = line0 + 1 < this.starts.length ? this.starts[line0 + 1] - 1 : this.source.length;
    return this.source.slice(s, e).replace(/\r$/, "");
  }
}

/** Two lines of context above, the line with a caret under [start, end) (first line only). */
export function codeFrame(index: LineIndex, start: number, end: number): string {
  const line0 = index.lineOf(Math.min(start, index.source.length));
  const first = Math.max(0, line0 - 2);
  const width = String(line0 + 2).length;
  const out: string[] = [];
  for (let l = first; l <= line0; l++) out.push(` ${String(l + 1).padStart(width)} | ${index.lineText(l).replace(/\t/g, " ")}`);
  const col = start - index.starts[line0];
  const lineEnd = index.lineText(line0).length;
  const len = Math.max(1, Math.min(end, index.starts[line0] + lineEnd) - start);
  out.push(` ${" ".repeat(width)} | ${" ".repeat(Math.max(0, col))}${"^".repeat(len)}`);
  if (line0 + 1 < index.starts.length) out.push(` ${String(line0 + 2).padStart(width)} | ${index.lineText(line0 + 1).replace(/\t/g, " ")}`);
  return out.join("\n");
}

export function makeDiagnostic(file: string, index: LineIndex, start: number, end: number, reason: string, hint?: string): Diagnostic {
  const s = Math.max(0, Math.min(start, index.source.length));
  const e = Math.max(s, Math.min(end, index.source.length));
  const { line, column } = index.position(s);
  const text = `${file}:${line}:${column}: error: ${reason}\n${codeFrame(index, s, e)}${hint ? `\n  hint: ${hint}` : ""}`;
  return { file, line, column, start: s, end: e, reason, hint, text };
}

/** A `.ad.ts` file violates the convention (or is not valid TypeScript). */
export class AdSyntaxError extends SyntaxError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  readonly hint?: string;
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics[0];
    const more = diagnostics.length > 1 ? `\n\n(${diagnostics.length} errors in this file)` : "";
    super(diagnostics.map((d) => d.text).join("\n\n") + more);
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.reason = first.reason;
    this.hint = first.hint;
  }
}
// On the prototype, so the stack trace (captured in the constructor) already says AdSyntaxError.
Object.defineProperty(AdSyntaxError.prototype, "name", { value: "AdSyntaxError", configurable: true, writable: true });
