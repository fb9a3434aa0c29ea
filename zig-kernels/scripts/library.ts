// Where the kernel library lives, whether it is stale, and how to (re)build it.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureZig, packageDir, pinnedZig } from "./toolchain.ts";

export { ensureZig, findZig, packageDir, pinnedZig } from "./toolchain.ts";

const libName = process.platform === "darwin" ? "libpullback.dylib" : process.platform === "win32" ? "pullback.dll" : "libpullback.so";
// `zig build` runs in this package's folder (build.zig, src/) and installs into its zig-out/.
const installDir = join(packageDir, "zig-out", process.platform === "win32" ? "bin" : "lib");
/** Records how the installed library was built, so a rebuild keeps the same CPU mode. */
const stampPath = join(packageDir, "zig-out", "pullback-build.json");

export type Cpu = "native" | "baseline";

/** The shared library to load: `$PULLBACK_LIB` when set, else the one `zig build` installs. */
export function libraryPath(): string {
  return process.env.PULLBACK_LIB ?? join(installDir, libName);
}

function sourceFiles(): string[] {
  const dir = join(packageDir, "src");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".zig"))
    .map((f) => join(dir, f));
  return [...files, join(packageDir, "build.zig"), join(packageDir, "build.zig.zon")];
}

/** Why the library must be (re)built, or null when it is up to date. */
export function staleReason(): string | null {
  const lib = libraryPath();
  if (!existsSync(lib)) return `${lib} is missing`;
  if (process.env.PULLBACK_LIB) return null; // an explicit override is never rebuilt
  const built = statSync(lib).mtimeMs;
  const newer = sourceFiles().find((f) => existsSync(f) && statSync(f).mtimeMs > built);
  return newer ? `${newer.slice(packageDir.length + 1)} is newer than the library` : null;
}

function lastCpu(): Cpu {
  try {
    return JSON.parse(readFileSync(stampPath, "utf8")).cpu === "baseline" ? "baseline" : "native";
  } catch {
    return "native";
  }
}

/** Builds <package>/zig-out/lib/libpullback with `zig build` (ReleaseFast). Throws with Zig's output on failure. */
export function buildLibrary(options: { cpu?: Cpu; log?: (line: string) => void } = {}): string {
  const log = options.log ?? console.log;
  const cpu = options.cpu ?? (process.env.PULLBACK_PORTABLE === "1" ? "baseline" : lastCpu());
  const zig = ensureZig(log);
  const args = [zig, "build", "-Doptimize=ReleaseFast", ...(cpu === "baseline" ? ["-Dcpu=baseline"] : [])];
  const r = Bun.spawnSync(args, { cwd: packageDir, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`building the kernel library failed (${args.slice(1).join(" ")}):\n${r.stderr.toString().trim()}`);
  }
  // zig build leaves an unchanged library untouched; mark it as built now so it is not stale.
  const now = new Date();
  utimesSync(libraryPath(), now, now);
  const tmp = `${stampPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ cpu, zig: pinnedZig }) + "\n");
  renameSync(tmp, stampPath);
  return libraryPath();
}

/** Returns the library path, rebuilding it first (one printed line) when missing or stale. */
export function ensureLibrary(log: (line: string) => void = (l) => console.error(l)): string {
  const reason = staleReason();
  if (reason) {
    log(`pullback: building the Zig kernel library (${reason})…`);
    buildLibrary({ log });
  }
  return libraryPath();
}
