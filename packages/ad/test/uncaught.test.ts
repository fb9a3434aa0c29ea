// Uncaught errors, as a user sees them (scripts run with `bun` from the repository root, whose
// bunfig.toml preloads @pullback/ad/preload): the .ad.ts file, line and column of the source — never
// a generated line —, a load-time diagnostic printed once without the loader's own frames.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../../..");
const dir = join(import.meta.dir, "fixtures", "uncaught");

function run(script: string, ...args: string[]) {
  // A child of `bun test` inherits NODE_ENV=test; the reporter is still on (the main module is no test file).
  const p = Bun.spawnSync(["bun", join(dir, script), ...args], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PULLBACK_AD_CACHE: "0" },
  });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** Every `name.ad.ts:line:col` printed, with the file's line count, to check that each line exists. */
function adPositions(text: string, file: string): { line: number; column: number }[] {
  const name = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [...text.matchAll(new RegExp(`${name}:(\\d+):(\\d+)`, "g"))].map((m) => ({ line: Number(m[1]), column: Number(m[2]) }));
}

const lineCount = (file: string) => readFileSync(join(dir, file), "utf8").split("\n").length;

describe("an uncaught error in a rule's forward", () => {
  test("a shape error: the .ad.ts line and column, a code frame of that line, no generated positions", () => {
    const r = run("shape_main.ts");
    expect(r.code).toBe(1);
    const err = r.stderr;
    expect(err).toContain("TensorError: matmul: inner dimensions differ: a (2, 3) · b (2, 2)");
    expect(err.match(/inner dimensions differ/g)?.length).toBe(1);
    // The rule of `loss` fails at the matmul call, 6:13 of shape.ad.ts.
    expect(err).toContain(`at loss__rrule (${join(dir, "shape.ad.ts")}:6:13)`);
    expect(err.split("\n")[0]).toBe(`${join(dir, "shape.ad.ts")}:6:13`);
    expect(err).toContain(" 6 |   const y = matmul(x, w);\n   |             ^");
    const positions = adPositions(err, "shape.ad.ts");
    expect(positions.length).toBeGreaterThanOrEqual(2);
    for (const p of positions) expect(p.line).toBeLessThanOrEqual(lineCount("shape.ad.ts"));
    // Bun's own printer would add a code frame of errors.ts (where the TensorError is thrown).
    expect(err).not.toContain("throw new TensorError");
  });
});

describe("an uncaught load-time diagnostic", () => {
  test("printed once: file:line:col, code frame, hint; no frames or dump of the loader", () => {
    const r = run("mutates_main.ts");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const err = r.stderr;
    const head = `${join(dir, "mutates.ad.ts")}:6:3: error: in-place write into the tracked value \`y\``;
    expect(err.startsWith(head)).toBe(true);
    expect(err.split("in-place write into the tracked value").length).toBe(2);
    expect(err).toContain(" 6 |   y.data[0] = 1;\n   |   ^^^^^^^^^");
    expect(err).toContain("hint: build a new value with an op");
    for (const internal of ["diagnostics.ts", "transform.ts", "plugin.ts", "diagnostics:", "reason:", " at "]) expect(err).not.toContain(internal);
    for (const p of adPositions(err, "mutates.ad.ts")) expect(p.line).toBeLessThanOrEqual(lineCount("mutates.ad.ts"));
  });

  test("a caught AdSyntaxError's stack is the same text (no loader frames)", async () => {
    const e = await import(join(dir, "mutates.ad.ts")).then(
      () => null,
      (err: Error) => err,
    );
    expect(e?.name).toBe("AdSyntaxError");
    expect(e!.stack).toBe(`AdSyntaxError: ${e!.message}`);
  });
});

describe("errors that do not involve .ad.ts files", () => {
  test("are printed as Bun prints them (code frame of the throw, frames, exit code 1)", () => {
    const r = run("plain_main.ts");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("RangeError: plain failure");
    expect(r.stderr).toContain('throw new RangeError("plain failure");');
    expect(r.stderr).toMatch(/at fails \(.*plain_main\.ts:3:\d+\)/);
  });

  test("a program's own uncaughtException listener decides", () => {
    const r = run("handled_main.ts");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("handled: late failure\n");
    expect(r.code).toBe(0);
  });
});
