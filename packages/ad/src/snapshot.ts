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
