// Gradient accumulation: a step's batch cut into micro-batches whose weighted gradients are summed
// gives the full batch's losses and weights (to float32 rounding) with the memory of one micro-batch.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "@pullback/tensor";
import { loadCheckpoint } from "../src/checkpoint.ts";
import { configFor, runTraining } from "../src/loop.ts";
import { presets } from "@pullback/gpt2";
import { parseTrainOptions, UsageError } from "../src/options.ts";
import { addScaled, flatGradients, partRows, partSeed, sliceBatch } from "../src/parallel.ts";
import { loadModel } from "../src/plug.ts";
import { syntheticData } from "./fixtures/bigram.ts";

const root = mkdtempSync(join(tmpdir(), "pullback-accumulate-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = { progress: { write: () => true, isTTY: false }, log: () => {} };

/** max |a − b| / max |b| over all elements (relative to the tensor's scale). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0,
    m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

describe("splitting a batch", () => {
  test("parts cover the rows in order, sizes differ by at most one, every part non-empty", () => {
    for (const [batch, parts] of [
      [64, 4],
      [7, 3],
      [5, 5],
      [65, 8],
      [1, 1],
      [129, 2],
    ]) {
      const rows = Array.from({ length: parts }, (_, k) => partRows(batch, parts, k));
      expect(rows[0][0]).toBe(0);
      expect(rows[parts - 1][1]).toBe(batch);
      for (let k = 1; k < parts; k++) expect(rows[k][0]).toBe(rows[k - 1][1]);
      const sizes = rows.map(([s, e]) => e - s);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(Math.floor(batch / parts));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.ceil(batch / parts));
    }
  });

  test("sliceBatch takes rows start…end−1 of tokens and targets", () => {
    const T = 3,
      b = { tokens: Int32Array.from({ length: 12 }, (_, i) => i), targets: Int32Array.from({ length: 12 }, (_, i) => 100 + i), batch: 4, context: T };
    const s = sliceBatch(b, 1, 3);
    expect(s.batch).toBe(2);
    expect(Array.from(s.tokens)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(Array.from(s.targets)).toEqual([103, 104, 105, 106, 107, 108]);
  });

  test("part 0 keeps the step's dropout seed; other parts get distinct seeds", () => {
    expect(partSeed(12345, 0)).toBe(12345);
    const seeds = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((k) => partSeed(12345, k)));
    expect(seeds.size).toBe(8);
    expect(partSeed(12346, 1)).not.toBe(partSeed(12345, 1));
  });

  test("flatGradients are views of one flat buffer; addScaled sums weighted trees", () => {
    const params = { a: Tensor.zeros([2, 3]), b: [Tensor.zeros([4])] };
    const g = flatGradients(params);
    expect(g.flat.length).toBe(10);
    const x = {
      a: Tensor.from([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      b: [Tensor.from([7, 8, 9, 10])],
    };
    g.flat.fill(99);
    addScaled(g.tree, x, 0.5, true);
    addScaled(g.tree, x, 0.25);
    expect(Array.from(g.flat)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => v * 0.75));
    expect(() => addScaled(g.tree, { a: x.a, c: x.b }, 1)).toThrow(/gradient "c.0" does not match "b.0"/);
    expect(() => flatGradients({ w: Tensor.zeros([2], "float64") })).toThrow(/parameter "w" is float64/);
  });

  test("--accumulate must be at least 1 and at most --batch", () => {
    expect(parseTrainOptions(["--batch", "8", "--accumulate", "8"]).accumulate).toBe(8);
    expect(() => parseTrainOptions(["--batch", "8", "--accumulate", "9"])).toThrow(UsageError);
    expect(() => parseTrainOptions(["--accumulate", "0"])).toThrow(/--accumulate must be at least 1/);
  });
});

describe("gradient accumulation on GPT-2 tiny (dropout off)", () => {
  const steps = 5;
  // Adam divides every gradient element by its own RMS, so an element whose exact gradient is zero
  // (the attention key bias: softmax ignores a shift of a whole row of scores) is rounding noise
  // that Adam makes a full step of either sign, in any two ways of computing the same sum. The
  // weights are compared with ε = 1e-3, which keeps such elements still; the losses with the default ε.
  const run = (name: string, batch: number, accumulate: number, eps = "1e-8") => {
    const opts = parseTrainOptions([
      "--preset",
      "tiny",
      "--batch",
      String(batch),
      "--accumulate",
      String(accumulate),
      "--steps",
      String(steps),
      "--lr",
      "3e-3",
      "--eps",
      eps,
      "--dropout",
      "0",
      "--clip",
      "1",
      "--sample-every",
      "0",
      "--eval-every",
      "0",
      "--checkpoint-every",
      "0",
      "--seed",
      "9",
    ]);
    const config = configFor(presets.tiny, opts);
    return loadModel(config).then((model) => {
      const dir = join(root, name);
      const r = runTraining(model, syntheticData(config.vocab, batch, config.context, 4), opts, dir, undefined, quiet);
      return { ...r, ckpt: loadCheckpoint(dir) };
    });
  };

  test("--batch 64 --accumulate 4: the losses and weights of --batch 64, the step memory of --batch 16", async () => {
    const full = await run("b64", 64, 1),
      acc = await run("b64a4", 64, 4),
      small = await run("b16", 16, 1);
    expect(acc.losses.length).toBe(steps);
    for (let i = 0; i < steps; i++) expect(Math.abs(acc.losses[i] - full.losses[i]) / full.losses[i]).toBeLessThan(1e-5);
    // The runs diverge: the data are not the same as those of --batch 16 (this test can fail).
    expect(Math.abs(small.losses[steps - 1] - full.losses[steps - 1])).toBeGreaterThan(1e-4);
    const [fullW, accW] = [await run("b64e", 64, 1, "1e-3"), await run("b64a4e", 64, 4, "1e-3")];
    for (const name of Object.keys(fullW.ckpt.params)) {
      expect({ name, close: relDiff(accW.ckpt.params[name].data, fullW.ckpt.params[name].data) < 1e-5 }).toEqual({ name, close: true });
    }
    // Peak memory of the step's tensors: that of one 16-sequence batch.
    expect(acc.poolBytes).toBe(small.poolBytes);
    expect(full.poolBytes).toBeGreaterThan(3 * small.poolBytes);
  }, 120_000);

  test("uneven micro-batches (--batch 10 --accumulate 3: 3, 3, 4 sequences) are weighted by their sizes", async () => {
    const full = await run("b10", 10, 1, "1e-3"),
      acc = await run("b10a3", 10, 3, "1e-3");
    for (let i = 0; i < steps; i++) expect(Math.abs(acc.losses[i] - full.losses[i]) / full.losses[i]).toBeLessThan(1e-5);
    const worst = Math.max(...Object.keys(full.ckpt.params).map((name) => relDiff(acc.ckpt.params[name].data, full.ckpt.params[name].data)));
    expect(worst).toBeLessThan(1e-5);
  }, 120_000);
});
