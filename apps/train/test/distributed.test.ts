// Data parallel training over MPI (Open MPI's mpirun; CI installs it, see .ci/run): 2 ranks give
// the losses of one process on the same global batch; rank 0 alone writes; a run resumes with
// another number of ranks; a killed rank ends the job loudly with the checkpoint intact; MPI
// asked for but missing is a clear error.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pullback/corpus";
import { listCheckpoints, loadCheckpoint } from "../src/checkpoint.ts";
import { readMetrics } from "../src/metrics.ts";
import { launchedByMpirun } from "../src/mpi.ts";
import { writeStories } from "./fixtures/stories.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-mpi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = writeStories(join(dir, "stories.txt"));
const cli = join(repoRoot(), "apps/train/src/cli.ts");

const mpirun = Bun.which("mpirun");
function needMpirun(): string {
  if (!mpirun) throw new Error("mpirun is not installed: apt-get install -y openmpi-bin libopenmpi-dev (.ci/run installs it when missing)");
  return mpirun;
}
// The ranks choose their threads (cores / ranks); containers may forbid the cross-memory attach
// that Open MPI's shared-memory transport uses by default.
const env: Record<string, string | undefined> = {
  ...process.env,
  PULLBACK_THREADS: undefined,
  PULLBACK_CORPUS_CACHE: join(dir, "cache"),
  OMPI_MCA_btl_vader_single_copy_mechanism: "none",
};
const mpiArgs = (ranks: number) => [needMpirun(), "--allow-run-as-root", "--oversubscribe", "-np", String(ranks)];

function run(cmd: string[], extraEnv: Record<string, string> = {}) {
  const r = Bun.spawnSync(cmd, { cwd: repoRoot(), stdout: "pipe", stderr: "pipe", env: { ...env, ...extraEnv } });
  return { status: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}
function ok(cmd: string[]) {
  const r = run(cmd);
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} exited ${r.status}:\n${r.err}\n${r.out}`);
  return r;
}
const common = [
  "--corpus",
  corpus,
  "--preset",
  "tiny",
  "--batch",
  "8",
  "--context",
  "16",
  "--lr",
  "3e-3",
  "--dropout",
  "0",
  "--sample-every",
  "0",
  "--eval-every",
  "3",
  "--eval-batches",
  "1",
  "--seed",
  "5",
];
const losses = (d: string) =>
  readMetrics(join(dir, d, "metrics.jsonl"))
    .filter((m) => m.type === "train")
    .map((m) => m.loss as number);
function expectClose(a: number[], b: number[]) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect({ step: i + 1, rel: Math.abs(a[i] - b[i]) / Math.abs(b[i]) < 1e-5 }).toEqual({ step: i + 1, rel: true });
}

describe("launch detection", () => {
  test("Open MPI's and PMI's variables give the rank, the size and the ranks per machine; none: not under mpirun", () => {
    expect(launchedByMpirun({})).toBeUndefined();
    expect(launchedByMpirun({ OMPI_COMM_WORLD_SIZE: "4", OMPI_COMM_WORLD_RANK: "3", OMPI_COMM_WORLD_LOCAL_SIZE: "2" })).toEqual({
      size: 4,
      rank: 3,
      localSize: 2,
    });
    expect(launchedByMpirun({ PMI_SIZE: "2", PMI_RANK: "1" })).toEqual({ size: 2, rank: 1, localSize: 2 });
    expect(launchedByMpirun({ PMI_SIZE: "2", PMI_RANK: "1", MPI_LOCALNRANKS: "1" })).toEqual({ size: 2, rank: 1, localSize: 1 });
  });

  test("--distributed outside mpirun is an error naming mpirun and what to install", () => {
    const r = run(["bun", cli, ...common, "--steps", "2", "--distributed", "--out", join(dir, "nompi")]);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/--distributed: this process was not started by mpirun/);
    expect(r.err).toMatch(/apt-get install -y openmpi-bin libopenmpi-dev/);
    expect(existsSync(join(dir, "nompi"))).toBe(false);
  });
});

describe("mpirun -np 2", () => {
  test("2 ranks give the losses of one process on the same global batch; rank 0 alone writes", () => {
    ok(["bun", cli, ...common, "--steps", "6", "--checkpoint-every", "3", "--out", join(dir, "one")]);
    const r = ok([...mpiArgs(2), "bun", cli, ...common, "--steps", "6", "--checkpoint-every", "3", "--out", join(dir, "two")]);
    expectClose(losses("two"), losses("one"));
    const threads = Math.max(1, Math.floor(availableParallelism() / 2));
    expect(r.err.split("\n")[0]).toMatch(new RegExp(`^2 ranks × ${threads} threads? \\(Open MPI`));
    // One writer: each line once, one metrics record per step, one set of checkpoints.
    expect(r.err.match(/^preset tiny/gm)?.length).toBe(1);
    expect(r.err.match(/^done: step 6/gm)?.length).toBe(1);
    const train = readMetrics(join(dir, "two", "metrics.jsonl")).filter((m) => m.type === "train");
    expect(train.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(train.every((m) => m.type === "train" && typeof m.allreduceMs === "number")).toBe(true);
    const evals = (d: string) =>
      readMetrics(join(dir, d, "metrics.jsonl"))
        .filter((m) => m.type === "eval")
        .map((m) => m.loss as number);
    expectClose(evals("two"), evals("one"));
    expect(listCheckpoints(join(dir, "two", "checkpoints")).map((c) => c.step)).toEqual([3, 6]);
  }, 120_000);

  test("--resume with another number of ranks: 2 ranks → 1 process, and 1 process → 2 ranks × --accumulate 2", () => {
    ok([...mpiArgs(2), "bun", cli, ...common, "--steps", "3", "--out", join(dir, "r21")]);
    ok(["bun", cli, "--resume", join(dir, "r21"), "--steps", "6", "--corpus", corpus]);
    expectClose(losses("r21"), losses("one"));
    ok(["bun", cli, ...common, "--steps", "3", "--out", join(dir, "r12")]);
    const r = ok([...mpiArgs(2), "bun", cli, "--resume", join(dir, "r12"), "--steps", "6", "--accumulate", "2", "--corpus", corpus]);
    expect(r.err).toMatch(/^2 ranks × .*2 micro-batches/m);
    expectClose(losses("r12"), losses("one"));
  }, 120_000);

  test("a killed rank ends the job: mpirun names the rank, no rank hangs, the last checkpoint loads", async () => {
    const out = join(dir, "killed");
    const job = Bun.spawn(
      [...mpiArgs(2), "bun", cli, ...common, "--steps", "1000000", "--eval-every", "0", "--checkpoint-every", "20", "--out", out],
      { cwd: repoRoot(), env, stdout: "pipe", stderr: "pipe" },
    );
    // Wait for a checkpoint, then find rank 1 among the processes of this job and kill it.
    const ckpts = join(out, "checkpoints");
    while (!(existsSync(ckpts) && readdirSync(ckpts).some((f) => f.endsWith(".json")))) {
      if (job.exitCode !== null) throw new Error(`the job ended early (${job.exitCode}): ${await new Response(job.stderr).text()}`);
      await Bun.sleep(100);
    }
    const rank1 = rankPid(job.pid, 1);
    expect(rank1).toBeGreaterThan(0);
    process.kill(rank1!, "SIGKILL");
    const status = await job.exited; // the test's timeout is the hang detector
    const err = await new Response(job.stderr).text();
    expect(status).not.toBe(0);
    expect(err).toMatch(/process rank 1 .*exited on signal 9/);
    const last = listCheckpoints(ckpts).at(-1)!;
    const loaded = loadCheckpoint(last.json); // checks the tensor file's size and CRC-32
    expect(loaded.meta.step).toBe(last.step);
    expect(JSON.parse(readFileSync(last.json, "utf8")).step).toBe(last.step);
  }, 120_000);

  test("under mpirun without a usable libmpi: an error naming the rank and what to install", () => {
    const r = run([...mpiArgs(1), "bun", cli, ...common, "--steps", "2", "--out", join(dir, "nolib")], {
      PULLBACK_MPI_LIB: join(dir, "no-such-libmpi.so"),
    });
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/started by mpirun \(rank 0 of 1\) but MPI cannot be used: cannot load libmpi/);
    expect(r.err).toMatch(/apt-get install -y openmpi-bin libopenmpi-dev/);
  }, 60_000);
});

/** The pid of the process of rank `rank` below `root` (by its OMPI_COMM_WORLD_RANK), from /proc. */
function rankPid(root: number, rank: number): number | undefined {
  const parent = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  for (const pid of parent.keys()) {
    if (!below(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return pid;
    } catch {}
  }
  return undefined;
}
