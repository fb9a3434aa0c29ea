import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSafetensors, Rng, SafetensorsError, saveSafetensors, Tensor, writeFileAtomic } from "@pullback/tensor";
import { thrown } from "@pullback/tensor/testing";

const dir = mkdtempSync(join(tmpdir(), "pullback-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample() {
  return {
    "blocks.0.attn.wqkv": Tensor.randn([3, 5], { seed: 1 }),
    odd: Tensor.randn([7], { seed: 2 }),
    "grad.x": Tensor.randn([2, 1, 3], { seed: 3, dtype: "float64" }),
    tokens: { data: new Int32Array([1, -2, 3, 40000, 5, 6]), shape: [2, 3] },
    flat: new Int32Array([9, 8, 7]),
    empty: Tensor.zeros([0, 4]),
    scalar: Tensor.full([], 2.5),
  };
}

/** A valid header as bytes, and a writer that frames any header text with any data. */
function frame(header: string | Uint8Array, data: Uint8Array = new Uint8Array(), declared?: bigint): Uint8Array {
  const h = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectLoadError(bytes: Uint8Array, pattern: RegExp, name = "bad.safetensors"): void {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const err = thrown(() => loadSafetensors(path), SafetensorsError);
  expect(err.message).toContain(path);
  expect(err.message).toMatch(pattern);
}

describe("safetensors", () => {
  test("round trip: F32, F64, I32 (with and without shape), empty and 0-d tensors, metadata", () => {
    const path = join(dir, "round.safetensors");
    const src = sample();
    saveSafetensors(path, src, { step: "12", note: "ünïcode" });
    const { tensors, shapes, metadata } = loadSafetensors(path);
    expect(metadata).toEqual({ step: "12", note: "ünïcode" });
    expect(Object.keys(tensors)).toEqual(Object.keys(src));
    const w = tensors["blocks.0.attn.wqkv"] as Tensor;
    expect(w).toBeInstanceOf(Tensor);
    expect(w.dtype).toBe("float32");
    expect(w.shape).toEqual([3, 5]);
    expect(Array.from(w.data)).toEqual(Array.from(src["blocks.0.attn.wqkv"].data));
    const g = tensors["grad.x"] as Tensor;
    expect(g.dtype).toBe("float64");
    expect(Array.from(g.data)).toEqual(Array.from(src["grad.x"].data));
    expect(Array.from((tensors.odd as Tensor).data)).toEqual(Array.from(src.odd.data));
    expect(tensors.tokens).toBeInstanceOf(Int32Array);
    expect(Array.from(tensors.tokens as Int32Array)).toEqual([1, -2, 3, 40000, 5, 6]);
    expect(shapes.tokens).toEqual([2, 3]);
    expect(shapes.flat).toEqual([3]);
    expect((tensors.empty as Tensor).shape).toEqual([0, 4]);
    expect((tensors.scalar as Tensor).item()).toBe(2.5);
  });

  test("the header is padded so the data starts at a multiple of 8, and follows the spec layout", () => {
    const path = join(dir, "layout.safetensors");
    saveSafetensors(path, { a: Tensor.from([1, 2, 3]) });
    const bytes = readFileSync(path);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({ a: { dtype: "F32", shape: [3], data_offsets: [0, 12] } });
    expect(bytes.length).toBe(8 + n + 12);
    expect(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + n)))).toEqual([1, 2, 3]);
  });

  test("writes atomically: no temp file is left behind, and an overwrite replaces the whole file", () => {
    const sub = mkdtempSync(join(dir, "atomic-"));
    const path = join(sub, "x.safetensors");
    saveSafetensors(path, { a: Tensor.zeros([1000]) });
    saveSafetensors(path, { b: Tensor.ones([2]) });
    expect(readdirSync(sub)).toEqual(["x.safetensors"]);
    expect(Object.keys(loadSafetensors(path).tensors)).toEqual(["b"]);
    writeFileAtomic(join(sub, "t.txt"), "hello");
    expect(readFileSync(join(sub, "t.txt"), "utf8")).toBe("hello");
  });

  test("bad values to save give a clear Error", () => {
    const path = join(dir, "never.safetensors");
    expect(() => saveSafetensors(path, { x: [1, 2] as never })).toThrow(/"x" must be a Tensor, an Int32Array/);
    expect(() => saveSafetensors(path, { t: { data: new Int32Array(5), shape: [2, 3] } })).toThrow(/"t" has shape \(2, 3\)/);
    expect(() => saveSafetensors(path, { __metadata__: Tensor.zeros([1]) })).toThrow(/cannot be a tensor name/);
    expect(existsSync(path)).toBe(false);
  });

  test("each kind of corruption gives a SafetensorsError naming the file and the problem", () => {
    const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
    const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expectLoadError(new Uint8Array(3), /too short/);
    expectLoadError(frame(ok, f32, 1n << 40n), /implausible/);
    expectLoadError(frame(ok, f32, 0n), /header length is 0/);
    expectLoadError(frame(ok, f32, BigInt(ok.length + 100)), /runs past the end/);
    expectLoadError(frame("{not json", f32), /not valid JSON/);
    expectLoadError(frame(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), f32), /not valid UTF-8/);
    expectLoadError(frame("[1,2]", f32), /not a JSON object/);
    expectLoadError(frame('{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}', f32), /unsupported dtype "Q7"/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', f32), /shape \[-2\]/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', f32), /data_offsets \[0\] is not/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', f32), /end before they begin/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}', f32), /past the end of the data/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32), /needs 12 bytes/);
    expectLoadError(
      frame('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}', f32),
      /overlap/,
    );
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32), /hole/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32), /trailing bytes/);
    expectLoadError(frame('{"__metadata__":{"k":1}}'), /"__metadata__" entry "k" is not a string/);
    expectLoadError(frame('{"a":{"dtype":"F32","shape":[1e300,1e300],"data_offsets":[0,8]}}', f32), /shape/);
    const missing = join(dir, "does-not-exist.safetensors");
    expect(() => loadSafetensors(missing)).toThrow(SafetensorsError);
    expect(() => loadSafetensors(missing)).toThrow(/cannot open/);
  });

  test("fuzz: truncation at random points and random byte flips never crash; they load or throw SafetensorsError", () => {
    const path = join(dir, "fuzz-src.safetensors");
    saveSafetensors(path, sample(), { a: "b" });
    const good = new Uint8Array(readFileSync(path));
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    const rng = new Rng(7);
    const target = join(dir, "fuzz.safetensors");
    const tryLoad = (bytes: Uint8Array): "ok" | "error" => {
      writeFileSync(target, bytes);
      try {
        loadSafetensors(target);
        return "ok";
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${(e as Error)?.stack ?? e}`);
        expect(e.message).toContain(target);
        return "error";
      }
    };
    // Every truncation point of the file is an error (the data buffer must be covered exactly).
    for (let i = 0; i < 150; i++) {
      const cut = i < 20 ? i : rng.int(good.length);
      expect(tryLoad(good.subarray(0, cut))).toBe("error");
    }
    // An appended byte is an error too.
    expect(tryLoad(new Uint8Array([...good, 0]))).toBe("error");
    // Random bit flips in the length and the header: a clear error, or (rarely: a flip inside a
    // name or the metadata's value) a file that still loads.
    let errors = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = good.slice();
      const flips = 1 + rng.int(3);
      for (let f = 0; f < flips; f++) {
        const at = rng.int(8 + n);
        bytes[at] ^= 1 << rng.int(8);
      }
      if (tryLoad(bytes) === "error") errors++;
    }
    expect(errors).toBeGreaterThan(300);
    // Flips in the data region keep the file loadable (no checksum in the format).
    const bytes = good.slice();
    bytes[8 + n + 5] ^= 0xff;
    expect(tryLoad(bytes)).toBe("ok");
  });
});
