// Fuzzing the safetensors reader: 1,500 seeded mutations of real files (bit flips, truncations,
// header field edits, huge shapes and offsets, missing and duplicated tensors…). Every case must
// end in a SafetensorsError or in a load that is consistent with itself and with the file: every
// tensor's data holds exactly its shape's elements, and all the data loaded fits in the file
// (so no header can make the reader allocate more than the file holds).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSafetensors, SafetensorsError, saveSafetensors, sizeOf, Tensor } from "@pullback/tensor";
import { FuzzRng, mutateSafetensors, type MutationKind } from "../src/fuzz/safetensors_mutate.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-st-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = Number(process.env.PULLBACK_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.PULLBACK_FUZZ_SEED ?? 20261206);

/** Seed files: mixed dtypes and ranks, an empty tensor, a scalar, metadata. */
function seeds(): Uint8Array[] {
  const files: Parameters<typeof saveSafetensors>[1][] = [
    {
      a: Tensor.randn([3, 5], { seed: 1 }),
      b: Tensor.randn([7], { seed: 2, dtype: "float64" }),
      ids: { data: new Int32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
    },
    { empty: Tensor.zeros([0, 4]), scalar: Tensor.full([], 2.5), flat: new Int32Array([9, 8, 7]) },
    { "params.wte": Tensor.randn([4, 2], { seed: 3 }), "adam.m.wte": Tensor.zeros([4, 2]), "adam.v.wte": Tensor.zeros([4, 2]) },
  ];
  return files.map((tensors, i) => {
    const path = join(dir, `seed-${i}.safetensors`);
    saveSafetensors(path, tensors, i === 0 ? { format: "test", step: "3" } : undefined);
    return new Uint8Array(readFileSync(path));
  });
}

/** Why a successful load is inconsistent, or undefined. */
function inconsistency(file: ReturnType<typeof loadSafetensors>, fileBytes: number): string | undefined {
  let loaded = 0;
  for (const [name, t] of Object.entries(file.tensors)) {
    const shape = file.shapes[name];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `"${name}": bad shape ${JSON.stringify(shape)}`;
    const length = t instanceof Tensor ? t.data.length : t.length;
    if (sizeOf(shape) !== length) return `"${name}": shape ${JSON.stringify(shape)} but ${length} values`;
    if (t instanceof Tensor && JSON.stringify(t.shape) !== JSON.stringify(shape))
      return `"${name}": tensor shape ${JSON.stringify(t.shape)} vs ${JSON.stringify(shape)}`;
    loaded += t instanceof Tensor ? t.data.byteLength : t.byteLength;
  }
  if (loaded > fileBytes) return `loaded ${loaded} bytes from a ${fileBytes}-byte file`;
  return undefined;
}

test(`safetensors reader: ${CASES} mutated files end in SafetensorsError or a consistent load`, () => {
  const originals = seeds();
  const rng = new FuzzRng(SEED);
  const counts = { tried: 0, error: 0, loaded: 0 };
  const perKind = new Map<MutationKind, { error: number; loaded: number }>();
  const failures: string[] = [];
  const path = join(dir, "case.safetensors");
  for (let i = 0; i < CASES; i++) {
    const { kind, bytes } = mutateSafetensors(originals[i % originals.length], rng);
    writeFileSync(path, bytes);
    counts.tried++;
    const k = perKind.get(kind) ?? { error: 0, loaded: 0 };
    perKind.set(kind, k);
    try {
      const file = loadSafetensors(path);
      const bad = inconsistency(file, statSync(path).size);
      if (bad) failures.push(`case ${i} (${kind}): inconsistent load: ${bad}`);
      counts.loaded++;
      k.loaded++;
    } catch (e) {
      if (!(e instanceof SafetensorsError)) {
        failures.push(`case ${i} (${kind}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
        continue;
      }
      // The message names the file and says what is wrong, on one line.
      if (!e.message.startsWith(`${path}: `) || e.message.length <= path.length + 2 || e.message.includes("\n"))
        failures.push(`case ${i} (${kind}): unclear message ${JSON.stringify(e.message)}`);
      counts.error++;
      k.error++;
    }
  }
  console.log(
    `safetensors fuzz (seed ${SEED}): ${counts.tried} files, ${counts.error} SafetensorsError, ${counts.loaded} consistent loads, ${failures.length} failures`,
  );
  console.log(`  per mutation: ${[...perKind].map(([kind, c]) => `${kind} ${c.error}/${c.loaded}`).join(", ")} (errors/loads)`);
  expect(failures).toEqual([]);
  expect(counts.tried).toBe(CASES);
  // The mutations reach both outcomes (a fuzzer whose cases all fail the same way tests little).
  expect(counts.error).toBeGreaterThan(CASES / 2);
  expect(counts.loaded).toBeGreaterThan(0);
}, 120_000);

test("a tensor named twice in the header (JSON.parse would keep the last silently) is refused", () => {
  const path = join(dir, "twice.safetensors");
  const data = new Uint8Array(8);
  const entry = (end: number) => `{"dtype":"F32","shape":[${end / 4}],"data_offsets":[0,${end}]}`;
  // The key with escapes, to check the scanner reads strings whole; nested keys may repeat freely.
  const header = `{"__metadata__":{"a":"x","b":"x"},"w\\"x":${entry(0)},"w\\"x":${entry(8)}}`;
  const bytes = new Uint8Array(8 + header.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(new TextEncoder().encode(header), 8);
  writeFileSync(path, bytes);
  expect(() => loadSafetensors(path)).toThrow(SafetensorsError);
  expect(() => loadSafetensors(path)).toThrow(`tensor "w\\"x" is named twice in the header`);
  // The same file with distinct names loads.
  const ok = header.replace(`"w\\"x":${entry(0)}`, `"v":${entry(0)}`);
  const okBytes = new Uint8Array(8 + ok.length + data.length);
  new DataView(okBytes.buffer).setBigUint64(0, BigInt(ok.length), true);
  okBytes.set(new TextEncoder().encode(ok), 8);
  writeFileSync(path, okBytes);
  expect(Object.keys(loadSafetensors(path).tensors).sort()).toEqual(["v", 'w"x']);
});

test("a header claiming a 1e12-element tensor (or a header longer than the file) is refused before anything is allocated", () => {
  const path = join(dir, "huge.safetensors");
  const header = JSON.stringify({ w: { dtype: "F32", shape: [1e6, 1e6], data_offsets: [0, 4e12] } });
  const bytes = new Uint8Array(8 + header.length + 16);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(new TextEncoder().encode(header), 8);
  writeFileSync(path, bytes);
  expect(() => loadSafetensors(path)).toThrow(`go past the end of the data (16 bytes)`);
  // A declared header length of 2^63 - 1 in a 40-byte file.
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n - 1n, true);
  writeFileSync(path, bytes.subarray(0, 40));
  expect(() => loadSafetensors(path)).toThrow(/header length \d+ is implausible/);
  new DataView(bytes.buffer).setBigUint64(0, 99_000_000n, true);
  writeFileSync(path, bytes.subarray(0, 40));
  expect(() => loadSafetensors(path)).toThrow("runs past the end of the 40-byte file");
});
