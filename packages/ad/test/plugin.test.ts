// The loader under `bun test` (these tests import .ad.ts files), `bun run` (a spawned script) and
// `Bun.build` with the plugin; without the plugin, importing a .ad.ts file fails loudly.
import { expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Tensor } from "@pullback/tensor";
import { pullbackPlugin } from "../src/plugin.ts";
import { square } from "./fixtures/structural.ad.ts";

const root = resolve(import.meta.dir, "../../..");
const app = join(import.meta.dir, "fixtures/app/main.ts");
const expected = { y: [1.5, 4.5, 9.5], dx: [2, 4, 6] };

test("under bun test: the imported .ad.ts function returns [output, pullback]", () => {
  const out = square(Tensor.from([1, 2]));
  expect(Array.isArray(out)).toBe(true);
  expect(typeof out[1]).toBe("function");
  expect(out[1].name).toBe("square_pullback");
});

test("under bun run: the root bunfig.toml preload registers the loader", () => {
  const p = Bun.spawnSync(["bun", "run", app], { cwd: root, env: { ...process.env, PULLBACK_AD_CACHE: "0" } });
  expect(p.stderr.toString()).toBe("");
  expect(JSON.parse(p.stdout.toString())).toEqual(expected);
  expect(p.exitCode).toBe(0);
});

test("under Bun.build with pullbackPlugin: the bundle runs", async () => {
  // Inside the repository so that the external @pullback/tensor resolves when the bundle runs.
  const out = mkdtempSync(join(import.meta.dir, ".tmp-build-"));
  try {
    const result = await Bun.build({ entrypoints: [app], outdir: out, target: "bun", plugins: [pullbackPlugin], external: ["@pullback/tensor"] });
    expect(result.success).toBe(true);
    const bundle = await result.outputs[0].text();
    expect(bundle).toContain("square_pullback");
    expect(bundle).not.toMatch(/\bad\(\(x\)/);
    const p = Bun.spawnSync(["bun", result.outputs[0].path], { cwd: out, env: { ...process.env, PULLBACK_AD_CACHE: "0" } });
    expect(JSON.parse(p.stdout.toString())).toEqual(expected);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("without the plugin, importing a .ad.ts file fails loudly and says how to register the loader", () => {
  // An empty bunfig (no preload) given with --config, run from a directory without a bunfig.
  const dir = mkdtempSync(join(import.meta.dir, ".tmp-noplugin-"));
  try {
    writeFileSync(join(dir, "empty-bunfig.toml"), "# no preload\n");
    cpSync(join(import.meta.dir, "fixtures"), join(dir, "fixtures"), { recursive: true });
    const p = Bun.spawnSync(["bun", `--config=${join(dir, "empty-bunfig.toml")}`, "run", join(dir, "fixtures/app/main.ts")], { cwd: dir });
    const err = p.stderr.toString();
    expect(p.exitCode).not.toBe(0);
    expect(err).toContain("ad(...) was called without the .ad.ts loader");
    expect(err).toContain('preload = ["@pullback/ad/preload"]');
    expect(err).toContain("plugins: [pullbackPlugin]");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a convention violation fails the import with the diagnostic", () => {
  const dir = mkdtempSync(join(root, "packages/ad/test/.tmp-"));
  try {
    writeFileSync(
      join(dir, "bad.ad.ts"),
      'import { ad } from "@pullback/ad";\nexport const f = ad((x) => {\n  const [a, __] = g(x);\n  const [b, __1] = h(x);\n  return [a, b];\n});\n',
    );
    writeFileSync(join(dir, "main.ts"), 'import { f } from "./bad.ad.ts";\nconsole.log(typeof f);\n');
    const p = Bun.spawnSync(["bun", "run", join(dir, "main.ts")], { cwd: root, env: { ...process.env, PULLBACK_AD_CACHE: "0" } });
    const err = p.stderr.toString();
    expect(p.exitCode).not.toBe(0);
    expect(err).toContain("bad.ad.ts:4:22: error: `x` is used twice (already consumed on line 3)");
    expect(err).toContain("hint: every tracked value is consumed exactly once; fork it");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
