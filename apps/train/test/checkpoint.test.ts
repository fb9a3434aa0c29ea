import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, Tensor } from "@pullback/tensor";
import { thrown } from "@pullback/tensor/testing";
import { CheckpointError, listCheckpoints, loadCheckpoint, saveCheckpoint, type CheckpointInput } from "../src/checkpoint.ts";
import { presets } from "@pullback/gpt2";
import { unflattenLike, zerosLike } from "../src/params.ts";

const root = mkdtempSync(join(tmpdir(), "pullback-ckpt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshRun = () => join(root, `run-${n++}`);

function params(seed: number) {
  const rng = new Rng(seed);
  return { wte: Tensor.randn([5, 3], { rng }), blocks: [{ ln1: { w: Tensor.randn([3], { rng }) } }], head: { w: Tensor.randn([3, 5], { rng }) } };
}

function input(step: number, seed = step): CheckpointInput {
  const p = params(seed);
  const m = zerosLike(p),
    v = zerosLike(p);
  m.wte.data.fill(0.5);
  v.head.w.data.fill(0.25);
  return {
    step,
    config: presets.tiny,
    params: p,
    adam: { m, v, step },
    hyper: { lr: 2e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 },
    rng: new Rng(seed).state,
    data: { position: step * 64, epoch: 0 },
    vocabulary: "vocab.json",
    options: { batch: 4 },
    elapsed: step * 0.5,
  };
}

describe("checkpoints", () => {
  test("round trip: parameters, Adam moments, RNG and data state, config, optimizer", () => {
    const dir = join(freshRun(), "checkpoints");
    const c = input(100);
    const json = saveCheckpoint(dir, c);
    expect(json).toBe(join(dir, "step-000100.json"));
    const loaded = loadCheckpoint(dir);
    expect(loaded.meta.step).toBe(100);
    expect(loaded.meta.config).toEqual(presets.tiny);
    expect(loaded.meta.optimizer).toEqual({ name: "adam", lr: 2e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, step: 100 });
    expect(loaded.meta.rng).toEqual(new Rng(100).state);
    expect(loaded.meta.data).toEqual({ position: 6400, epoch: 0 });
    expect(loaded.meta.vocabulary).toBe("vocab.json");
    expect(loaded.meta.elapsed).toBe(50);
    const p = unflattenLike(params(0), loaded.params, "test");
    expect(Array.from(p.wte.data)).toEqual(Array.from((c.params as ReturnType<typeof params>).wte.data));
    expect(Array.from(p.blocks[0].ln1.w.data)).toEqual(Array.from((c.params as ReturnType<typeof params>).blocks[0].ln1.w.data));
    expect(Object.keys(loaded.params).sort()).toEqual(["blocks.0.ln1.w", "head.w", "wte"]);
    expect(loaded.m.wte.data.every((x) => x === 0.5)).toBe(true);
    expect(loaded.v["head.w"].data.every((x) => x === 0.25)).toBe(true);
    // The Rng continues the same sequence from the restored state.
    const a = new Rng(100),
      b = new Rng(loaded.meta.rng);
    expect([a.nextU32(), a.nextU32()]).toEqual([b.nextU32(), b.nextU32()]);
    // A run folder, a checkpoints folder and a .json all work.
    expect(loadCheckpoint(join(dir, "..")).meta.step).toBe(100);
    expect(loadCheckpoint(json).meta.step).toBe(100);
    expect(loadCheckpoint(join(dir, "step-000100.safetensors")).meta.step).toBe(100);
  });

  test("keep-last-N deletes the oldest; the newest complete one is picked", () => {
    const dir = join(freshRun(), "checkpoints");
    for (const step of [100, 200, 300, 400, 500]) saveCheckpoint(dir, input(step), 2);
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([400, 500]);
    expect(readdirSync(dir).sort()).toEqual(["step-000400.json", "step-000400.safetensors", "step-000500.json", "step-000500.safetensors"]);
    expect(loadCheckpoint(dir).meta.step).toBe(500);
  });

  test("an incomplete checkpoint (tensors written, JSON not yet) is ignored, then cleaned up", () => {
    const dir = join(freshRun(), "checkpoints");
    saveCheckpoint(dir, input(100), 3);
    saveCheckpoint(dir, input(200), 3);
    rmSync(join(dir, "step-000200.json")); // crash between the two writes
    writeFileSync(join(dir, ".step-000300.safetensors.123.0.tmp"), "partial");
    expect(loadCheckpoint(dir).meta.step).toBe(100);
    saveCheckpoint(dir, input(300), 3);
    expect(readdirSync(dir).sort()).toEqual(["step-000100.json", "step-000100.safetensors", "step-000300.json", "step-000300.safetensors"]);
  });

  test("truncated or corrupt files give a clear CheckpointError naming the file", () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      [
        "truncated tensors",
        (d) => truncateSync(join(d, "step-000200.safetensors"), 100),
        /step-000200\.safetensors is 100 bytes, expected \d+ \(truncated/,
      ],
      [
        "flipped tensor byte",
        (d) => {
          const p = join(d, "step-000200.safetensors");
          const b = readFileSync(p);
          b[b.length - 3] ^= 0x40;
          writeFileSync(p, b);
        },
        /step-000200\.safetensors is corrupt \(CRC-32 mismatch\)/,
      ],
      ["missing tensors", (d) => rmSync(join(d, "step-000200.safetensors")), /its tensor file .*step-000200\.safetensors is missing/],
      ["truncated JSON", (d) => truncateSync(join(d, "step-000200.json"), 40), /step-000200\.json: the checkpoint JSON is corrupt or truncated/],
      ["wrong format", (d) => writeFileSync(join(d, "step-000200.json"), '{"format":"other"}'), /not a valid pullback checkpoint: format is "other"/],
      [
        "bad rng",
        (d) => {
          const p = join(d, "step-000200.json");
          writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, "utf8")), rng: [1, 2] }));
        },
        /rng state is not four uint32 words/,
      ],
    ];
    for (const [what, corrupt, pattern] of cases) {
      const dir = join(freshRun(), "checkpoints");
      saveCheckpoint(dir, input(100), 5);
      saveCheckpoint(dir, input(200), 5);
      corrupt(dir);
      const err = thrown(() => loadCheckpoint(dir), CheckpointError, what);
      expect(err.message, what).toMatch(pattern);
      expect(err.message, what).toContain(`An older checkpoint exists: ${join(dir, "step-000100.json")} — use that one instead.`);
      expect(loadCheckpoint(join(dir, "step-000100.json")).meta.step).toBe(100);
    }
  });

  test("a corrupt safetensors body with a matching CRC is still caught by the safetensors validation", () => {
    const dir = join(freshRun(), "checkpoints");
    const json = saveCheckpoint(dir, input(100));
    const p = join(dir, "step-000100.safetensors");
    writeFileSync(p, Buffer.from("garbage!garbage!"));
    const meta = JSON.parse(readFileSync(json, "utf8"));
    meta.tensors.bytes = 16;
    meta.tensors.crc32 = Bun.hash.crc32(Buffer.from("garbage!garbage!"));
    writeFileSync(json, JSON.stringify(meta));
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint of step 100 .*header length .* is implausible/);
  });

  test("nothing to load: a clear error", () => {
    const dir = freshRun();
    expect(() => loadCheckpoint(dir)).toThrow(/no such file or folder/);
    saveCheckpoint(join(dir, "checkpoints"), input(1));
    rmSync(join(dir, "checkpoints", "step-000001.json"));
    expect(() => loadCheckpoint(dir)).toThrow(/no complete checkpoint/);
  });

  test("unflattenLike names missing tensors and shape mismatches", () => {
    const p = params(1);
    expect(() => unflattenLike(p, { wte: Tensor.zeros([5, 3]) }, "ckpt")).toThrow(/ckpt: tensor "blocks.0.ln1.w" is missing/);
    expect(() => unflattenLike(p, { wte: Tensor.zeros([3, 5]) }, "ckpt")).toThrow(/"wte" has shape \(3, 5\), the model expects \(5, 3\)/);
    expect(existsSync(root)).toBe(true);
  });
});
