// The .ad.ts transform: parse, detect the file's mode (passes/mode.ts), then explicit mode's
// check → expand → emit or implicit mode's passes (passes/implicit/; with `forward`, the forward
// rules of passes/forward/), cached by content hash (in memory, and on disk when a cache directory
// is configured). Throws AdSyntaxError with every violation.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AdSyntaxError } from "./diagnostics.ts";
import { hiresMappings } from "./sourcemap.ts";

// The passes (and with them oxc-parser's native binding and magic-string) are loaded on the first
// cache miss only: a process whose expansions are all in the disk cache never loads them. The
// implicit-mode passes (which read @pullback/tensor's op table) load with the first implicit file.
let passes: {
  parse: typeof import("./passes/parse.ts").parse;
  check: typeof import("./passes/check.ts").check;
  expand: typeof import("./passes/expand.ts").expand;
  emit: typeof import("./passes/emit.ts").emit;
  detectMode: typeof import("./passes/mode.ts").detectMode;
} | null = null;
function loadPasses(): NonNullable<typeof passes> {
  passes ??= {
    parse: (require("./passes/parse.ts") as typeof import("./passes/parse.ts")).parse,
    check: (require("./passes/check.ts") as typeof import("./passes/check.ts")).check,
    expand: (require("./passes/expand.ts") as typeof import("./passes/expand.ts")).expand,
    emit: (require("./passes/emit.ts") as typeof import("./passes/emit.ts")).emit,
    detectMode: (require("./passes/mode.ts") as typeof import("./passes/mode.ts")).detectMode,
  };
  return passes;
}
const emitImplicit: typeof import("./passes/implicit/emit.ts").emitImplicit = (parsed, options) =>
  (require("./passes/implicit/emit.ts") as typeof import("./passes/implicit/emit.ts")).emitImplicit(parsed, options);

/** Loads every pass now, as the first cache misses of an explicit and an implicit file would: lets a benchmark time expansion apart from module loading. */
export function loadAllPasses(): void {
  loadPasses();
  require("./passes/implicit/emit.ts");
}

/**
 * Part of the cache key: a hash of the transform's own sources and of @pullback/tensor's op table
 * (what the implicit passes know of the ops), so an edit of either invalidates the disk cache.
 * The table's files are read as text: computing the key loads no tensor module.
 */
export const TRANSFORM_VERSION = (() => {
  const dir = import.meta.dir;
  // this file, what it imports, and every pass
  const own = ["transform.ts", "diagnostics.ts", "sourcemap.ts", ...[...new Bun.Glob("passes/**/*.ts").scanSync({ cwd: dir })].sort()];
  try {
    const rulesDir = dirname(Bun.resolveSync("@pullback/tensor/rules", dir));
    const table = [...new Bun.Glob("*.ts").scanSync({ cwd: rulesDir })].sort().map((f) => join(rulesDir, f));
    const files = [...own.map((f) => join(dir, f)), ...table];
    return Bun.hash(files.map((f) => readFileSync(f, "utf8")).join("\0")).toString(16);
  } catch {
    return "ad-unknown";
  }
})();

export interface TransformOptions {
  /** Multi-line commented pullbacks (for reading; not line-preserving). */
  readable?: boolean;
  /** Also return the (hires) source map. */
  map?: boolean;
  /** Look up and store expansions here (on disk). */
  cacheDir?: string | null;
  /** Skip the in-memory cache (benchmarks). */
  noCache?: boolean;
  /** Implicit mode: the forward rules of the file's functions instead of the module (generated on demand, passes/forward/emit.ts). */
  forward?: boolean;
}

export interface TransformResult {
  code: string;
  /** Source map v3 (present when `map` was requested or for the loader). */
  map?: { version: number; sources: string[]; sourcesContent?: (string | null)[]; mappings: string; names: string[]; file?: string };
  /** Pullback steps → original rrule calls, for stack traces (see emit.ts). */
  frames?: number[][];
  /** Number of functions given a rule (implicit mode) or ad functions expanded (explicit mode). */
  functions: number;
  /** With `forward`: the names of the forward rules and factories the code declares. */
  forwardRules?: string[];
  /** "explicit": the file calls ad(…) (rrule-call convention); "implicit": every function is differentiated. */
  mode?: "explicit" | "implicit";
  cached: "memory" | "disk" | false;
}

const memory = new Map<string, TransformResult>();

function cacheKey(file: string, source: string, options: TransformOptions): string {
  return Bun.hash(`${TRANSFORM_VERSION}\0${file}\0${options.readable ? 1 : 0}${options.map ? 1 : 0}${options.forward ? 1 : 0}\0${source}`).toString(
    16,
  );
}

/** Expands a .ad.ts source. Throws AdSyntaxError for any violation of the convention. */
export function transformAd(source: string, file: string, options: TransformOptions = {}): TransformResult {
  const key = cacheKey(file, source, options);
  if (!options.noCache) {
    const hit = memory.get(key);
    if (hit) return { ...hit, cached: "memory" };
    if (options.cacheDir) {
      const path = join(options.cacheDir, `${key}.json`);
      if (existsSync(path)) {
        try {
          const stored = JSON.parse(readFileSync(path, "utf8")) as TransformResult;
          memory.set(key, stored);
          return { ...stored, cached: "disk" };
        } catch {
          // a corrupt entry is ignored and rewritten
        }
      }
    }
  }
  const result = transformUncached(source, file, options);
  if (!options.noCache) {
    memory.set(key, result);
    if (options.cacheDir) {
      try {
        mkdirSync(options.cacheDir, { recursive: true });
        const path = join(options.cacheDir, `${key}.json`);
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(result));
        renameSync(tmp, path);
      } catch {
        // the disk cache is an optimization only
      }
    }
  }
  return result;
}

function transformUncached(source: string, file: string, options: TransformOptions): TransformResult {
  const { parse, check, expand, emit, detectMode } = loadPasses();
  const { parsed, diagnostics } = parse(file, source);
  if (!parsed) throw new AdSyntaxError(diagnostics);
  if (detectMode(parsed.program) === "implicit") {
    // Forward rules are generated for a file the loader accepted (the checks of the reverse
    // generator): the module's expansion, cached when the module was loaded, rejects the rest.
    if (options.forward) transformAd(source, file, { map: true, cacheDir: options.cacheDir, noCache: options.noCache });
    const r = emitImplicit(parsed, { forward: options.forward });
    if (r.diagnostics.length > 0) throw new AdSyntaxError(r.diagnostics);
    if (options.forward) return { code: r.code, functions: r.functions, cached: false, mode: "implicit", forwardRules: r.forwardRules };
    const result: TransformResult = { code: r.code, functions: r.functions, cached: false, frames: r.frames, mode: "implicit" };
    if (options.map) result.map = sourceMap(file, source, r.edits);
    return result;
  }
  if (options.forward) throw new Error(`${file}: forward mode (jvp) differentiates implicit-mode files only; this file calls ad(…) (explicit mode)`);
  const checked = check(parsed);
  if (checked.diagnostics.length > 0) throw new AdSyntaxError(checked.diagnostics);
  const plans = expand(parsed, checked.functions, { comments: !!options.readable });
  const { code, edits, frames } = emit(parsed, plans, { readable: options.readable });
  const result: TransformResult = { code, functions: plans.length, cached: false, frames, mode: "explicit" };
  if (options.map) result.map = sourceMap(file, source, edits);
  return result;
}

/**
 * The hires source map of an expansion from its edits: identical to magic-string's
 * generateMap({ hires: true }) (tested), several times cheaper cold.
 */
function sourceMap(file: string, source: string, edits: Parameters<typeof hiresMappings>[1]): NonNullable<TransformResult["map"]> {
  const name = basename(file);
  return { version: 3, file: `${name}.expanded.ts`, sources: [name], sourcesContent: [source], names: [], mappings: hiresMappings(source, edits) };
}

/** Clears the in-memory cache (benchmarks and tests). */
export function clearTransformCache(): void {
  memory.clear();
}
