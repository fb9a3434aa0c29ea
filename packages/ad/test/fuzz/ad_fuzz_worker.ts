// Runs the .ad.ts loader's transform on mutated programs, one case at a time, reporting each
// outcome to the test (ad_fuzz.test.ts), which ends this worker if a case does not finish.
import { parseSync } from "oxc-parser";
import { AdSyntaxError } from "../../src/diagnostics.ts";
import { transformAd } from "../../src/transform.ts";
import { FuzzRng, mutateProgram, tokenize } from "./mutate_program.ts";

declare const self: Worker;

export interface FuzzRequest {
  files: { path: string; source: string }[];
  cases: number;
  seed: number;
}
export interface FuzzReport {
  i: number;
  file: string;
  kind: string;
  outcome: "syntax diagnostic" | "convention diagnostic" | "expanded" | "crash" | "bad-output" | "bad-diagnostic";
  detail?: string;
  /** The mutated source, for a failing case. */
  source?: string;
}

function parses(path: string, source: string): boolean {
  const r = parseSync(path, source, { sourceType: "module", lang: "ts" } as any);
  return (r.errors ?? []).every((e: any) => e.severity === "Warning");
}

self.onmessage = (event: MessageEvent<FuzzRequest>) => {
  const { files, cases, seed } = event.data;
  const rng = new FuzzRng(seed);
  const tokens = files.map((f) => tokenize(f.source));
  for (let i = 0; i < cases; i++) {
    const f = i % files.length;
    const { path, source: original } = files[f];
    // Half the cases keep only mutants that still parse (up to 30 tries), so that they reach
    // the convention checks and the expansion rather than stopping at the parser.
    let { kind, source } = mutateProgram(original, tokens[f], rng);
    if (i % 2 === 1) {
      for (let tries = 0; tries < 30 && !parses(path, source); tries++) ({ kind, source } = mutateProgram(original, tokens[f], rng));
    }
    // The announcement comes first, so a case that never finishes is known by its number.
    postMessage({ start: i, file: path, kind, source });
    let report: FuzzReport;
    try {
      const r = transformAd(source, path, { noCache: true, map: true });
      const parsed = parseSync(`${path}.expanded.ts`, r.code, { sourceType: "module", lang: "ts" } as any);
      const errors = (parsed.errors ?? []).filter((e: any) => e.severity !== "Warning");
      report =
        errors.length === 0
          ? { i, file: path, kind, outcome: "expanded" }
          : { i, file: path, kind, outcome: "bad-output", detail: errors.map((e: any) => e.message).join("; "), source };
    } catch (e) {
      if (e instanceof AdSyntaxError) {
        const ok = e.file === path && e.line >= 1 && e.column >= 1 && e.message.startsWith(`${path}:${e.line}:${e.column}: error: `);
        report = ok
          ? { i, file: path, kind, outcome: e.reason.startsWith("syntax error") ? "syntax diagnostic" : "convention diagnostic" }
          : { i, file: path, kind, outcome: "bad-diagnostic", detail: e.message.slice(0, 300), source };
      } else {
        const err = e as Error;
        report = {
          i,
          file: path,
          kind,
          outcome: "crash",
          detail: `${err?.name}: ${err?.message}\n${String(err?.stack).split("\n").slice(1, 6).join("\n")}`,
          source,
        };
      }
    }
    postMessage(report);
  }
  postMessage({ done: true });
};
