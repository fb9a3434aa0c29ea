// Without the .ad.ts loader (here: `bun` started from a folder with no bunfig.toml, the way
// `cd mytry && bun train.ts` misses the project's bunfig), differentiating a function of an .ad.ts
// file says that the loader is not registered and how to register it — in implicit mode
// (valueAndGrad / grad / pullback) and in explicit mode (`ad(...)`).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const elsewhere = mkdtempSync(join(tmpdir(), "pullback-no-bunfig-"));
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

function runElsewhere(script: string, ...args: string[]) {
  const p = Bun.spawnSync(["bun", script, ...args], {
    cwd: elsewhere,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PULLBACK_AD_CACHE: "0" },
  });
  return { code: p.exitCode, stderr: p.stderr.toString() };
}

const fix = 'in bunfig.toml add `preload = ["@pullback/ad/preload"]`';

describe("implicit mode without the loader", () => {
  for (const [mode, api] of [
    ["vg", "valueAndGrad"],
    ["vg2", "valueAndGrad"],
    ["grad", "grad"],
    ["pb", "pullback"],
  ] as const) {
    test(`${mode === "vg2" ? "valueAndGrad with argnums" : api}: names the missing loader and the fix`, () => {
      const r = runElsewhere(join(import.meta.dir, "fixtures", "uncaught", "shape_main.ts"), mode);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `AdLoaderError: ${api}: \`loss\` has no rule because the .ad.ts loader is not registered in this process (cwd ${elsewhere})`,
      );
      expect(r.stderr).toContain(fix);
      expect(r.stderr).toContain("Bun reads the bunfig.toml of the folder it is started from");
      expect(r.stderr).not.toContain("must return [output, pullback]");
      expect(r.stderr).toContain(`(imported as plain TypeScript: ${join(import.meta.dir, "fixtures", "uncaught", "shape.ad.ts")})`);
      // Said before f runs as plain code (whose own error, a matmul shape mismatch here, would hide the cause).
      expect(r.stderr).not.toContain("matmul");
    });
  }
});

describe("explicit mode without the loader", () => {
  test("calling ad(...) names the missing loader and the fix", () => {
    const r = runElsewhere(join(import.meta.dir, "fixtures", "app", "main.ts"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("AdLoaderError: ad(...) was called without the .ad.ts loader (it is not registered in this process)");
    expect(r.stderr).toContain(fix);
  });
});
