// Snapshots of generated code: the expansion of an `.ad.ts` file — readable, as `bun run ad:expand`
// prints it, compact, as the loader runs it, or its forward rules, as `ad:expand --forward` prints
// them — against a committed file, so that any change to
// the generated code fails a test until the file is rewritten and the diff reviewed. With
// UPDATE_SNAPSHOTS=1 in the environment the committed file is rewritten instead.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { transformAd } from "./transform.ts";

export interface ExpansionSnapshot {
  /** The expansion of the file now. */
  actual: string;
  /** The committed snapshot (equal to `actual` after an update). */
  expected: string;
}

/**
 * The expansion of `path` (named `label` in the generated code's call sites, e.g. its path from the
 * repository root) and the snapshot committed at `snapshot`; with `forward`, the forward rules of an
 * implicit-mode file. A missing snapshot is an error that says how to write it.
 */
export function expansionSnapshot(
  path: string,
  label: string,
  snapshot: string,
  options: { compact?: boolean; forward?: boolean } = {},
): ExpansionSnapshot {
  const actual = transformAd(readFileSync(path, "utf8"), label, { readable: !options.compact, noCache: true, forward: options.forward }).code;
  if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(snapshot, actual);
  if (!existsSync(snapshot)) throw new Error(`${snapshot} is missing: run the test with UPDATE_SNAPSHOTS=1 to write it, then review it`);
  return { actual, expected: readFileSync(snapshot, "utf8") };
}

/** A line of an expansion over the length limit (`line` from 1; `length` counts the loader's own text). */
export interface LongLine {
  line: number;
  length: number;
  text: string;
}

/**
 * In-place registrations: a function expression (or a nested function declaration) registered
 * where it stands, `__ad.withRule(<the user's function>, …)` on the user's line — the loader keeps
 * the module line for line, so they cannot move (implicit/emit.ts).
 */
const IN_PLACE_REGISTRATION = /__ad\.with(?:Module)?Rule\((?:\(|function\b)|\(\.\.\.__a\) =>/;

/**
 * The lines of `expansion` (of `source`, readable) over `limit` characters of generated code — the
 * user's code it carries not counted: a line of the module as written (lines 1…n of the expansion)
 * is measured by what the loader added to it (line 1: the runtime import and the call of
 * `__registerRules`), a line after it is skipped when it is a line of the source copied as it stands
 * (untracked code inside a rule), else measured whole. Lines with in-place registrations are not
 * measured (IN_PLACE_REGISTRATION).
 */
export function longGeneratedLines(source: string, expansion: string, limit = 120): LongLine[] {
  const src = source.split("\n");
  if (source.endsWith("\n")) src.pop();
  const copied = new Set(src.map((l) => l.trim()).filter((l) => l !== ""));
  const out: LongLine[] = [];
  expansion.split("\n").forEach((text, i) => {
    if (IN_PLACE_REGISTRATION.test(text)) return;
    const length = i < src.length ? text.length - src[i].length : copied.has(text.trim()) ? 0 : text.length;
    if (length > limit) out.push({ line: i + 1, length, text });
  });
  return out;
}
