// Finds, or installs, the one Zig release pullback pins.
//
// Order: $ZIG, then `zig` on PATH — each only when its version is the pinned one —,
// then the project-local copy in .toolchain/, installed on demand from PyPI's
// `ziglang` wheel (the official Zig build) with `python3 -m pip install --target`.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "../..");

/** Read from build.zig.zon so the pin lives in one place. */
export const pinnedZig: string = (() => {
  const zon = readFileSync(join(repoRoot, "build.zig.zon"), "utf8");
  const m = zon.match(/\.minimum_zig_version\s*=\s*"([^"]+)"/);
  if (!m) throw new Error("build.zig.zon: no .minimum_zig_version");
  return m[1];
})();

const localDir = join(repoRoot, ".toolchain", `zig-${pinnedZig}`);
const localZig = join(localDir, "ziglang", process.platform === "win32" ? "zig.exe" : "zig");

function versionOf(zig: string): string | null {
  try {
    const r = Bun.spawnSync([zig, "version"], { stdout: "pipe", stderr: "pipe" });
    return r.exitCode === 0 ? r.stdout.toString().trim() : null;
  } catch {
    return null;
  }
}

/** Path of a Zig binary of the pinned version, or null when none is available yet. */
export function findZig(): string | null {
  const candidates = [process.env.ZIG, Bun.which("zig"), localZig].filter((p): p is string => !!p);
  for (const zig of candidates) if (versionOf(zig) === pinnedZig) return zig;
  return null;
}

function installHint(): string {
  return (
    `pullback needs Zig ${pinnedZig}. Install it with one of:\n` +
    `  python3 with pip (bun install then fetches the \`ziglang==${pinnedZig}\` wheel by itself), or\n` +
    `  an official Zig ${pinnedZig} build on PATH, or ZIG=/path/to/zig-${pinnedZig}\n` +
    `then run \`bun install\` again.`
  );
}

/** Returns the pinned Zig, installing the `ziglang` wheel into .toolchain/ when needed. */
export function ensureZig(log: (line: string) => void = console.log): string {
  const found = findZig();
  if (found) return found;
  const python = Bun.which("python3") ?? Bun.which("python");
  if (!python) throw new Error(`no Zig ${pinnedZig} found and no python3 to install it.\n${installHint()}`);
  log(`pullback: installing Zig ${pinnedZig} (PyPI wheel \`ziglang\`) into ${localDir}`);
  mkdirSync(localDir, { recursive: true });
  const r = Bun.spawnSync(
    [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--upgrade", "--target", localDir, `ziglang==${pinnedZig}`],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0 || !existsSync(localZig) || versionOf(localZig) !== pinnedZig) {
    throw new Error(`installing ziglang==${pinnedZig} with pip failed:\n${r.stderr.toString().trim()}\n${installHint()}`);
  }
  return localZig;
}
