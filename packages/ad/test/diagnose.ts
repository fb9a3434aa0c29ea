// Shared by the explicit- and implicit-mode diagnostics tests: run the transform on a source that
// must be rejected, and check the layout of one formatted diagnostic.
import { expect } from "bun:test";
import { AdSyntaxError, type Diagnostic } from "../src/diagnostics.ts";
import { transformAd, type TransformOptions } from "../src/transform.ts";

/** The AdSyntaxError the transform throws for `source`; fails for any other outcome. */
export function diagnose(source: string, file: string, options: TransformOptions = {}): AdSyntaxError {
  try {
    transformAd(source, file, { ...options, noCache: true });
  } catch (e) {
    if (e instanceof AdSyntaxError) return e;
    throw new Error(`expected an AdSyntaxError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error("expected an AdSyntaxError, but the file was accepted");
}

/** `file:line:col: error: reason`, a code frame with a caret under the column, `  hint: …` last. */
export function expectFormatted(d: Diagnostic): void {
  const lines = d.text.split("\n");
  expect(lines[0]).toBe(`${d.file}:${d.line}:${d.column}: error: ${d.reason}`);
  const frameLine = lines.find((l) => /^ +\d+ \| /.test(l) && Number(l.split("|")[0]) === d.line)!;
  expect(frameLine).toBeDefined();
  const caret = lines[lines.indexOf(frameLine) + 1];
  expect(caret.indexOf("^") - (caret.indexOf("|") + 2)).toBe(d.column - 1);
  expect(lines.at(-1)).toBe(`  hint: ${d.hint}`);
}

/** The first diagnostic of `source`, checked to be at `at` ("line:col"), in the error too, and formatted. */
export function firstDiagnostic(source: string, file: string, at: string, options: TransformOptions = {}): Diagnostic {
  const e = diagnose(source, file, options);
  const d = e.diagnostics[0];
  expect(`${d.line}:${d.column}`).toBe(at);
  expect(`${e.line}:${e.column}`).toBe(at);
  expect(e.file).toBe(file);
  expect(e.name).toBe("AdSyntaxError");
  expect(e.message).toContain(d.text);
  expectFormatted(d);
  return d;
}

/**
 * Transforms truncations and splices of a valid source: each must be accepted or rejected with an
 * AdSyntaxError (never a TypeError of the loader). Returns how many were rejected.
 */
export function fuzzTransform(valid: string, step: number): number {
  let errors = 0;
  for (let cut = 0; cut <= valid.length; cut += step) {
    for (const src of [
      valid.slice(0, cut),
      valid.slice(0, cut) + valid.slice(cut + 7),
      valid.slice(0, cut) + "__" + valid.slice(cut),
      valid.slice(0, cut) + "." + valid.slice(cut),
    ]) {
      try {
        transformAd(src, "fuzz.ad.ts", { noCache: true });
      } catch (e) {
        if (!(e instanceof AdSyntaxError)) throw new Error(`cut ${cut}: ${e instanceof Error ? e.stack : String(e)}\n---\n${src}`);
        expect(e.diagnostics.length).toBeGreaterThan(0);
        expect(e.message).toMatch(/^fuzz\.ad\.ts:\d+:\d+: error: /);
        errors++;
      }
    }
  }
  return errors;
}
