// The whole repository — `.ad.ts` files included (numbered markers keep them valid TypeScript) —
// type-checks with tsc (`bun run typecheck`) — including the type test of gradients,
// packages/ad/test/types/grad_types.ts (expected types, and expected compile errors).
import { expect, test } from "bun:test";
import { join } from "node:path";

test("tsc --noEmit passes on the repository", () => {
  const root = join(import.meta.dir, "../../..");
  const r = Bun.spawnSync(["bun", "run", "typecheck"], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const output = r.stdout.toString() + r.stderr.toString();
  const errors = output.split("\n").filter((l) => l.includes("error TS"));
  if (errors.length) console.error(errors.slice(0, 20).join("\n"));
  expect(errors).toEqual([]);
  expect(r.exitCode).toBe(0);
}, 120_000);
