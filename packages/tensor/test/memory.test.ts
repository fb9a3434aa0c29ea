// Large buffers are GC-managed ArrayBuffers: a 1,000-iteration loop of matmul + softmax must not
// grow the resident set (it allocates 512 MiB in total; a leak would keep it).
import { expect, test } from "bun:test";
import { join } from "node:path";

test("1,000 iterations of matmul + softmax do not grow resident memory", () => {
  const r = Bun.spawnSync(["bun", join(import.meta.dir, "fixtures/memory_loop.ts"), "1000"], { stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  const { early, late, checksum } = JSON.parse(r.stdout.toString());
  const growthMB = (late - early) / 2 ** 20;
  console.log(
    `RSS after 100 iterations ${(early / 2 ** 20).toFixed(1)} MiB, after 1000 ${(late / 2 ** 20).toFixed(1)} MiB (growth ${growthMB.toFixed(1)} MiB)`,
  );
  expect(Number.isFinite(checksum)).toBe(true);
  expect(growthMB).toBeLessThan(32); // a leak of the loop's tensors would be ~460 MiB
}, 60_000);
