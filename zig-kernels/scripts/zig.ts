// Runs the pinned Zig with the given arguments in the kernel package folder (zig-kernels/): `bun zig-kernels/scripts/zig.ts build test`.
import { ensureZig, packageDir } from "./toolchain.ts";

const r = Bun.spawnSync([ensureZig(), ...process.argv.slice(2)], { cwd: packageDir, stdout: "inherit", stderr: "inherit" });
process.exit(r.exitCode ?? 1);
