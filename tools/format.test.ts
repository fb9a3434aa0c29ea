// `bun run format:check` (Biome, configured in biome.json) over the repository's TypeScript, so
// `bun test` fails on an unformatted source; `bun run format` rewrites them. The Zig sources are
// checked by zig-kernels/test/fmt.test.ts.
import { expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..");

test("biome format: every TypeScript source is formatted (bun run format rewrites them)", () => {
  const r = Bun.spawnSync([join(root, "node_modules/.bin/biome"), "format", "--reporter=summary", "."], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = r.stdout.toString() + r.stderr.toString();
  const unformatted = output
    .split("\n")
    .filter((line) => /^\s+- \S+\.ts$/.test(line))
    .map((line) => line.trim().slice(2));
  if (r.exitCode !== 0) console.error(`not formatted (run \`bun run format\`): ${unformatted.length} files\n${unformatted.join("\n") || output}`);
  expect(unformatted).toEqual([]);
  expect(r.exitCode).toBe(0);
}, 60_000);
