// Finds, or installs, the one Zig release pullback pins.
//
// Order: $ZIG, then `zig` on PATH — each only when its version is the pinned one —,
// then a copy in a `.toolchain/` folder (this package's folder, or any folder above it: the
// repository root's), installed on demand from PyPI's `ziglang` wheel (the official Zig build)
// with `python3 -m pip install --target` into $PULLBACK_TOOLCHAIN or `<this package>/.toolchain/`.
//
// Every path here is relative to this package (zig-kernels/ in the repository,
// node_modules/@pullback/kernels/ in a project that installed it), never to the current directory.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The @pullback/kernels package folder: build.zig, build.zig.zon, src/, scripts/, zig-out/. */
export const packageDir = resolve(import.meta.dir, "..");

/** Read from build.zig.zon so the pin lives in one place. */
export const pinnedZig: string = (() => {
  const zon = readFileSync(join(packageDir, "build.zig.zon"), "utf8");
  const m = zon.match(/\.minimum_zig_version\s*=\s*"([^"]+)"/);
  if (!m) throw new Error("build.zig.zon: no .minimum_zig_version");
  return m[1];
})();

const zigExe = process.platform === "win32" ? "zig.exe" : "zig";
/** Where the wheel is installed when no pinned Zig is found. */
const localDir = join(process.env.PULLBACK_TOOLCHAIN ?? join(packageDir, ".toolchain"), `zig-${pinnedZig}`);
const localZig = join(localDir, "ziglang", zigExe);

/** Pinned-Zig copies already installed in a `.toolchain/` of this package or of a folder above it. */
function toolchainCopies(): string[] {
  const found = [localZig];
  for (let dir = packageDir; ; dir = dirname(dir)) {
    found.push(join(dir, ".toolchain", `zig-${pinnedZig}`, "ziglang", zigExe));
    if (dirname(dir) === dir) break;
  }
  return found.filter((p, i) => found.indexOf(p) === i && existsSync(p));
}

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
  const candidates = [process.env.ZIG, Bun.which("zig"), ...toolchainCopies()].filter((p): p is string => !!p);
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
    [
      python,
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "--no-deps",
      "--upgrade",
      "--target",
      localDir,
      `ziglang==${pinnedZig}`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0 || !existsSync(localZig) || versionOf(localZig) !== pinnedZig) {
    throw new Error(`installing ziglang==${pinnedZig} with pip failed:\n${r.stderr.toString().trim()}\n${installHint()}`);
  }
  return localZig;
}
