// `zig fmt --check` over the kernel package (src/, build.zig) with the pinned Zig, so `bun test`
// fails on unformatted Zig sources.
import { expect, test } from "bun:test";
import { ensureZig, packageDir } from "@pullback/kernels";

test("zig fmt --check zig-kernels (every Zig source is formatted)", () => {
  const r = Bun.spawnSync([ensureZig(), "fmt", "--check", "src", "build.zig"], { cwd: packageDir, stdout: "pipe", stderr: "pipe" });
  const unformatted = (r.stdout.toString() + r.stderr.toString()).trim();
  if (r.exitCode !== 0) console.error(`zig fmt: not formatted (run \`zig fmt zig-kernels\`):\n${unformatted}`);
  expect(unformatted).toBe("");
  expect(r.exitCode).toBe(0);
}, 60_000);
