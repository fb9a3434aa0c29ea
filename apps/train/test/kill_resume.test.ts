// kill -9 of a real `bun run train` at three seeded moments — between checkpoints, in the middle
// of writing a checkpoint (the atomic writer's test hook PULLBACK_TEST_PAUSE_WRITE stops it
// half-way through a file and announces it), and again after a resume — each followed by
// `--resume`. After every kill each checkpoint on disk loads (size, CRC-32, safetensors and
// JSON validation), and the run, resumed to the end, has exactly the uninterrupted run's losses.
// (signals.test.ts covers the catchable signals, SIGINT and SIGTERM; this is the uncatchable one.)
import { afterAll, expect, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { findSharedSample, writeSyntheticStories } from "@pullback/corpus";
import { startTrainer, tinyRunArgs } from "./fixtures/trainer_process.ts";
import { listCheckpoints, loadCheckpoint, loadCheckpointFile } from "../src/checkpoint.ts";
import { readMetrics } from "../src/metrics.ts";
import { FuzzRng } from "@pullback/tensor/fuzz";

const dir = mkdtempSync(join(tmpdir(), "pullback-kill-"));
const corpus = findSharedSample() ?? writeSyntheticStories(join(dir, "stories.txt"));
const env = { ...process.env, PULLBACK_THREADS: "2", PULLBACK_CORPUS_CACHE: join(dir, "cache") };
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const STEPS = 32;
const EVERY = 4;
const SEED = Number(process.env.PULLBACK_FUZZ_SEED ?? 2026);
const common = [...tinyRunArgs(corpus), "--keep", "3"];

/** Starts `bun run train ARGS` as the leader of a new process group (so SIGKILL reaches the trainer too). */
const start = (args: string[], extraEnv: Record<string, string> = {}) => startTrainer(args, { ...env, ...extraEnv }, children);

const trainLosses = (out: string) =>
  readMetrics(join(out, "metrics.jsonl"))
    .filter((m) => m.type === "train")
    .map((m) => m.loss as number);

async function until(what: string, ok: () => boolean, stderr: () => string): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (ok()) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}:\n${stderr()}`);
}

function stepsLogged(out: string): number {
  const file = join(out, "metrics.jsonl");
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.includes('"train"')).length
    : 0;
}

/** SIGKILL to the whole group; resolves when the trainer is gone. */
async function kill9(run: ReturnType<typeof start>): Promise<void> {
  process.kill(-run.child.pid!, "SIGKILL");
  const { signal } = await run.exit;
  expect(signal).toBe("SIGKILL");
  // `bun run` dies with the group; wait until no member of the group is left.
  await until(
    "the process group to end",
    () => {
      try {
        process.kill(-run.child.pid!, 0);
        return false;
      } catch {
        return true;
      }
    },
    run.stderr,
  );
}

/** Every complete checkpoint on disk loads; returns their steps. */
function allCheckpointsLoad(out: string): number[] {
  const list = listCheckpoints(join(out, "checkpoints"));
  for (const c of list) expect(loadCheckpointFile(c.json).meta.step).toBe(c.step);
  return list.map((c) => c.step);
}

test("kill -9 at three seeded moments (one mid-checkpoint-write), each resumed: no corrupt checkpoint, the uninterrupted losses", async () => {
  const rng = new FuzzRng(SEED);
  // The moments: a step between checkpoints; a checkpoint step (counted in checkpoints after the
  // one the resume starts from: the kill lands a few steps after it is asked for) and which of its
  // two files is cut half-way; a later step.
  const first = EVERY + 1 + rng.int(EVERY - 1); // 5..7: after the checkpoint of step 4
  const cutAfter = 1 + rng.int(2); // the 1st or 2nd checkpoint the resumed run writes
  const cutKind = rng.int(2) === 0 ? "safetensors" : "json";
  const thirdAfter = 2 + rng.int(EVERY); // steps past the interrupted checkpoint

  const out = join(dir, "run");
  // 1. Between checkpoints.
  let run = start([...common, "--steps", String(STEPS), "--checkpoint-every", String(EVERY), "--out", out]);
  await until(`step ${first}`, () => stepsLogged(out) >= first, run.stderr);
  await kill9(run);
  expect(allCheckpointsLoad(out)).toContain(EVERY);
  const resumedAt = loadCheckpoint(out).meta.step;
  const cut = resumedAt + EVERY * cutAfter;
  const cutFile = `step-${String(cut).padStart(6, "0")}.${cutKind}`;
  const third = cut + thirdAfter;
  expect(third).toBeLessThan(STEPS);
  console.log(`kill -9 moments (seed ${SEED}): after step ${first} (resumed at ${resumedAt}); writing ${cutFile}; after step ${third}`);

  // 2. Half-way through writing a checkpoint file: the writer announces the pause, then is killed.
  run = start(["--resume", out, "--steps", String(STEPS)], { PULLBACK_TEST_PAUSE_WRITE: cutFile });
  await until(`the write of ${cutFile} to pause`, () => run.stderr().includes("pullback-test: paused writing"), run.stderr);
  const tmp = /pullback-test: paused writing (.+)\n/.exec(run.stderr())![1];
  expect(basename(tmp)).toStartWith(`.${cutFile}.`);
  expect(existsSync(tmp) && statSync(tmp).size > 0).toBe(true); // a partial file really is on disk
  await kill9(run);
  const steps = allCheckpointsLoad(out);
  // The interrupted checkpoint is not complete (its JSON, the mark of completeness, is absent);
  // the newest complete one is the one before.
  expect(steps).not.toContain(cut);
  expect(loadCheckpoint(out).meta.step).toBe(cut - EVERY);
  expect(readdirSync(join(out, "checkpoints")).some((f) => f.endsWith(".tmp"))).toBe(true);

  // 3. After the resume has passed the interrupted checkpoint.
  run = start(["--resume", out, "--steps", String(STEPS)]);
  await until(`step ${third}`, () => stepsLogged(out) >= third, run.stderr);
  await kill9(run);
  expect(allCheckpointsLoad(out)).toContain(cut);

  // Resume to the end; then the uninterrupted run.
  run = start(["--resume", out, "--steps", String(STEPS)]);
  expect((await run.exit).code, run.stderr()).toBe(0);
  expect(allCheckpointsLoad(out).at(-1)).toBe(STEPS);
  // Temp files of the killed writes are cleaned up by later checkpoints.
  expect(readdirSync(join(out, "checkpoints")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  const ref = join(dir, "ref");
  run = start([...common, "--steps", String(STEPS), "--checkpoint-every", String(EVERY), "--out", ref]);
  expect((await run.exit).code, run.stderr()).toBe(0);
  const reference = trainLosses(ref);
  expect(reference.length).toBe(STEPS);
  expect(trainLosses(out)).toEqual(reference);
}, 300_000);
