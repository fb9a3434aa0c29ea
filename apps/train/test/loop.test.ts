// The training loop end to end on a toy bigram model (test fixture; the real GPT-2 plugs into the
// same TrainableModel interface): resume reproduces an uninterrupted run exactly, non-finite
// gradients stop with a message naming the step, budgets and signals stop cleanly.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listCheckpoints, loadCheckpoint } from "../src/checkpoint.ts";
import { AnomalyError } from "@pullback/ad";
import { StopRequested } from "@pullback/tensor";
import { thrown } from "@pullback/tensor/testing";
import { NonFiniteError, runTraining } from "../src/loop.ts";
import { readMetrics } from "../src/metrics.ts";
import { parseTrainOptions } from "../src/options.ts";
import { bigramModel, syntheticData } from "./fixtures/bigram.ts";

const root = mkdtempSync(join(tmpdir(), "pullback-loop-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const V = 11,
  B = 4,
  T = 8;
const sink = { write: () => true, isTTY: false };
const quiet = { progress: sink, log: () => {} };
const options = (extra: string[] = []) =>
  parseTrainOptions([
    "--preset",
    "tiny",
    "--batch",
    String(B),
    "--context",
    String(T),
    "--lr",
    "0.05",
    "--steps",
    "30",
    "--checkpoint-every",
    "10",
    "--eval-every",
    "10",
    "--eval-batches",
    "2",
    "--sample-every",
    "15",
    "--sample-tokens",
    "4",
    "--seed",
    "3",
    "--schedule",
    "cosine",
    "--warmup",
    "3",
    "--clip",
    "0.5",
    "--weight-decay",
    "0.01",
    ...extra,
  ]);

describe("training loop", () => {
  test("trains (loss falls), writes metrics, chart, samples and checkpoints (keeping the last N)", () => {
    const dir = join(root, "full");
    const r = runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(["--keep", "2"]), dir, undefined, quiet);
    expect(r.step).toBe(30);
    expect(r.stoppedBy).toBe("steps");
    expect(r.losses.length).toBe(30);
    expect(r.losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(r.losses[0] - 0.3);
    const records = readMetrics(join(dir, "metrics.jsonl"));
    expect(records.filter((x) => x.type === "train").length).toBe(30);
    expect(records.filter((x) => x.type === "eval").map((x) => x.step)).toEqual([10, 20, 30]);
    expect(records.filter((x) => x.type === "sample").map((x) => x.step)).toEqual([15, 30]);
    expect(readFileSync(join(dir, "loss.svg"), "utf8")).toContain('<polyline class="valid"');
    expect(listCheckpoints(join(dir, "checkpoints")).map((c) => c.step)).toEqual([20, 30]);
    expect(r.checkpoint).toBe(join(dir, "checkpoints", "step-000030.json"));
  });

  test("resume: 12 steps, stop, resume to 30 → the same losses and weights as an uninterrupted run", () => {
    const full = runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(), join(root, "a"), undefined, quiet);
    const dir = join(root, "b");
    // First part: a signal after step 12 stops cleanly with a checkpoint at 12.
    let steps = 0;
    const first = runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(), dir, undefined, { ...quiet, shouldStop: () => ++steps >= 12 });
    expect(first.stoppedBy).toBe("signal");
    expect(first.step).toBe(12);
    // Second part: a fresh process would load the newest checkpoint and continue.
    const ckpt = loadCheckpoint(dir);
    expect(ckpt.meta.step).toBe(12);
    const second = runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(), dir, ckpt, quiet);
    expect(second.step).toBe(30);
    expect([...first.losses, ...second.losses]).toEqual(full.losses);
    const a = loadCheckpoint(join(root, "a")),
      b = loadCheckpoint(dir);
    expect(Array.from(b.params.emb.data)).toEqual(Array.from(a.params.emb.data));
    expect(Array.from(b.v["out.bias"].data)).toEqual(Array.from(a.v["out.bias"].data));
    // Metrics of the resumed run have each step once.
    const trainSteps = readMetrics(join(dir, "metrics.jsonl"))
      .filter((x) => x.type === "train")
      .map((x) => x.step);
    expect(trainSteps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  test("a stop signal mid-step abandons that step: the checkpoint is the last completed one, and resuming gives the uninterrupted losses", () => {
    const full = runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(), join(root, "sig-full"), undefined, quiet);
    const dir = join(root, "sig");
    const model = bigramModel(V);
    const lossAndGrads = model.lossAndGrads;
    let calls = 0;
    // What `stoppable` throws at the next kernel call once SIGINT arrived, here during step 13.
    model.lossAndGrads = (p, b, o) => {
      if (++calls === 13) throw new StopRequested("SIGINT");
      return lossAndGrads(p, b, o);
    };
    const first = runTraining(model, syntheticData(V, B, T, 3), options(), dir, undefined, quiet);
    expect(first.stoppedBy).toBe("signal");
    expect(first.signal).toBe("SIGINT");
    expect(first.step).toBe(12);
    expect(first.losses).toEqual(full.losses.slice(0, 12));
    const ckpt = loadCheckpoint(dir);
    expect(ckpt.meta.step).toBe(12);
    expect(first.checkpoint).toBe(ckpt.path);
    const second = runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(), dir, ckpt, quiet);
    expect([...first.losses, ...second.losses]).toEqual(full.losses);
    expect(Array.from(loadCheckpoint(dir).params.emb.data)).toEqual(Array.from(loadCheckpoint(join(root, "sig-full")).params.emb.data));
  });

  test("resume after a crash past the last checkpoint drops the lost steps' metrics", () => {
    const dir = join(root, "crash");
    let steps = 0;
    runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(["--checkpoint-every", "5"]), dir, undefined, {
      ...quiet,
      shouldStop: () => ++steps >= 10,
    });
    // Simulate a crash at step 13: metrics written for 11..13 but no checkpoint.
    const log = join(dir, "metrics.jsonl");
    const extra = [11, 12, 13]
      .map((s) => JSON.stringify({ type: "train", step: s, loss: 1, lr: 1, gradNorm: 1, ms: 1, tokensPerSecond: 1, time: 1 }) + "\n")
      .join("");
    require("node:fs").appendFileSync(log, extra);
    runTraining(bigramModel(V), syntheticData(V, B, T, 3), options(["--checkpoint-every", "5"]), dir, loadCheckpoint(dir), quiet);
    const trainSteps = readMetrics(log)
      .filter((x) => x.type === "train")
      .map((x) => x.step);
    expect(trainSteps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  test("a non-finite gradient stops training, naming the step and the tensor; the last good checkpoint stays", () => {
    const dir = join(root, "nan");
    const err = thrown(
      () => runTraining(bigramModel(V, { nanAtCall: 14 }), syntheticData(V, B, T, 3), options(), dir, undefined, quiet),
      NonFiniteError,
    );
    expect(err.step).toBe(14);
    expect(err.message).toMatch(/^step 14: the gradient of emb is not finite; training stopped \(last good checkpoint: .*step-000010\.json\)/);
    expect(listCheckpoints(join(dir, "checkpoints")).map((c) => c.step)).toEqual([10]);
  });

  test("--detect-anomaly: the model's AnomalyError stops training with the step, the op and its .ad.ts line", () => {
    const model = bigramModel(V);
    const lossAndGrads = model.lossAndGrads;
    let calls = 0;
    model.lossAndGrads = (p, b, o) => {
      expect(o.detectAnomaly).toBe(true);
      if (++calls === 12) throw new AnomalyError("linear", "forward", "model.ad.ts:61:23", "tensor (8, 16) has NaN at flat index 5");
      return lossAndGrads(p, b, o);
    };
    const err = thrown(
      () => runTraining(model, syntheticData(V, B, T, 3), options(["--detect-anomaly"]), join(root, "anomaly"), undefined, quiet),
      NonFiniteError,
    );
    expect(err.step).toBe(12);
    expect(err.message).toMatch(
      /^step 12: linear output is not finite: tensor \(8, 16\) has NaN at flat index 5 — called at model\.ad\.ts:61:23; training stopped \(last good checkpoint: .*step-000010\.json\)/,
    );
  });

  test("a time budget stops after the step that crosses it, with a checkpoint", () => {
    const dir = join(root, "time");
    const slow = bigramModel(V);
    const lossAndGrads = slow.lossAndGrads;
    slow.lossAndGrads = (p, b, o) => {
      Bun.sleepSync(30);
      return lossAndGrads(p, b, o);
    };
    const r = runTraining(slow, syntheticData(V, B, T, 3), { ...options(), time: 0.1 }, dir, undefined, quiet);
    expect(r.stoppedBy).toBe("time");
    expect(r.step).toBeGreaterThanOrEqual(1);
    expect(r.step).toBeLessThan(30);
    expect(loadCheckpoint(dir).meta.step).toBe(r.step);
    expect(existsSync(join(dir, "loss.svg"))).toBe(true);
  });
});
