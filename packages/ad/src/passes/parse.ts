// Pass 1 — parse: oxc-parser turns the source into an ESTree/TS-ESTree AST with UTF-16 offsets.
// Parser errors become Diagnostics in the loader's own format (never a raw parser error object).
import { parseSync } from "oxc-parser";
import { LineIndex, makeDiagnostic, type Diagnostic } from "../diagnostics.ts";

/** An AST node as oxc-parser produces it (ESTree + TS-ESTree, offsets in `start`/`end`). */
export interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: any;
}

export interface Parsed {
  file: string;
  source: string;
  index: LineIndex;
  program: Node;
}

export function parse(file: string, source: string): { parsed?: Parsed; diagnostics: Diagnostic[] } {
  const index = new LineIndex(source);
  let result: ReturnType<typeof parseSync>;
  try {
    result = parseSync(file.endsWith(".ts") || file.endsWith(".tsx") ? file : `${file}.ts`, source, { sourceType: "module", lang: "ts" } as any);
  } catch (err) {
    return { diagnostics: [makeDiagnostic(file, index, 0, 0, `the parser failed: ${err instanceof Error ? err.message : String(err)}`)] };
  }
  const errors = (result.errors ?? []).filter((e: any) => e.severity !== "Warning");
  if (errors.length > 0) {
    const diagnostics = errors.map((e: any) => {
      const label = e.labels?.[0];
      const start = typeof label?.start === "number" ? label.start : 0;
      const end = typeof label?.end === "number" ? label.end : start;
      const reason = `syntax error: ${String(e.message ?? "invalid syntax")}${label?.message ? ` (${label.message})` : ""}`;
      return makeDiagnostic(file, index, start, end, reason, e.helpMessage ?? "the file is not valid TypeScript; fix this before the convention can be checked");
    });
    return { diagnostics };
  }
  return { parsed: { file, source, index, program: result.program as unknown as Node }, diagnostics: [] };
}

/** Children of a node (arrays flattened), skipping TypeScript type positions. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key in node) {
    if (key === "typeAnnotation" || key === "typeArguments" || key === "typeParameters" || key === "returnType" || key === "parent") continue;
    const v = node[key];
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === "object" && typeof c.type === "string") out.push(c);
    } else if (typeof v.type === "string") out.push(v);
  }
  return out;
}
