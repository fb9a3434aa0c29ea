// Smoke test of the real thing: `bun run train` on the shared TinyStories sample (../shared/corpus)
// — or, in a clone with nothing beside it, on stories the corpus package generates —, GPT-2 `tiny`,
// 30 steps: the loss must fall clearly; then `bun run sample` on its checkpoint, and a resumed run
// that reproduces the uninterrupted losses.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findSharedSample, repoRoot, writeSyntheticStories } from "@pullback/corpus";
import { readMetrics } from "../src/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = findSharedSample() ?? writeSyntheticStories(join(dir, "stories.txt"));
console.log(`smoke: training on ${corpus}`);
const sample = () => corpus;

function run(args: string[]) {
  const r = Bun.spawnSync(["bun", ...args], { cwd: repoRoot(), stdout: "pipe", stderr: "pipe", env: { ...process.env, PULLBACK_THREADS: "2" } });
  const out = r.stdout.toString(),
    err = r.stderr.toString();
  if (r.exitCode !== 0) throw new Error(`bun ${args.join(" ")} exited ${r.exitCode}:\n${err}\n${out}`);
  return { out, err };
}

const common = ["--preset", "tiny", "--batch", "16", "--context", "16", "--lr", "3e-3", "--eval-every", "10", "--sample-every", "0", "--seed", "5"];

test("bun run train: 30 steps of tiny on the corpus lower the loss clearly", () => {
  run(["run", "train", "--corpus", sample(), "--steps", "30", "--checkpoint-every", "15", "--out", join(dir, "a"), ...common]);
  const train = readMetrics(join(dir, "a", "metrics.jsonl")).filter((m) => m.type === "train");
  expect(train.length).toBe(30);
  const first = train[0].loss as number;
  const last5 = train.slice(-5).reduce((s, m) => s + (m.loss as number), 0) / 5;
  console.log(`smoke: loss ${first.toFixed(3)} → ${last5.toFixed(3)} (mean of the last 5 steps)`);
  expect(first).toBeGreaterThan(4.5); // ≈ ln(128) at initialization
  expect(last5).toBeLessThan(first - 1.0);
}, 120_000);

test("bun run train --resume continues with the losses of the uninterrupted run", () => {
  run(["run", "train", "--corpus", sample(), "--steps", "15", "--out", join(dir, "b"), ...common]);
  run(["run", "train", "--resume", join(dir, "b"), "--steps", "30", "--corpus", sample()]);
  const losses = (d: string) =>
    readMetrics(join(dir, d, "metrics.jsonl"))
      .filter((m) => m.type === "train")
      .map((m) => m.loss);
  expect(losses("b")).toEqual(losses("a"));
}, 120_000);

test("bun run sample continues a prompt from the checkpoint (greedy, and sampled reproducibly from a seed)", () => {
  const greedy = run(["run", "sample", "--checkpoint", join(dir, "a"), "--prompt", "One day,", "--max-tokens", "12"]).out;
  expect(greedy.startsWith("One day,")).toBe(true);
  const sampled = (seed: string) =>
    run(["run", "sample", "--checkpoint", join(dir, "a"), "--prompt", "One day,", "--max-tokens", "12", "--temperature", "1", "--seed", seed]).out;
  const a = sampled("1");
  expect(a.startsWith("One day,")).toBe(true);
  expect(sampled("1")).toBe(a);
  const others = ["2", "3", "4"].map(sampled);
  expect(others.some((o) => o !== a)).toBe(true);
}, 60_000);

test("bun run apps/train [options] trains exactly like bun run train", () => {
  const opts = ["--corpus", sample(), "--steps", "4", ...common];
  run(["run", "apps/train", ...opts, "--out", join(dir, "c")]);
  run(["run", "train", ...opts, "--out", join(dir, "d")]);
  const losses = (d: string) =>
    readMetrics(join(dir, d, "metrics.jsonl"))
      .filter((m) => m.type === "train")
      .map((m) => m.loss);
  expect(losses("c").length).toBe(4);
  expect(losses("c")).toEqual(losses("d"));
}, 60_000);
