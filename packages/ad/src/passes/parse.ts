// Pass 1 — parse: oxc-parser turns the source into an ESTree/TS-ESTree AST with UTF-16 offsets.
// Parser errors become Diagnostics in the loader's own format (never a raw parser error object).
import { parseSync, visitorKeys, type Node, type Program } from "oxc-parser";
import { LineIndex, makeDiagnostic, type Diagnostic } from "../diagnostics.ts";

/**
 * An AST node as oxc-parser produces it (ESTree + TS-ESTree, offsets in `start`/`end`): the union of
 * oxc's node types (`@oxc-project/types`, re-exported by oxc-parser), discriminated by `type`.
 */
export type { Node };
/** An identifier in whichever role (reference, binding, label, property name): all share `name`. */
export type Identifier = Extract<Node, { type: "Identifier" }>;

export interface Parsed {
  file: string;
  source: string;
  index: LineIndex;
  program: Program;
}

export function parse(file: string, source: string): { parsed?: Parsed; diagnostics: Diagnostic[] } {
  const index = new LineIndex(source);
  let result: ReturnType<typeof parseSync>;
  try {
    result = parseSync(file.endsWith(".ts") || file.endsWith(".tsx") ? file : `${file}.ts`, source, { sourceType: "module", lang: "ts" });
  } catch (err) {
    return { diagnostics: [makeDiagnostic(file, index, 0, 0, `the parser failed: ${err instanceof Error ? err.message : String(err)}`)] };
  }
  // `Severity` is an ambient const enum (no runtime object to import): compare its string value.
  const errors = (result.errors ?? []).filter((e) => (e.severity as string) !== "Warning");
  if (errors.length > 0) {
    const diagnostics = errors.map((e) => {
      const label = e.labels?.[0];
      const start = typeof label?.start === "number" ? label.start : 0;
      const end = typeof label?.end === "number" ? label.end : start;
      const reason = `syntax error: ${String(e.message ?? "invalid syntax")}${label?.message ? ` (${label.message})` : ""}`;
      return makeDiagnostic(
        file,
        index,
        start,
        end,
        reason,
        e.helpMessage ?? "the file is not valid TypeScript; fix this before the convention can be checked",
      );
    });
    return { diagnostics };
  }
  const program = result.program;
  // oxc-parser accepts `export`/`import` nested in a function or block (a later semantic check
  // of TypeScript's refuses them); the expansion would turn them into invalid code, so say it here.
  const misplaced: Diagnostic[] = [];
  const visit = (node: Node, top: boolean): void => {
    if (!top && /^(Import|Export(Named|Default|All))Declaration$|^TSExportAssignment$|^TSImportEqualsDeclaration$/.test(node.type)) {
      const what = node.type.startsWith("Import") || node.type === "TSImportEqualsDeclaration" ? "an import" : "an export";
      misplaced.push(
        makeDiagnostic(
          file,
          index,
          node.start,
          node.end,
          `syntax error: ${what} declaration may only appear at the top level of a module`,
          "move it out of the function or block (is a `}` missing or misplaced above?)",
        ),
      );
      return;
    }
    if (node.type === "TSModuleDeclaration") return; // `namespace N { export … }` exports are legal
    eachChild(node, (c) => visit(c, false));
  };
  for (const s of program.body) eachChild(s, (c) => visit(c, false));
  if (misplaced.length > 0) return { diagnostics: misplaced };
  return { parsed: { file, source, index, program }, diagnostics: [] };
}

const TYPE_KEYS = new Set(["typeAnnotation", "typeArguments", "typeParameters", "returnType", "decorators", "superTypeArguments"]);
/** Per node type, the keys holding child nodes (oxc's visitor keys minus type positions). */
const childKeys = new Map<string, string[]>();
for (const [type, keys] of Object.entries(visitorKeys as Record<string, string[]>))
  childKeys.set(
    type,
    keys.filter((k) => !TYPE_KEYS.has(k)),
  );

/**
 * A node read as a record of its fields, for the generic walk: it reads the keys oxc lists per node
 * type, which no single node type declares, so the values are `unknown` until checked.
 */
type Fields = Record<string, unknown>;
/** What the walk checks before treating a field value as a node. */
type MaybeNode = { type?: unknown } | null;

function keysOf(node: Node): string[] {
  let keys = childKeys.get(node.type);
  if (!keys) {
    const fields = node as unknown as Fields;
    keys = Object.keys(node).filter((k) => !TYPE_KEYS.has(k) && k !== "parent" && fields[k] !== null && typeof fields[k] === "object");
    childKeys.set(node.type, keys);
  }
  return keys;
}

/** Children of a node (arrays flattened), skipping TypeScript type positions. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  const fields = node as unknown as Fields;
  for (const key of keysOf(node)) {
    const v = fields[key] as MaybeNode | MaybeNode[] | undefined;
    if (v === null || v === undefined || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c !== null && typeof c === "object" && typeof c.type === "string") out.push(c as Node);
    } else if (typeof v.type === "string") out.push(v as Node);
  }
  return out;
}

/** Calls `fn` on each child of a node (no array allocated: this runs on every node, cold). */
export function eachChild(node: Node, fn: (child: Node) => void): void {
  const keys = keysOf(node);
  const fields = node as unknown as Fields;
  for (let k = 0; k < keys.length; k++) {
    const v = fields[keys[k]] as MaybeNode | MaybeNode[] | undefined;
    if (v === null || v === undefined || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c = v[i];
        if (c !== null && typeof c === "object" && typeof c.type === "string") fn(c as Node);
      }
    } else if (typeof v.type === "string") fn(v as Node);
  }
}
