// Source-map support for stack traces. Bun ignores source maps returned by onLoad plugins when it
// builds stack traces (oven-sh/bun#6173), so the expansion keeps every line on its line and the
// preload installs an Error.prepareStackTrace that remaps the columns of frames in .ad.ts files.

/** Per generated line: segments [generatedColumn, originalLine, originalColumn] (0-based). */
type Segments = Int32Array[];

const maps = new Map<string, Segments>();
const extraFrames = new Map<string, number[][]>();
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Decodes a v3 `mappings` string (single source) into per-line segment tables. */
export function decodeMappings(mappings: string): Segments {
  const lines: Segments = [];
  let seg: number[] = [];
  let cur: number[] = [];
  let genCol = 0,
    srcLine = 0,
    srcCol = 0,
    srcIdx = 0,
    nameIdx = 0;
  let value = 0,
    shift = 0,
    field = 0;
  const fields = [0, 0, 0, 0, 0];
  const flushSegment = () => {
    if (field >= 4) {
      genCol += fields[0];
      srcIdx += fields[1];
      srcLine += fields[2];
      srcCol += fields[3];
      if (field === 5) nameIdx += fields[4];
      cur.push(genCol, srcLine, srcCol);
    } else if (field === 1) genCol += fields[0];
    field = 0;
  };
  for (let i = 0; i <= mappings.length; i++) {
    const ch = i < mappings.length ? mappings.charCodeAt(i) : 59; // ';' at the end
    if (ch === 44 /* , */ || ch === 59 /* ; */) {
      flushSegment();
      if (ch === 59) {
        lines.push(Int32Array.from(cur));
        cur = [];
        genCol = 0;
      }
      continue;
    }
    const d = B64_INDEX[ch];
    if (d < 0) continue;
    value += (d & 31) << shift;
    if (d & 32) shift += 5;
    else {
      const neg = value & 1;
      let v = value >>> 1;
      if (neg) v = -v;
      fields[field++] = v;
      value = 0;
      shift = 0;
    }
  }
  void seg, void srcIdx, void nameIdx;
  return lines;
}

/**
 * Registers a loaded file's map; `frames` ([line, fromCol, toCol, origLine, origCol]) send positions
 * inside generated pullback code to the original rrule call they differentiate.
 */
export function registerSourceMap(file: string, mappings: string, frames: number[][] = []): void {
  maps.set(file, decodeMappings(mappings));
  extraFrames.set(file, frames);
}

/** Whether `file` is an .ad.ts file expanded by the loader in this process. */
export function isExpandedFile(file: string): boolean {
  return maps.has(file);
}

/** Original (1-based) position of a generated (1-based) position in a registered file. */
export function originalPosition(file: string, line: number, column: number): { line: number; column: number } | null {
  const m = maps.get(file);
  if (!m) return null;
  for (const [l, from, to, ol, oc] of extraFrames.get(file) ?? []) {
    if (l === line && column >= from && column < to) return { line: ol, column: oc };
  }
  const segs = m[line - 1];
  if (!segs || segs.length === 0) return null;
  const col0 = column - 1;
  // Last segment with generatedColumn <= col0.
  let lo = 0,
    hi = segs.length / 3 - 1,
    best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid * 3] <= col0) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return null;
  const genCol = segs[best * 3],
    srcLine = segs[best * 3 + 1],
    srcCol = segs[best * 3 + 2];
  // hires maps every character of unchanged code; inside generated text stay on the segment start.
  const next = best + 1 < segs.length / 3 ? segs[(best + 1) * 3] : Infinity;
  const delta = col0 - genCol < next - genCol ? col0 - genCol : 0;
  return { line: srcLine + 1, column: srcCol + Math.max(0, delta) + 1 };
}

interface CallSiteLike {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null | undefined;
  getColumnNumber(): number | null | undefined;
  getFunctionName(): string | null | undefined;
  getTypeName?(): string | null | undefined;
  getMethodName?(): string | null | undefined;
  isNative?(): boolean;
  isConstructor?(): boolean;
  isAsync?(): boolean;
  toString(): string;
}

function frame(site: CallSiteLike): string {
  const file = site.getFileName();
  let line = site.getLineNumber();
  let column = site.getColumnNumber();
  if (file && line && column && maps.has(file)) {
    const o = originalPosition(file, line, column);
    if (o) {
      line = o.line;
      column = o.column;
    }
    const name = site.getFunctionName();
    // A position inside generated code with no source position: name the file, not a line that does not exist in it.
    const loc = o ? `${file}:${line}:${column}` : file;
    return `${site.isAsync?.() ? "async " : ""}${name ? `${name} (${loc})` : loc}`;
  }
  return site.toString();
}

let installed = false;

/** Installs the column remap for frames in registered .ad.ts files (idempotent). */
export function installStackRemap(): void {
  if (installed) return;
  installed = true;
  const previous = (Error as any).prepareStackTrace as ((e: Error, s: CallSiteLike[]) => string) | undefined;
  (Error as any).prepareStackTrace = function pullbackPrepareStackTrace(error: Error, sites: CallSiteLike[]): string {
    let head: string;
    try {
      head = String(error);
    } catch {
      head = "Error";
    }
    // A load-time diagnostic of the loader: its text (file:line:col of the .ad.ts source, code frame,
    // hint) says everything; the frames would only be the loader's own.
    if (error instanceof Error && error.name === "AdSyntaxError") return head;
    if (previous && !sites.some((s) => maps.has(s.getFileName() ?? ""))) return previous(error, sites);
    return head + sites.map((s) => `\n    at ${frame(s)}`).join("");
  };
}

const VLQ = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function vlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = "";
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += VLQ[digit];
  } while (v > 0);
  return out;
}

/**
 * The hires `mappings` of `source` after non-overlapping edits — the same segments magic-string's
 * `generateMap({ hires: true })` produces (every unchanged character mapped; replacing text mapped
 * once, at its start, to the replaced position; inserted text unmapped), built with string repeats
 * instead of one object per character: the cold-start cost of the loader matters.
 */
export function hiresMappings(source: string, edits: { kind: "left" | "right" | "replace"; start: number; end: number; text: string }[]): string {
  const order = edits.map((e, i) => ({ e, i }));
  const rank = (k: string) => (k === "left" ? 0 : k === "right" ? 1 : 2);
  order.sort((a, b) => a.e.start - b.e.start || rank(a.e.kind) - rank(b.e.kind) || a.i - b.i);
  let out = "";
  let genCol = 0,
    prevGen = 0,
    prevLine = 0,
    prevCol = 0;
  let line = 0,
    lineStart = 0;
  let first = true; // first segment of the generated line (no leading comma)
  const segment = (srcLine: number, srcCol: number) => {
    out += (first ? "" : ",") + vlq(genCol - prevGen) + "A" + vlq(srcLine - prevLine) + vlq(srcCol - prevCol);
    first = false;
    prevGen = genCol;
    prevLine = srcLine;
    prevCol = srcCol;
  };
  const newline = () => {
    out += ";";
    genCol = 0;
    prevGen = 0;
    first = true;
  };
  const emitText = (text: string, at: number, mapped: boolean) => {
    if (text === "") return;
    if (mapped) segment(line, at - lineStart);
    let nl = text.indexOf("\n");
    if (nl < 0) {
      genCol += text.length;
      return;
    }
    let last = nl;
    while (nl >= 0) {
      newline();
      last = nl;
      nl = text.indexOf("\n", nl + 1);
    }
    genCol = text.length - last - 1;
  };
  /** Unchanged source [a, b). */
  const copy = (a: number, b: number) => {
    let i = a;
    while (i < b) {
      let nl = source.indexOf("\n", i);
      const stop = nl < 0 || nl >= b ? b : nl;
      const k = stop - i;
      if (k > 0) {
        segment(line, i - lineStart);
        out += ",CAAC".repeat(k - 1);
        genCol += k;
        prevGen = genCol - 1;
        prevCol = i - lineStart + k - 1;
      }
      if (stop === nl && nl < b) {
        newline();
        line++;
        lineStart = nl + 1;
        i = nl + 1;
      } else i = stop;
    }
  };
  let pos = 0;
  for (const { e } of order) {
    if (e.start > pos) copy(pos, e.start);
    if (e.start > pos) pos = e.start;
    if (e.kind === "replace") {
      emitText(e.text, e.start, true);
      // The replaced source may span lines (never in the loader's edits, kept correct anyway).
      for (let j = source.indexOf("\n", e.start); j >= 0 && j < e.end; j = source.indexOf("\n", j + 1)) {
        line++;
        lineStart = j + 1;
      }
      pos = Math.max(pos, e.end);
    } else emitText(e.text, e.start, false);
  }
  copy(pos, source.length);
  return out;
}
