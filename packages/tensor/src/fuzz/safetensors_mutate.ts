// Seeded mutations for fuzz tests (`@pullback/tensor/fuzz`): FuzzRng, the seeded stream every fuzz
// test draws from (the .ad.ts loader's too), and mutations of safetensors files for the tests of the
// reader (packages/tensor/test/safetensors_fuzz.test.ts) and of the trainer's checkpoint loader
// (apps/train/test/checkpoint_fuzz.test.ts). Every mutation is a
// pure function of (bytes, random stream), so a failing case is reproduced from its seed.

/** mulberry32: a small seeded stream of uint32s, independent of the library under test. */
export class FuzzRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/** The parts of a well-formed safetensors file. */
export function splitSafetensors(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return { header, data: bytes.slice(8 + n) };
}

/** Frames header text and data (the declared length is the header's unless given). */
export function frameSafetensors(header: string, data: Uint8Array, declared?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Values that a mutated header field takes: wrong types, negatives, fractions, huge numbers. */
const hostileNumbers = [-1, 0, 1, 2, 3, 7, 0.5, 1e12, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -1e12, Number.MAX_SAFE_INTEGER];
function hostileValue(rng: FuzzRng): unknown {
  switch (rng.int(8)) {
    case 0:
      return rng.pick(hostileNumbers);
    case 1:
      return null;
    case 2:
      return rng.pick(["", "F32", "F64", "I32", "BF16", "F16", "U8", "I64", "__proto__", "constructor"]);
    case 3:
      return [];
    case 4:
      return [rng.pick(hostileNumbers)];
    case 5:
      return [rng.pick(hostileNumbers), rng.pick(hostileNumbers)];
    case 6:
      return {};
    default:
      return true;
  }
}

export const mutationKinds = [
  "bit flips",
  "truncation",
  "dtype",
  "shape",
  "offsets",
  "huge shape",
  "huge offsets",
  "missing tensor",
  "duplicated tensor",
  "extra tensor",
  "entry replaced",
  "metadata",
  "header length",
  "raw header text",
  "appended bytes",
] as const;
export type MutationKind = (typeof mutationKinds)[number];

/** One mutation of a well-formed safetensors file. */
export function mutateSafetensors(bytes: Uint8Array, rng: FuzzRng): { kind: MutationKind; bytes: Uint8Array } {
  const kind = rng.pick(mutationKinds);
  const { header, data } = splitSafetensors(bytes);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const name = names.length > 0 ? rng.pick(names) : "x";
  const entry = () => (header[name] ?? {}) as Record<string, unknown>;
  const reframe = () => frameSafetensors(JSON.stringify(header), data);
  switch (kind) {
    case "bit flips": {
      const out = bytes.slice();
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips; i++) {
        // Half of the flips hit the first 8 + 64 bytes (length and the header's start), where they matter most.
        const at = rng.int(2) === 0 ? rng.int(Math.min(out.length, 72)) : rng.int(out.length);
        out[at] ^= 1 << rng.int(8);
      }
      return { kind, bytes: out };
    }
    case "truncation":
      return { kind, bytes: bytes.slice(0, rng.int(bytes.length)) };
    case "dtype":
      entry().dtype = rng.pick(["F32", "F64", "I32", "BF16", "F16", "U8", "I64", "f32", "", 4, null, ["F32"]]);
      return { kind, bytes: reframe() };
    case "shape": {
      const shape = Array.isArray(entry().shape) ? [...(entry().shape as unknown[])] : [];
      const op = rng.int(5);
      if (op === 0) shape.push(rng.pick([0, 1, 2, 3]));
      else if (op === 1) shape.pop();
      else if (op === 2 && shape.length > 0) shape[rng.int(shape.length)] = hostileValue(rng);
      else if (op === 3) shape.reverse();
      else entry().shape = hostileValue(rng);
      if (op !== 4) entry().shape = shape;
      return { kind, bytes: reframe() };
    }
    case "offsets": {
      const o = Array.isArray(entry().data_offsets) ? [...(entry().data_offsets as number[])] : [0, 0];
      const op = rng.int(5);
      if (op === 0) o.reverse();
      else if (op === 1) o[rng.int(2)] += rng.pick([-8, -4, -1, 1, 4, 8]);
      else if (op === 2) o.push(rng.pick(hostileNumbers));
      else if (op === 3) o[rng.int(2)] = rng.pick(hostileNumbers);
      entry().data_offsets = op === 4 ? hostileValue(rng) : o;
      return { kind, bytes: reframe() };
    }
    case "huge shape": {
      // Shapes whose element count is far beyond the file (and beyond memory), with offsets to match.
      const dims = rng.pick([[1e12], [1e6, 1e6], [2 ** 31, 2 ** 31], [65536, 65536, 65536], [2 ** 53], [1e300]]);
      entry().shape = dims;
      if (rng.int(2) === 0) entry().data_offsets = [0, dims.reduce((a, b) => a * b, 1) * 4];
      return { kind, bytes: reframe() };
    }
    case "huge offsets": {
      const big = rng.pick([1e12, 2 ** 53 - 1, 2 ** 53, 2 ** 64, 1e300, 2 ** 32 + 8]);
      entry().data_offsets = rng.int(2) === 0 ? [big, big + 16] : [0, big];
      return { kind, bytes: reframe() };
    }
    case "missing tensor":
      delete header[name];
      return { kind, bytes: reframe() };
    case "duplicated tensor": {
      // Same entry under a second name (overlapping bytes), or the key written twice in the JSON text.
      if (rng.int(2) === 0) {
        header[`${name}.copy`] = structuredClone(entry());
        return { kind, bytes: reframe() };
      }
      const text = JSON.stringify(header);
      const dup = `${JSON.stringify(name)}:${JSON.stringify({ ...entry(), data_offsets: [0, 0], shape: [0] })},`;
      return { kind, bytes: frameSafetensors(`{${dup}${text.slice(1)}`, data) };
    }
    case "extra tensor":
      header[`extra${rng.int(100)}`] = {
        dtype: rng.pick(["F32", "I32", "F64"]),
        shape: [rng.int(4)],
        data_offsets: [data.length, data.length + rng.pick([0, 4, 8, 12])],
      };
      return { kind, bytes: reframe() };
    case "entry replaced":
      header[name] = hostileValue(rng);
      return { kind, bytes: reframe() };
    case "metadata":
      header.__metadata__ = rng.int(2) === 0 ? hostileValue(rng) : { format: hostileValue(rng) };
      return { kind, bytes: reframe() };
    case "header length": {
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true))));
      const declared = rng.pick([
        0n,
        1n,
        7n,
        BigInt(text.length - 1),
        BigInt(text.length + 1),
        BigInt(bytes.length),
        2n ** 63n,
        2n ** 64n - 1n,
        100_000_001n,
        99_999_999n,
      ]);
      return { kind, bytes: frameSafetensors(text, data, declared) };
    }
    case "raw header text": {
      // Character-level edits of the JSON: deletions, duplications, stray characters.
      let text = JSON.stringify(header);
      const at = rng.int(text.length);
      const op = rng.int(4);
      if (op === 0) text = text.slice(0, at) + text.slice(at + 1 + rng.int(4));
      else if (op === 1) text = text.slice(0, at) + text.slice(at, at + 1 + rng.int(8)) + text.slice(at);
      else if (op === 2) text = text.slice(0, at) + rng.pick(["{", "}", "[", "]", ",", ":", '"', "9", "-", "e", "\u0000", "\ud800"]) + text.slice(at);
      else text = text.replace(/\d+/g, (d) => (rng.int(6) === 0 ? String(Number(d) * 1000 + 1) : d));
      return { kind, bytes: frameSafetensors(text, data) };
    }
    case "appended bytes": {
      const extra = new Uint8Array(1 + rng.int(32)).map(() => rng.int(256));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return { kind, bytes: out };
    }
  }
}
