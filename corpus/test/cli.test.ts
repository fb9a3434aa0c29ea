import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Progress } from "../src/progress.ts";
import { generateStories, serveFiles, tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());
const cli = join(import.meta.dir, "..", "src", "cli.ts");

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync(["bun", cli, ...args], { env: { ...process.env, PULLBACK_CORPUS_CACHE: join(dir.path, "cache"), ...env } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

test("progress: one updating line on a terminal (carriage returns), final line with a newline", () => {
  const out: string[] = [];
  const p = new Progress("file.txt", { stream: { write: (s: string) => out.push(s) }, tty: true, total: 1000 });
  p.set(10);
  p.done();
  const all = out.join("");
  expect(all.startsWith("\r\x1b[2K")).toBe(true);
  expect(all.endsWith("\n")).toBe(true);
  expect(all.split("\n").length).toBe(2);
  expect(all).toContain("1.0 kB");
  expect(all).toMatch(/\/s/);
  expect(p.line()).toMatch(/ETA|in \d/);
});

test("bun run corpus --corpus FILE prints stories, tokens and coverage; the second run is a cache hit", () => {
  const path = join(dir.path, "gen.txt");
  writeFileSync(path, generateStories(400, 2, "blank-lines").text);
  const a = run(["--corpus", path, "--vocab", "100"]);
  expect(a.code).toBe(0);
  expect(a.out).toMatch(/380 stories/); // 400 − 5 % held out
  expect(a.out).toMatch(/20 stories/);
  expect(a.out).toMatch(/coverage: [\d.]+% of training tokens/);
  expect(a.out).toContain("tokenized now");
  const b = run(["--corpus", path, "--vocab", "100"]);
  expect(b.out).toContain("cache: hit");
});

test("--help, bad options, and the offline message", () => {
  const h = run(["--help"]);
  expect(h.code).toBe(0);
  expect(h.out).toContain("--full");
  expect(h.out).toContain("--corpus FILE");
  const bad = run(["--nope"]);
  expect(bad.code).toBe(2);
  expect(run(["--cap", "abc"]).err).toContain("--cap expects a number");
  const s = serveFiles({});
  const url = s.url;
  s.server.stop(true);
  const off = run([], { PULLBACK_CORPUS_URL: url });
  expect(off.code).toBe(1);
  expect(off.err).toContain("--corpus FILE");
  expect(off.err.trim().split("\n").length).toBe(1);
});
