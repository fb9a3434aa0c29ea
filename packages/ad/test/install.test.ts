// pullback as a library, installed the way a user installs it, in a project outside this repository:
// `bun pm pack` of @pullback/kernels, @pullback/tensor and @pullback/ad, then in a fresh folder under
// the system temp dir
//
//   bun add ./pullback-kernels-0.1.0.tgz ./pullback-tensor-0.1.0.tgz ./pullback-ad-0.1.0.tgz
//   bunfig.toml: preload = ["@pullback/ad/preload"]
//   bun main.ts            # imports its own loss.ad.ts and prints valueAndGrad(loss)
//
// The consumer trusts @pullback/kernels, so its postinstall builds the Zig library inside
// node_modules/@pullback/kernels at install (with this repository's Zig, $ZIG, instead of downloading
// the wheel, and this repository's Zig cache, so the compilation of unchanged sources is a cache hit);
// a second run after deleting that library proves it is rebuilt on first use. Running from a
// subfolder (no bunfig.toml there) must say that the loader is not registered.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureZig, packageDir as kernelsDir } from "@pullback/kernels";

const root = resolve(import.meta.dir, "../../..");
const packages = ["zig-kernels", "packages/tensor", "packages/ad"];
const work = mkdtempSync(join(tmpdir(), "pullback-install-"));
const project = join(work, "my-project");
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(cmd: string[], cwd: string, env: Record<string, string | undefined> = {}, expectFailure = false) {
  const p = Bun.spawnSync(cmd, {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PULLBACK_AD_CACHE: undefined, PULLBACK_LIB: undefined, ...env },
  });
  const out = { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  if (out.code !== 0 && !expectFailure) console.error(`${cmd.join(" ")} (in ${cwd}) exited ${out.code}:\n${out.stdout}\n${out.stderr}`);
  return out;
}

const LOSS = `// loss(x, w) = Σ w·x² — its gradient is (2·w·x, x²).
import { mul, sum, type Tensor } from "@pullback/tensor";

export function loss(x: Tensor, w: Tensor): number {
  const wx = mul(w, x);
  return sum(mul(wx, x));
}
`;

const MAIN = `import { valueAndGrad } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { loss } from "./loss.ad.ts";

const x = Tensor.from([1, -2, 3, 0.5], [4]);
const w = Tensor.from([0.5, 1.5, -1, 2], [4]);
const [value, [dx, dw]] = valueAndGrad(loss, { argnums: [0, 1] })(x, w);
console.log(JSON.stringify({ value, dx: Array.from(dx.data), dw: Array.from(dw.data) }));
`;

// An explicit-mode file of the project (the rrule-call convention over @pullback/tensor/rrules,
// the rrule form of tensor's op table), differentiated by valueAndGrad like an implicit one.
const EXPLICIT = `import { ad, fork, valueAndGrad } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { mul, sum } from "@pullback/tensor/rrules";

export const loss = ad(([x, w]) => {
  const [[x1, x2], __] = fork(x);
  const [wx, __1] = mul([w, x1]);
  const [wxx, __2] = mul([wx, x2]);
  const [s, __3] = sum(wxx);
  return s;
});

const x = Tensor.from([1, -2, 3, 0.5], [4]);
const w = Tensor.from([0.5, 1.5, -1, 2], [4]);
const [value, [dx, dw]] = valueAndGrad(loss)([x, w]);
console.log(JSON.stringify({ value, dx: Array.from(dx.data), dw: Array.from(dw.data) }));
`;

const x = [1, -2, 3, 0.5],
  w = [0.5, 1.5, -1, 2];
const expected = {
  value: x.reduce((s, xi, i) => s + w[i] * xi * xi, 0),
  dx: x.map((xi, i) => 2 * w[i] * xi),
  dw: x.map((xi) => xi * xi),
};

function expectGradient(stdout: string) {
  const got = JSON.parse(stdout.trim().split("\n").at(-1)!);
  expect(got.value).toBeCloseTo(expected.value, 5);
  got.dx.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected.dx[i], 5));
  got.dw.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected.dw[i], 5));
}

const tarballs: string[] = [];
const zig = ensureZig();
const zigEnv = { ZIG: zig, ZIG_LOCAL_CACHE_DIR: join(kernelsDir, ".zig-cache") };
const installedLib = join(
  project,
  "node_modules",
  "@pullback",
  "kernels",
  "zig-out",
  "lib",
  process.platform === "darwin" ? "libpullback.dylib" : "libpullback.so",
);

beforeAll(() => {
  for (const p of packages) {
    const r = sh(["bun", "pm", "pack", "--quiet", "--destination", work], join(root, p));
    expect(r.code).toBe(0);
    tarballs.push(r.stdout.trim().split("\n").at(-1)!);
  }
  mkdirSync(project);
  for (const t of tarballs) cpSync(t, join(project, t.split("/").at(-1)!));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "my-project", private: true, type: "module", trustedDependencies: ["@pullback/kernels"] }, null, 2),
  );
  writeFileSync(join(project, "bunfig.toml"), 'preload = ["@pullback/ad/preload"]\n');
  writeFileSync(join(project, "loss.ad.ts"), LOSS);
  writeFileSync(join(project, "main.ts"), MAIN);
  writeFileSync(join(project, "explicit.ad.ts"), EXPLICIT);
}, 60_000);

describe("a project outside the repository installs the packed tarballs", () => {
  test("the tarballs: names, versions, licence, no workspace: ranges, pullback packages as peers", () => {
    expect(tarballs.map((t) => t.split("/").at(-1))).toEqual(["pullback-kernels-0.1.0.tgz", "pullback-tensor-0.1.0.tgz", "pullback-ad-0.1.0.tgz"]);
    for (const t of tarballs) {
      const pkg = JSON.parse(sh(["tar", "xzf", t, "-O", "package/package.json"], work).stdout);
      expect(pkg.version).toBe("0.1.0");
      expect(pkg.license).toBeString();
      expect(JSON.stringify(pkg)).not.toContain("workspace:");
      expect(pkg.exports["."].types).toBeString();
      expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@pullback/"))).toEqual([]);
    }
    const peers = (t: string) => JSON.parse(sh(["tar", "xzf", t, "-O", "package/package.json"], work).stdout).peerDependencies;
    expect(peers(tarballs[2])).toEqual({ "@pullback/tensor": "^0.1.0" });
    expect(peers(tarballs[1])).toEqual({ "@pullback/kernels": "^0.1.0" });
  });

  test("bun add the tarballs: postinstall builds the kernels in the package; bun main.ts prints the analytic gradient", () => {
    const add = sh(["bun", "add", "--prefer-offline", ...tarballs.map((t) => `./${t.split("/").at(-1)}`)], project, zigEnv);
    expect(add.code).toBe(0);
    for (const name of ["kernels", "tensor", "ad"]) expect(existsSync(join(project, "node_modules", "@pullback", name, "package.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(project, "package.json"), "utf8")).dependencies["@pullback/ad"]).toBe("./pullback-ad-0.1.0.tgz");
    // Built by the postinstall of @pullback/kernels, in its own folder.
    expect(existsSync(installedLib)).toBe(true);
    const run = sh(["bun", "main.ts"], project, zigEnv);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expectGradient(run.stdout);
  }, 300_000);

  test("an explicit-mode .ad.ts file over the installed @pullback/tensor/rrules gives the analytic gradient", () => {
    const run = sh(["bun", "explicit.ad.ts"], project, zigEnv);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expectGradient(run.stdout);
  }, 60_000);

  test("a missing kernel library is built on first use (one line on stderr)", () => {
    rmSync(join(project, "node_modules", "@pullback", "kernels", "zig-out"), { recursive: true, force: true });
    const run = sh(["bun", "main.ts"], project, zigEnv);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`pullback: building the Zig kernel library (${installedLib} is missing)`);
    expect(existsSync(installedLib)).toBe(true);
    expectGradient(run.stdout);
  }, 300_000);

  test("run from a subfolder (no bunfig.toml there): the error says the loader is not registered and how to fix it", () => {
    const sub = join(project, "scripts");
    mkdirSync(sub, { recursive: true });
    const run = sh(["bun", "../main.ts"], sub, zigEnv, true);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AdLoaderError: valueAndGrad: `loss` has no rule because the .ad.ts loader is not registered");
    expect(run.stderr).toContain('in bunfig.toml add `preload = ["@pullback/ad/preload"]`');
    expect(run.stderr).not.toContain("must return [output, pullback]");
  }, 60_000);
});
