// Runs the Zig unit tests (`zig build test`: the tests of every file listed in zig-kernels/src/root.zig) from `bun test`,
// so the repository's one test command covers native and TypeScript tests alike.
import { expect, test } from "bun:test";
import { ensureZig, packageDir } from "@pullback/kernels";

test("zig build test (every kernel file of zig-kernels/src/root.zig)", () => {
  const r = Bun.spawnSync([ensureZig(), "build", "test", "--summary", "all"], { cwd: packageDir, stdout: "pipe", stderr: "pipe" });
  const output = r.stderr.toString() + r.stdout.toString();
  const summary = output.match(/Build Summary:.*|\d+ passed.*|\d+\/\d+ tests passed/g) ?? [];
  console.log(`zig build test: ${summary.join("; ") || "(no summary)"}`);
  if (r.exitCode !== 0) console.error(output);
  expect(r.exitCode).toBe(0);
}, 600_000);
