// Runs the pinned Zig with the given arguments in the repository root: `bun zig-kernels/scripts/zig.ts build test`.
import { ensureZig, repoRoot } from "./toolchain.ts";

const r = Bun.spawnSync([ensureZig(), ...process.argv.slice(2)], { cwd: repoRoot, stdout: "inherit", stderr: "inherit" });
process.exit(r.exitCode ?? 1);
