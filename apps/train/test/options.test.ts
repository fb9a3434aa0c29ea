import { describe, expect, test } from "bun:test";
import { parseDuration, parseSampleOptions, parseTrainOptions, resumedTrainOptions, sampleHelp, trainHelp, UsageError } from "../src/options.ts";

describe("train options", () => {
  test("defaults reproduce proc-macro-gpt's run", () => {
    const o = parseTrainOptions([]);
    expect(o).toMatchObject({
      preset: "seed",
      batch: 64,
      context: 128,
      lr: 2e-3,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      dropout: 0.2,
      seed: 12345,
      prompt: "One day,",
      sampleEvery: 50,
      checkpointEvery: 100,
      steps: 2000,
      weightDecay: 0,
      warmup: 0,
      schedule: "constant",
      clip: 0,
      time: 0,
      detectAnomaly: false,
      help: false,
      precision: "fp32",
    });
    expect(o.out).toBeUndefined();
    expect(parseTrainOptions(["--precision", "bf16"]).precision).toBe("bf16");
    expect(o.resume).toBeUndefined();
  });

  test("every option parses, as `--name value` and `--name=value`", () => {
    const o = parseTrainOptions([
      "--preset",
      "tiny",
      "--steps=30",
      "--time",
      "1h30m",
      "--batch",
      "8",
      "--context",
      "12",
      "--lr",
      "1e-3",
      "--beta1",
      "0.8",
      "--beta2=0.99",
      "--eps",
      "1e-6",
      "--weight-decay",
      "0.1",
      "--warmup",
      "5",
      "--schedule",
      "cosine",
      "--min-lr",
      "1e-4",
      "--clip",
      "1",
      "--dropout",
      "0.1",
      "--seed",
      "7",
      "--prompt",
      "Once upon a time",
      "--sample-every",
      "0",
      "--sample-tokens",
      "9",
      "--checkpoint-every",
      "10",
      "--keep",
      "2",
      "--eval-every",
      "5",
      "--eval-batches",
      "3",
      "--threads",
      "2",
      "--out",
      "runs/x",
      "--corpus",
      "a.txt",
      "--valid",
      "b.txt",
      "--detect-anomaly",
    ]);
    expect(o).toMatchObject({
      preset: "tiny",
      steps: 30,
      time: 5400,
      batch: 8,
      context: 12,
      lr: 1e-3,
      beta1: 0.8,
      beta2: 0.99,
      eps: 1e-6,
      weightDecay: 0.1,
      warmup: 5,
      schedule: "cosine",
      minLr: 1e-4,
      clip: 1,
      dropout: 0.1,
      seed: 7,
      prompt: "Once upon a time",
      sampleEvery: 0,
      sampleTokens: 9,
      checkpointEvery: 10,
      keep: 2,
      evalEvery: 5,
      evalBatches: 3,
      threads: 2,
      out: "runs/x",
      corpus: "a.txt",
      valid: "b.txt",
      detectAnomaly: true,
    });
  });

  test("the preset sets context and dropout defaults", () => {
    expect(parseTrainOptions(["--preset", "tiny"])).toMatchObject({ context: 16, dropout: 0 });
    expect(parseTrainOptions(["--preset", "gpt2"])).toMatchObject({ context: 1024, dropout: 0.1 });
  });

  test("durations", () => {
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("10m")).toBe(600);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseDuration("1.5h")).toBe(5400);
    expect(parseDuration("45")).toBe(45);
    for (const bad of ["", "10x", "m", "1h30", "-5s"]) expect(() => parseDuration(bad)).toThrow(UsageError);
  });

  const bad: [string[], RegExp][] = [
    [["--bogus"], /unknown option "--bogus"/],
    [["--stpes", "3"], /unknown option "--stpes" \(did you mean --steps\?\)/],
    [["stray"], /unexpected argument "stray"/],
    [["--steps"], /--steps needs a value/],
    [["--steps", "1.5"], /--steps needs an integer, got "1.5"/],
    [["--steps", "0"], /--steps must be at least 1/],
    [["--lr", "abc"], /--lr needs a number, got "abc"/],
    [["--lr", "0"], /--lr must be greater than 0/],
    [["--beta2", "1"], /--beta2 must be less than 1/],
    [["--preset", "huge"], /--preset must be one of seed, tiny, gpt2, got "huge"/],
    [["--schedule", "linear"], /--schedule must be one of constant, cosine/],
    [["--precision", "fp16"], /--precision must be one of fp32, bf16/],
    [["--time", "soon"], /cannot read "soon" as a duration/],
    [["--context", "129"], /--context 129 exceeds the seed preset's context of 128/],
    [["--schedule", "cosine", "--lr", "1e-3", "--min-lr", "1e-2"], /--min-lr 0.01 is above --lr 0.001/],
    [["--min-lr", "1e-4"], /--min-lr only applies with --schedule cosine/],
    [["--warmup", "50", "--steps", "10"], /--warmup 50 is longer than --steps 10/],
    [["--detect-anomaly=maybe"], /takes no value/],
    [["--resume", "runs/x", "--preset", "tiny"], /--preset cannot change when resuming/],
    [["--dropout", "1"], /--dropout must be less than 1/],
    [["--seed", "-1"], /--seed must be at least 0/],
  ];
  for (const [argv, pattern] of bad) {
    test(`error: ${argv.join(" ")}`, () => {
      expect(() => parseTrainOptions(argv)).toThrow(UsageError);
      expect(() => parseTrainOptions(argv)).toThrow(pattern);
    });
  }

  test("--help text lists every option with its default", () => {
    expect(parseTrainOptions(["--help"]).help).toBe(true);
    expect(parseTrainOptions(["-h"]).help).toBe(true);
    const help = trainHelp();
    for (const name of [
      "--preset",
      "--weight-decay",
      "--warmup",
      "--schedule",
      "--min-lr",
      "--clip",
      "--eval-every",
      "--eval-batches",
      "--steps",
      "--time",
      "--batch",
      "--context",
      "--threads",
      "--out",
      "--resume",
      "--keep",
      "--corpus",
      "--valid",
      "--detect-anomaly",
      "--sample-every",
      "--checkpoint-every",
      "--prompt",
    ]) {
      expect(help).toContain(`  ${name}`);
    }
    expect(help).toContain("(default: 2e-3)");
    expect(help).toContain('(default: "One day,")');
  });

  test("the CLI exits 2 with a clear message on a bad option, 0 on --help", () => {
    const cli = `${import.meta.dir}/../src/cli.ts`;
    const bad = Bun.spawnSync(["bun", cli, "--steps", "zero"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain('error: --steps needs an integer, got "zero"');
    const help = Bun.spawnSync(["bun", cli, "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("Usage: bun run train");
  });
});

describe("sample options", () => {
  test("defaults: greedy, 100 tokens, and --checkpoint is required", () => {
    expect(parseSampleOptions(["--checkpoint", "runs/x"])).toMatchObject({
      checkpoint: "runs/x",
      prompt: "One day,",
      maxTokens: 100,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 0,
    });
    expect(() => parseSampleOptions([])).toThrow(/--checkpoint PATH is required/);
    expect(parseSampleOptions(["--help"]).help).toBe(true);
    expect(sampleHelp()).toContain("--top-p");
  });

  test("sampling options and their errors", () => {
    expect(
      parseSampleOptions(["--checkpoint", "c", "--temperature", "0.8", "--top-k", "40", "--top-p", "0.9", "--seed", "3", "--max-tokens", "5"]),
    ).toMatchObject({
      temperature: 0.8,
      topK: 40,
      topP: 0.9,
      seed: 3,
      maxTokens: 5,
    });
    expect(() => parseSampleOptions(["--checkpoint", "c", "--top-k", "5"])).toThrow(/need a --temperature above 0/);
    expect(parseSampleOptions(["--checkpoint", "c"]).precision).toBe("fp32");
    expect(parseSampleOptions(["--checkpoint", "c", "--precision", "bf16"]).precision).toBe("bf16");
    expect(() => parseSampleOptions(["--checkpoint", "c", "--precision", "int8"])).toThrow(/--precision must be one of fp32, bf16/);
    expect(() => parseSampleOptions(["--checkpoint", "c", "--temperature", "1", "--top-p", "0"])).toThrow(/--top-p must be greater than 0/);
    expect(() => parseSampleOptions(["--checkpoint", "c", "--temperature", "1", "--top-p", "1.5"])).toThrow(/--top-p must be at most 1/);
  });
});

describe("resumed train options", () => {
  const saved = parseTrainOptions(["--preset", "gpt2", "--schedule", "cosine", "--steps", "5000", "--batch", "4", "--context", "256"]);
  test("the saved run's options hold unless given again; checks use the merged options", () => {
    const argv = ["--resume", "runs/x", "--min-lr", "1e-4", "--warmup", "3000", "--context", "512"];
    const opts = resumedTrainOptions(saved, argv);
    expect(parseTrainOptions(argv).resume).toBe("runs/x"); // no cross-option checks before the checkpoint is read
    expect(opts).toMatchObject({
      preset: "gpt2",
      schedule: "cosine",
      steps: 5000,
      batch: 4,
      context: 512,
      minLr: 1e-4,
      warmup: 3000,
      resume: "runs/x",
    });
  });
  test("overrides that do not fit the saved run are refused", () => {
    expect(() => resumedTrainOptions(saved, ["--resume", "x", "--warmup", "6000"])).toThrow(/--warmup 6000 is longer than --steps 5000/);
    expect(() => resumedTrainOptions(saved, ["--resume", "x", "--context", "2048"])).toThrow(
      /--context 2048 exceeds the gpt2 preset's context of 1024/,
    );
    expect(() => resumedTrainOptions({ ...saved, schedule: "constant" }, ["--resume", "x", "--min-lr", "1e-4"])).toThrow(
      /--min-lr only applies with --schedule cosine/,
    );
  });
});
