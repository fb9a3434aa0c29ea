// Fuzzing the checkpoint loader: 1,200 seeded mutations of a real checkpoint — its tensor file
// (bit flips, truncations, header edits, huge shapes and offsets, missing/duplicated tensors; with
// the JSON's size and CRC-32 either kept or updated to match, so the mutation also gets past the
// CRC), its JSON (fields deleted or given wrong types and ranges, tensor file names that point
// elsewhere, truncations, character edits) or the files' presence. Every case must end in a
// CheckpointError whose message names the file, or in a load whose tensors match their shapes.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, sizeOf, Tensor } from "@pullback/tensor";
import { CheckpointError, crc32File, loadCheckpoint, saveCheckpoint, type CheckpointInput } from "../src/checkpoint.ts";
import { presets } from "@pullback/gpt2";
import { zerosLike } from "../src/params.ts";
import { FuzzRng, mutateSafetensors } from "@pullback/tensor/fuzz";

const root = mkdtempSync(join(tmpdir(), "pullback-ckpt-fuzz-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CASES = Number(process.env.PULLBACK_FUZZ_CASES ?? 1200);
const SEED = Number(process.env.PULLBACK_FUZZ_SEED ?? 7);

function input(step: number): CheckpointInput {
  const rng = new Rng(step);
  const p = { wte: Tensor.randn([5, 3], { rng }), blocks: [{ ln1: { w: Tensor.randn([3], { rng }) } }], head: { w: Tensor.randn([3, 5], { rng }) } };
  return {
    step,
    config: presets.tiny,
    params: p,
    adam: { m: zerosLike(p), v: zerosLike(p), step },
    hyper: { lr: 2e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 },
    rng: new Rng(step).state,
    data: { position: step * 64, epoch: 0 },
    vocabulary: "vocab.json",
    options: { batch: 4, steps: 30 },
    elapsed: step * 0.5,
  };
}

const hostile = [null, -1, 0, 0.5, 1, 1e12, 2 ** 53, 1e300, "", "x", ".", "..", [], [1, 2], {}, true];
/** Every path to a value in a JSON tree, e.g. ["config", "heads"]. */
function paths(x: unknown, prefix: string[] = []): string[][] {
  if (x === null || typeof x !== "object") return [prefix];
  const out: string[][] = prefix.length > 0 ? [prefix] : [];
  for (const [k, v] of Object.entries(x)) out.push(...paths(v, [...prefix, k]));
  return out;
}

type Case = { kind: string; tensors: Uint8Array | null; json: string; syncCrc: boolean };

function mutate(tensors: Uint8Array, json: string, rng: FuzzRng): Case {
  const op = rng.int(10);
  if (op < 5) {
    // The tensor file; half the time the JSON's size and CRC are updated so the mutation reaches the reader.
    const m = mutateSafetensors(tensors, rng);
    return { kind: `tensors: ${m.kind}`, tensors: m.bytes, json, syncCrc: rng.int(2) === 0 };
  }
  if (op < 8) {
    const meta = JSON.parse(json);
    const all = paths(meta);
    const path = rng.pick(all);
    let parent = meta;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const last = path[path.length - 1];
    let kind: string;
    if (rng.int(4) === 0) {
      delete parent[last];
      kind = "json: field deleted";
    } else if (rng.int(6) === 0) {
      meta.tensors.file = rng.pick(["", ".", "..", "../x.safetensors", "step-000003.json", "nope.safetensors", "a/b.safetensors", "checkpoints"]);
      kind = "json: tensor file name";
    } else {
      parent[last] = rng.pick(hostile);
      kind = "json: field value";
    }
    return { kind, tensors, json: JSON.stringify(meta, null, 2), syncCrc: false };
  }
  if (op === 8) {
    const at = rng.int(json.length);
    const edited =
      rng.int(2) === 0 ? json.slice(0, at) : json.slice(0, at) + rng.pick(["{", "}", ",", '"', "0", "-", "\u0000"]) + json.slice(at + rng.int(3));
    return { kind: "json: text edit or truncation", tensors, json: edited, syncCrc: false };
  }
  return { kind: "tensor file missing", tensors: null, json, syncCrc: false };
}

test(`checkpoint loader: ${CASES} mutated checkpoints end in CheckpointError or a consistent load`, () => {
  const source = join(root, "source");
  const json = readFileSync(saveCheckpoint(source, input(3)), "utf8");
  const tensors = new Uint8Array(readFileSync(join(source, "step-000003.safetensors")));
  const rng = new FuzzRng(SEED);
  const counts = { tried: 0, error: 0, loaded: 0 };
  const perKind = new Map<string, { error: number; loaded: number }>();
  const failures: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const c = mutate(tensors, json, rng);
    const dir = join(root, `case-${i % 4}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tensorPath = join(dir, "step-000003.safetensors"),
      jsonPath = join(dir, "step-000003.json");
    let text = c.json;
    if (c.tensors) {
      writeFileSync(tensorPath, c.tensors);
      if (c.syncCrc) {
        const meta = JSON.parse(text);
        meta.tensors.bytes = statSync(tensorPath).size;
        meta.tensors.crc32 = crc32File(tensorPath);
        text = JSON.stringify(meta);
      }
    }
    writeFileSync(jsonPath, text);
    counts.tried++;
    const k = perKind.get(c.kind) ?? { error: 0, loaded: 0 };
    perKind.set(c.kind, k);
    try {
      const loaded = loadCheckpoint(dir);
      for (const group of [loaded.params, loaded.m, loaded.v]) {
        for (const [name, t] of Object.entries(group)) {
          if (!(t instanceof Tensor) || sizeOf(t.shape) !== t.data.length) failures.push(`case ${i} (${c.kind}): "${name}" is inconsistent`);
        }
      }
      if (!Number.isSafeInteger(loaded.meta.step)) failures.push(`case ${i} (${c.kind}): step ${loaded.meta.step}`);
      counts.loaded++;
      k.loaded++;
    } catch (e) {
      if (!(e instanceof CheckpointError)) {
        failures.push(`case ${i} (${c.kind}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
        continue;
      }
      if (!e.message.includes(dir)) failures.push(`case ${i} (${c.kind}): the message does not name the file: ${e.message}`);
      // The trainer prints it as one `error:` line.
      if (e.message.includes("\n")) failures.push(`case ${i} (${c.kind}): the message is not one line: ${JSON.stringify(e.message)}`);
      counts.error++;
      k.error++;
    }
  }
  console.log(
    `checkpoint fuzz (seed ${SEED}): ${counts.tried} checkpoints, ${counts.error} CheckpointError, ${counts.loaded} consistent loads, ${failures.length} failures`,
  );
  console.log(
    `  per mutation: ${[...perKind]
      .sort()
      .map(([kind, c]) => `${kind} ${c.error}/${c.loaded}`)
      .join(", ")} (errors/loads)`,
  );
  expect(failures).toEqual([]);
  expect(counts.error).toBeGreaterThan(CASES / 2);
  expect(counts.loaded).toBeGreaterThan(0);
}, 120_000);

test("a checkpoint whose tensor file name points at a folder or at the JSON itself is a CheckpointError", () => {
  const dir = join(root, "pointing");
  const jsonPath = saveCheckpoint(dir, input(4));
  const meta = JSON.parse(readFileSync(jsonPath, "utf8"));
  mkdirSync(join(dir, "folder.safetensors"));
  for (const file of ["", ".", "step-000004.json", "folder.safetensors"]) {
    // The size recorded is the target's own, so only the kind of file can tell.
    const bytes = file === "step-000004.json" ? meta.tensors.bytes : statSync(join(dir, file)).size;
    writeFileSync(jsonPath, JSON.stringify({ ...meta, tensors: { ...meta.tensors, file, bytes } }));
    expect(() => loadCheckpoint(jsonPath)).toThrow(CheckpointError);
  }
  expect(() => loadCheckpoint(jsonPath)).toThrow(/folder\.safetensors is not a file/);
});
