// Fuzzing the .ad.ts loader (transformAd, what the Bun plugin calls): 1,500 seeded token
// mutations (deletions, swaps, duplications) of real programs — the explicit-mode fixtures and the
// implicit-mode programs (a tiny GPT among them). Every case must end in an AdSyntaxError located
// at file:line:col, or in an expansion whose output parses; a TypeError or RangeError from inside a
// pass is a crash. The cases run in a worker, so a case that never finishes is caught (the worker
// is ended and the case reported) instead of hanging the test run.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FuzzReport, FuzzRequest } from "./fuzz/ad_fuzz_worker.ts";

const CASES = Number(process.env.PULLBACK_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.PULLBACK_FUZZ_SEED ?? 1);
/** A case that has not finished after this long is reported as a hang (a safety net, not a speed test). */
const STUCK_MS = 60_000;

function adFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ad.ts"))
    .sort()
    .map((f) => join(dir, f));
}

test(`.ad.ts loader: ${CASES} mutated programs end in a located diagnostic or an expansion that parses`, async () => {
  const paths = [...adFiles(join(import.meta.dir, "fixtures")), ...adFiles(join(import.meta.dir, "implicit/programs"))];
  const files = paths.map((path) => ({ path, source: readFileSync(path, "utf8") }));
  expect(files.length).toBeGreaterThan(15);
  const reports: FuzzReport[] = [];
  let current: { start: number; file: string; kind: string; source: string } | undefined;
  const hangs: string[] = [];
  const worker = new Worker(new URL("./fuzz/ad_fuzz_worker.ts", import.meta.url).href);
  await new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hangs.push(`case ${current?.start} (${current?.kind} of ${current?.file}) did not finish:\n${current?.source}`);
        worker.terminate();
        resolve();
      }, STUCK_MS);
    };
    worker.onmessage = (event: MessageEvent) => {
      const m = event.data;
      if (m.done) {
        clearTimeout(timer);
        resolve();
      } else if ("start" in m) {
        current = m;
        arm();
      } else reports.push(m);
    };
    worker.onerror = (e) => {
      clearTimeout(timer);
      reject(e);
    };
    arm();
    worker.postMessage({ files, cases: CASES, seed: SEED } satisfies FuzzRequest);
  });
  worker.terminate();
  const counts: Record<string, number> = {
    "syntax diagnostic": 0,
    "convention diagnostic": 0,
    expanded: 0,
    crash: 0,
    "bad-output": 0,
    "bad-diagnostic": 0,
    hang: hangs.length,
  };
  const perKind: Record<string, Record<string, number>> = {};
  for (const r of reports) {
    counts[r.outcome]++;
    (perKind[r.kind] ??= {})[r.outcome] = (perKind[r.kind][r.outcome] ?? 0) + 1;
  }
  console.log(
    `.ad.ts fuzz (seed ${SEED}): ${reports.length + hangs.length} mutated programs from ${files.length} files: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}`,
  );
  console.log(
    `  per mutation: ${Object.entries(perKind)
      .map(([k, c]) => `${k} ${JSON.stringify(c)}`)
      .join(", ")}`,
  );
  const failures = reports.filter((r) => !r.outcome.endsWith("diagnostic") && r.outcome !== "expanded");
  for (const f of failures.slice(0, 5)) console.log(`case ${f.i} (${f.kind} of ${f.file}): ${f.outcome}: ${f.detail}`);
  expect(hangs).toEqual([]);
  expect(failures.map((f) => `case ${f.i} (${f.kind} of ${f.file}): ${f.outcome}: ${f.detail?.split("\n")[0]}`)).toEqual([]);
  expect(reports.length).toBe(CASES);
  expect(counts["syntax diagnostic"]).toBeGreaterThan(0);
  expect(counts["convention diagnostic"]).toBeGreaterThan(0);
  expect(counts.expanded).toBeGreaterThan(0);
}, 600_000);
