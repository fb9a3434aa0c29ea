// `bun install` runs this (postinstall): makes the pinned Zig available and builds the
// kernel library. `bun run build:kernels [--portable]` runs it by hand.
//   --portable   build for a baseline x86-64 / aarch64 CPU instead of this machine's
//   --rebuild    build even when the library is up to date
import { buildLibrary, ensureZig, libraryPath, pinnedZig, staleReason } from "./library.ts";

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!["--portable", "--rebuild"].includes(a)) {
    console.error(`setup: unknown option ${a} (expected --portable, --rebuild)`);
    process.exit(2);
  }
}
try {
  const zig = ensureZig();
  const portable = args.has("--portable") || process.env.PULLBACK_PORTABLE === "1";
  if (args.has("--rebuild") || portable || staleReason()) {
    const t0 = performance.now();
    buildLibrary({ cpu: portable ? "baseline" : "native" });
    console.log(
      `pullback: built ${libraryPath()} with Zig ${pinnedZig} (${portable ? "baseline CPU" : "native CPU"}, ${((performance.now() - t0) / 1000).toFixed(1)} s) using ${zig}`,
    );
  } else {
    console.log(`pullback: kernel library up to date (${libraryPath()})`);
  }
} catch (e) {
  console.error(`pullback setup: ${(e as Error).message}`);
  process.exit(1);
}
