// How an uncaught error is printed when the loader is registered (the preload installs this).
//
// Bun prints an uncaught error from the raw stack frames, ignoring Error.prepareStackTrace and the
// source maps that onLoad plugins return (oven-sh/bun#6173), so an error thrown in a rule of an
// `.ad.ts` file would show the generated line numbers and a code frame of some internal file, and a
// load-time diagnostic would be framed by diagnostics.ts, followed by a dump of the error object and
// the loader's own frames. This reporter prints instead:
//   - a load-time diagnostic (AdSyntaxError): its text once — `file:line:col: error: …`, the code
//     frame of the .ad.ts source and the hint — and nothing else;
//   - an error with a frame in an expanded .ad.ts file: a code frame of that .ad.ts line, then
//     `error.stack` as a caught error shows it (frames remapped to the .ad.ts source);
//   - anything else exactly as Bun would (Bun.inspect).
// It steps aside when the program has its own `uncaughtException` / `unhandledRejection` listener,
// and under `bun test`, whose runner reports errors itself.
import { existsSync, readFileSync, writeSync } from "node:fs";
import { codeFrame, LineIndex } from "./diagnostics.ts";
import { isExpandedFile } from "./sourcemap.ts";

function isAdSyntaxError(e: unknown): e is Error & { diagnostics: unknown[] } {
  return e instanceof Error && e.name === "AdSyntaxError" && Array.isArray((e as { diagnostics?: unknown }).diagnostics);
}

/** The first `file:line:col` of `stack` in an expanded .ad.ts file, or null. */
function firstAdFrame(stack: string): { file: string; line: number; column: number } | null {
  for (const m of stack.matchAll(/(?:\(|at )([^\s()]+\.ad\.ts):(\d+):(\d+)\)?$/gm)) {
    if (isExpandedFile(m[1])) return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

function sourceFrame(at: { file: string; line: number; column: number }): string {
  if (!existsSync(at.file)) return "";
  const index = new LineIndex(readFileSync(at.file, "utf8"));
  if (at.line < 1 || at.line > index.starts.length) return "";
  const offset = index.starts[at.line - 1] + at.column - 1;
  return codeFrame(index, offset, offset + 1);
}

/** The text printed for an uncaught error (exported for tests). */
export function formatUncaught(e: unknown): string {
  if (isAdSyntaxError(e)) return e.message;
  if (e instanceof Error) {
    const stack = typeof e.stack === "string" ? e.stack : "";
    const at = firstAdFrame(stack);
    if (at) {
      const frame = sourceFrame(at);
      return `${at.file}:${at.line}:${at.column}\n${frame ? `${frame}\n` : ""}${stack}`;
    }
  }
  return Bun.inspect(e);
}

let installed = false;

/** `bun test` sets NODE_ENV=test and runs test files (`*.test.ts`, `*_spec.js`, …) as the main module. */
function underBunTest(): boolean {
  return process.env.NODE_ENV === "test" && /[._-](test|spec)\.[cm]?[jt]sx?$/.test(Bun.main);
}

/** Installs the reporter (idempotent; not under `bun test`). */
export function installUncaughtReport(): void {
  if (installed || underBunTest()) return;
  installed = true;
  for (const event of ["uncaughtException", "unhandledRejection"] as const) {
    process.on(event, function pullbackUncaught(e: unknown) {
      // A listener of the program's own decides what happens (Node's semantics: it handles the error).
      if (process.listenerCount(event) > 1) return;
      writeSync(2, `${formatUncaught(e)}\n`);
      process.exit(1);
    });
  }
}
