// Ctrl-C and SIGTERM on a real `bun run train` subprocess. The first signal abandons the step in
// progress and writes the checkpoint of the last completed step, prints the resume command and
// exits 128 + signal; resuming continues with the uninterrupted run's losses. A second signal
// quits at once. Signals go to the process group, as a terminal's Ctrl-C does (so the trainer
// gets each twice: from the terminal and forwarded by `bun run`), or to `bun run` alone.
import { afterAll, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pullback/corpus";
import { listCheckpoints, loadCheckpoint } from "../src/checkpoint.ts";
import { readMetrics } from "../src/metrics.ts";
import { startTrainer, tinyRunArgs } from "./fixtures/trainer_process.ts";
import { writeStories } from "./fixtures/stories.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-signals-"));
const corpus = writeStories(join(dir, "stories.txt"));
const env = { ...process.env, PULLBACK_THREADS: "2", PULLBACK_CORPUS_CACHE: join(dir, "cache") };
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const common = tinyRunArgs(corpus);

/** Starts `bun run train ARGS` as the leader of a new process group. */
const start = (args: string[], extraEnv: Record<string, string> = {}) => startTrainer(args, { ...env, ...extraEnv }, children);

const trainLosses = (out: string) =>
  readMetrics(join(out, "metrics.jsonl"))
    .filter((m) => m.type === "train")
    .map((m) => m.loss as number);

/** Waits until the run in `out` has logged `n` training steps. */
async function stepsLogged(out: string, n: number, stderr: () => string): Promise<void> {
  const file = join(out, "metrics.jsonl");
  for (let i = 0; i < 1200; i++) {
    if (
      existsSync(file) &&
      readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.includes('"train"')).length >= n
    )
      return;
    await Bun.sleep(50);
  }
  throw new Error(`the run in ${out} did not log ${n} steps in time:\n${stderr()}`);
}

function runSync(args: string[]) {
  const r = Bun.spawnSync(["bun", "run", "train", ...args], { cwd: repoRoot(), env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun run train ${args.join(" ")} exited ${r.exitCode}:\n${r.stderr.toString()}`);
  return r.stderr.toString();
}

test("Ctrl-C: stops, checkpoints the last completed step, prints the resume command; --resume continues with the uninterrupted losses", async () => {
  const out = join(dir, "int");
  const run = start([...common, "--steps", "100000", "--checkpoint-every", "0", "--out", out]);
  await stepsLogged(out, 8, run.stderr);
  const t0 = performance.now();
  process.kill(-run.child.pid!, "SIGINT"); // the whole group, as a terminal does
  const { code } = await run.exit;
  console.log(`SIGINT → exit in ${(performance.now() - t0).toFixed(0)} ms (tiny preset)`);
  const err = run.stderr();
  expect(code, err).toBe(130);
  expect(err).toMatch(/SIGINT: stopping at step \d+/);
  expect(err).toContain(`resume with: bun run train --resume ${out}\n`);
  expect(err).not.toContain("second stop signal");
  expect(err).not.toMatch(/^\s+at /m); // no stack trace
  const step = loadCheckpoint(out).meta.step;
  expect(err).toContain(`done: step ${step} (stopped by SIGINT)`);
  // Every completed step is logged once; an abandoned step is not.
  expect(trainLosses(out).length).toBe(step);

  runSync(["--resume", out, "--steps", String(step + 6)]);
  const ref = join(dir, "ref");
  runSync([...common, "--steps", String(step + 6), "--checkpoint-every", "0", "--out", ref]);
  const reference = trainLosses(ref);
  expect(reference.length).toBe(step + 6);
  expect(trainLosses(out)).toEqual(reference);
}, 180_000);

test("a second signal quits at once (exit 130); a repeat within 0.5 s is the same key press", async () => {
  // The trainer's handler in a child that keeps computing after the first signal (as while it
  // writes a large checkpoint), so the second one surely arrives while the first is handled.
  const child = spawn("bun", [join(import.meta.dir, "fixtures", "second_signal.ts")], { cwd: repoRoot(), stdio: ["ignore", "pipe", "pipe"], env });
  children.push(child);
  let stdout = "",
    stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const until = async (text: string, after = 0) => {
    for (let i = 0; i < 1200 && stdout.indexOf(text, after) < 0; i++) await Bun.sleep(25);
    expect(stdout.indexOf(text, after), `${text}\n${stdout}\n${stderr}`).toBeGreaterThanOrEqual(0);
  };
  await until("ready");
  process.kill(child.pid!, "SIGINT");
  await until("caught SIGINT");
  await Bun.sleep(100);
  process.kill(child.pid!, "SIGINT"); // within 0.5 s of the first: the same request
  const mark = stdout.length;
  await until("still running", mark);
  await until("still running", stdout.length); // another report: it kept running
  await Bun.sleep(600);
  const t0 = performance.now();
  process.kill(child.pid!, "SIGINT");
  expect(await exit).toBe(130);
  console.log(`second SIGINT → exit in ${(performance.now() - t0).toFixed(0)} ms`);
  expect(stderr).toContain("second stop signal: quitting at once");
}, 120_000);

test("bun run train: a second signal (SIGTERM after SIGINT) quits at once, without a checkpoint or a resume line", async () => {
  const out = join(dir, "twice");
  // Window 0, so the second delivery counts although it follows at once; two different signals,
  // so the kernel cannot merge them into one pending signal.
  const run = start([...common, "--steps", "100000", "--checkpoint-every", "0", "--out", out], { PULLBACK_SIGNAL_WINDOW_MS: "0" });
  await stepsLogged(out, 5, run.stderr);
  process.kill(-run.child.pid!, "SIGINT");
  process.kill(-run.child.pid!, "SIGTERM");
  const { code } = await run.exit;
  const err = run.stderr();
  // 128 + the signal that came second: SIGTERM, or a SIGINT that `bun run` forwarded and the
  // kernel delivered first (pending signals go lowest number first).
  expect([130, 143], err).toContain(code!);
  expect(err).toContain("second stop signal: quitting at once");
  expect(err).not.toContain("resume with");
  expect(listCheckpoints(join(out, "checkpoints"))).toEqual([]);
}, 120_000);

test("SIGTERM (to bun run alone) stops like the first Ctrl-C: checkpoint, resume command, exit 143", async () => {
  const out = join(dir, "term");
  const run = start([...common, "--steps", "100000", "--checkpoint-every", "0", "--out", out]);
  await stepsLogged(out, 5, run.stderr);
  process.kill(run.child.pid!, "SIGTERM"); // bun run forwards it to the trainer
  const { code } = await run.exit;
  const err = run.stderr();
  expect(code, err).toBe(143);
  expect(err).toMatch(/SIGTERM: stopping at step \d+/);
  expect(err).toContain(`resume with: bun run train --resume ${out}\n`);
  const step = loadCheckpoint(out).meta.step;
  expect(step).toBeGreaterThanOrEqual(5);
  expect(trainLosses(out).length).toBe(step);
}, 120_000);
