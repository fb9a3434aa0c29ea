// Every bad input is one `error:` line and a non-zero exit, never a stack trace: sizes that cannot
// fit, checkpoint JSON fields of the wrong type or range, NaN weights, an empty prompt, --steps
// behind the checkpoint. And stale temp files of a killed run are removed on the next start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pullback/corpus";
import { initParams, presets } from "@pullback/gpt2";
import { Rng, Tensor } from "@pullback/tensor";
import { CheckpointError, loadCheckpoint, saveCheckpoint } from "../src/checkpoint.ts";
import { removeStaleTempFiles } from "../src/loop.ts";
import { checkModelMemory, checkTrainingMemory, MemoryError, parameterCount } from "../src/memory_limits.ts";
import { namedTensors, zerosLike } from "../src/params.ts";
import { writeStories } from "./fixtures/stories.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-bad-"));
const corpus = writeStories(join(dir, "stories.txt"), 120, 3);
const env = { ...process.env, PULLBACK_THREADS: "2", PULLBACK_CORPUS_CACHE: join(dir, "cache") };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bun(args: string[]) {
  const r = Bun.spawnSync(["bun", ...args], { cwd: repoRoot(), env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** Runs a command that must fail with one clear `error:` line matching `pattern`, and no stack trace. */
function fails(args: string[], pattern: RegExp, code = 1) {
  const r = bun(args);
  expect(r.code, r.err).toBe(code);
  expect(r.err).toMatch(/^error: /m);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.err).not.toMatch(/RangeError|TypeError|Bun v\d/);
  return r.err;
}

const run = join(dir, "run");
const common = ["--corpus", corpus, "--preset", "tiny", "--batch", "4", "--context", "16", "--eval-every", "0", "--sample-every", "0"];
beforeAll(() => {
  const r = bun(["apps/train/src/cli.ts", ...common, "--steps", "4", "--checkpoint-every", "2", "--out", run]);
  if (r.code !== 0) throw new Error(r.err);
});

/** A copy of the trained run whose newest checkpoint JSON was edited by `edit`. */
function editedRun(name: string, edit: (meta: any) => void): string {
  const copy = join(dir, name);
  cpSync(run, copy, { recursive: true });
  const json = join(copy, "checkpoints", "step-000004.json");
  const meta = JSON.parse(readFileSync(json, "utf8"));
  edit(meta);
  writeFileSync(json, JSON.stringify(meta));
  return json;
}

describe("command line", () => {
  test("--batch 1e9: the batch is larger than memory, with its size", () => {
    fails(
      ["apps/train/src/cli.ts", ...common, "--batch", "1e9", "--steps", "2", "--out", join(dir, "big")],
      /error: the batch's token ids \(1000000000 × 16 int32\) would be one array of 59\.6 GiB; the largest array Bun can allocate is 4\.0 GiB/,
    );
  }, 60_000);

  test("a checkpoint with context 1e9: its position embedding is too large, with its size", () => {
    const json = editedRun("ctx", (m) => (m.config.context = 1e9));
    fails(
      ["apps/train/src/cli.ts", "--resume", json, "--steps", "8"],
      /error: the position embedding wpe \(1000000000, 32\) would be one array of 119\.2 GiB/,
    );
    fails(["apps/train/src/sample.ts", "--checkpoint", json], /error: the position embedding wpe \(1000000000, 32\)/);
  }, 60_000);

  test("checkpoint fields of the wrong type or range name the field", () => {
    const cases: [string, (m: any) => void, RegExp][] = [
      ["heads0", (m) => (m.config.heads = 0), /config\.heads must be a positive integer, got 0/],
      ["widthabc", (m) => (m.config.width = "abc"), /config\.width must be a positive integer, got "abc"/],
      ["layers0", (m) => (m.config.layers = 0), /model config: layers must be a positive integer, got 0/],
      ["beta2", (m) => (m.optimizer.beta2 = 1.5), /optimizer\.beta2 must be a number in \[0, 1\), got 1\.5/],
      ["batchx", (m) => (m.options.batch = "x"), /saved options: --batch must be a number, got "x"/],
      ["elapsed", (m) => (m.elapsed = -3), /elapsed must be a number of seconds of at least 0, got -3/],
    ];
    for (const [name, edit, pattern] of cases) {
      const json = editedRun(name, edit);
      fails(["apps/train/src/cli.ts", "--resume", json, "--steps", "8"], pattern);
      fails(["apps/train/src/sample.ts", "--checkpoint", json], pattern);
    }
  }, 60_000);

  test("--resume with --steps at or behind the checkpoint's step is an error naming both", () => {
    fails(
      ["apps/train/src/cli.ts", "--resume", run, "--steps", "3"],
      /checkpoints\/step-000004\.json is at step 4, and --steps is 3: there is nothing left to train\. To continue, pass a larger --steps/,
      2,
    );
    fails(["apps/train/src/cli.ts", "--resume", run, "--steps", "4"], /is at step 4, and --steps is 4/, 2);
  }, 60_000);

  test('sample --prompt "" is an error', () => {
    fails(["apps/train/src/sample.ts", "--checkpoint", run, "--prompt", ""], /error: --prompt is empty/, 2);
  }, 60_000);

  test("NaN weights are refused on load, naming the tensor (train --resume and sample)", () => {
    const copy = join(dir, "nan");
    cpSync(run, copy, { recursive: true });
    const c = loadCheckpoint(copy);
    c.params["blocks.1.mlp.w2"].data[7] = NaN;
    const ckdir = join(copy, "checkpoints");
    rmSync(ckdir, { recursive: true });
    saveCheckpoint(ckdir, {
      step: 4,
      config: c.meta.config,
      params: c.params,
      adam: { m: c.m, v: c.v, step: 4 },
      hyper: c.meta.optimizer,
      rng: c.meta.rng,
      data: c.meta.data,
      vocabulary: c.meta.vocabulary,
      options: c.meta.options,
      elapsed: c.meta.elapsed,
    });
    const pattern = /tensor "params\.blocks\.1\.mlp\.w2" is not finite: NaN at flat index 7 of \(128, 32\)/;
    fails(["apps/train/src/sample.ts", "--checkpoint", copy], pattern);
    fails(["apps/train/src/cli.ts", "--resume", copy, "--steps", "8"], pattern);
  }, 60_000);

  test("stale temp files of a killed run are removed when the run starts again", () => {
    const ck = join(run, "checkpoints");
    // A pid that cannot be running: above the kernel's pid limit.
    const stale = [
      join(ck, ".step-000006.safetensors.99999999.0.tmp"),
      join(ck, ".step-000006.json.99999999.1.tmp"),
      join(run, ".loss.svg.99999999.2.tmp"),
    ];
    for (const f of stale) writeFileSync(f, "partial");
    const r = bun(["apps/train/src/cli.ts", "--resume", run, "--steps", "6"]);
    expect(r.code, r.err).toBe(0);
    for (const f of stale) expect(existsSync(f)).toBe(false);
    expect(loadCheckpoint(run).meta.step).toBe(6);
  }, 60_000);
});

describe("functions", () => {
  test("parameterCount matches the parameters initParams creates", () => {
    for (const config of [presets.tiny, presets.seed]) {
      const n = namedTensors(initParams(config, new Rng(0)) as any).reduce((s, [, t]) => s + t.size, 0);
      expect(parameterCount(config)).toBe(n);
    }
    expect(parameterCount(presets.gpt2)).toBe(163_037_184); // 124M + the untied head (768 × 50257)
  }, 60_000);

  test("checkTrainingMemory / checkModelMemory: what is too large and by how much", () => {
    expect(() => checkTrainingMemory(presets.seed, 64, 128)).not.toThrow();
    expect(() => checkTrainingMemory(presets.gpt2, 64, 1024)).toThrow(/the logits \(65536, 50257\) would be one array of 12\.3 GiB/);
    expect(() => checkTrainingMemory(presets.gpt2, 2, 1024, 1 << 30)).toThrow(
      /needs at least 2\.\d GiB .* more than this machine's 1\.0 GiB of memory/,
    );
    expect(() => checkModelMemory({ ...presets.tiny, width: 1_000_000, heads: 1 }, 1)).toThrow(MemoryError);
    expect(() => checkModelMemory(presets.gpt2, 4, 1 << 30)).toThrow(
      /163,037,184 parameters: 4 float32 copies take 2\.4 GiB, more than this machine's 1\.0 GiB/,
    );
  }, 60_000);

  test("removeStaleTempFiles keeps the temp files of a running process", () => {
    const d = mkdtempSync(join(dir, "tmp-"));
    const mine = `.x.json.${process.ppid}.0.tmp`,
      dead = ".x.json.99999999.0.tmp";
    writeFileSync(join(d, mine), "");
    writeFileSync(join(d, dead), "");
    writeFileSync(join(d, "keep.tmp"), "");
    expect(removeStaleTempFiles(d)).toEqual([dead]);
    expect(existsSync(join(d, mine))).toBe(true);
    expect(existsSync(join(d, "keep.tmp"))).toBe(true);
  }, 60_000);

  test("a NaN or Infinity in Adam moments is refused too", () => {
    const p = { w: Tensor.randn([3, 2], { seed: 1 }) };
    const m = zerosLike(p),
      v = zerosLike(p);
    v.w.data[4] = Infinity;
    const d = join(dir, "inf", "checkpoints");
    saveCheckpoint(d, {
      step: 1,
      config: presets.tiny,
      params: p,
      adam: { m, v, step: 1 },
      hyper: { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 },
      rng: new Rng(1).state,
      data: {},
      elapsed: 0,
    });
    expect(() => loadCheckpoint(d)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(d)).toThrow(/tensor "adam\.v\.w" is not finite: Infinity at flat index 4 of \(3, 2\)/);
  }, 60_000);
});
