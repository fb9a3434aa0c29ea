// The safetensors format (https://github.com/huggingface/safetensors), read and written without
// dependencies:
//
//   bytes 0..8        N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N      a UTF-8 JSON object: { name: { dtype, shape, data_offsets: [begin, end] }, …,
//                     "__metadata__"?: { string: string } }, padded with spaces so that 8+N is a
//                     multiple of 8
//   bytes 8+N..       the data buffer; each tensor's bytes are [begin, end) of it, row-major,
//                     little-endian. Tensors neither overlap nor leave holes.
//
// Float tensors load as `Tensor` (F32 → float32, F64 → float64); I32 loads as `Int32Array` (its
// shape in `shapes`). Writes are atomic (see atomic.ts). Loading validates everything before it
// trusts a single offset, so a truncated or corrupt file gives an Error naming the file and the
// problem — never a RangeError from a typed array.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { fmtShape } from "../errors.ts";
import { sizeOf, Tensor } from "../tensor.ts";
import { writeFileAtomic } from "./atomic.ts";

export type SafetensorsDType = "F32" | "F64" | "I32";
/** What a file holds: float tensors, or int32 arrays (token ids…) with an optional shape. */
export type SafetensorsValue = Tensor | Int32Array | { data: Int32Array; shape: readonly number[] };

export interface SafetensorsFile {
  /** Float tensors as Tensor, I32 tensors as Int32Array; in the file's data order. */
  tensors: Record<string, Tensor | Int32Array>;
  /** The shape of every entry (the only place an Int32Array's shape is kept). */
  shapes: Record<string, number[]>;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

/** A safetensors file could not be read: the message names the file and what is wrong. */
export class SafetensorsError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "SafetensorsError";
  }
}

const itemSize: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I32: 4 };
/** The safetensors reference implementation refuses headers above 100 MB; so do we. */
const maxHeaderBytes = 100_000_000;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  bytes: Uint8Array;
}

function toEntry(name: string, value: SafetensorsValue): Entry {
  if (name === "__metadata__" || name.length === 0) throw new Error(`saveSafetensors: "${name}" cannot be a tensor name`);
  let data: Float32Array | Float64Array | Int32Array;
  let shape: number[];
  let dtype: SafetensorsDType;
  if (value instanceof Tensor) {
    data = value.data;
    shape = value.shape;
    dtype = value.dtype === "float64" ? "F64" : "F32";
  } else if (value instanceof Int32Array) {
    data = value;
    shape = [value.length];
    dtype = "I32";
  } else if (value && value.data instanceof Int32Array && Array.isArray(value.shape)) {
    data = value.data;
    shape = [...value.shape];
    dtype = "I32";
    if (sizeOf(shape) !== data.length) {
      throw new Error(`saveSafetensors: "${name}" has shape ${fmtShape(shape)} (${sizeOf(shape)} elements) but ${data.length} values`);
    }
  } else {
    throw new Error(`saveSafetensors: "${name}" must be a Tensor, an Int32Array or { data: Int32Array, shape }`);
  }
  return { name, dtype, shape, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The header bytes (JSON padded with spaces so the data starts at a multiple of 8). */
function encodeHeader(entries: Entry[], metadata: Record<string, string> | undefined): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`saveSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20);
  padded.set(json);
  return padded;
}

/**
 * Writes `tensors` (in insertion order) and `metadata` to `path` as safetensors, atomically.
 * Data is written tensor by tensor from the arrays themselves (no copy of the whole file).
 */
export function saveSafetensors(path: string, tensors: Record<string, SafetensorsValue>, metadata?: Record<string, string>): void {
  if (!littleEndian) throw new Error("saveSafetensors: big-endian hosts are not supported");
  const entries = Object.entries(tensors).map(([name, value]) => toEntry(name, value));
  const header = encodeHeader(entries, metadata);
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(header.length), true);
  writeFileAtomic(path, (write) => {
    write(size);
    write(header);
    for (const e of entries) write(e.bytes);
  });
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

interface Parsed {
  entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[];
  metadata: Record<string, string>;
}

/**
 * The first key that occurs twice at the top level of a JSON object's text (already known to be
 * valid JSON), or undefined. A single pass over the text: strings are skipped with their escapes.
 */
function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === "{" || c === "[") {
      depth++;
      expectKey = depth === 1 && c === "{";
    } else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 1) expectKey = true;
  }
  return undefined;
}

/** Validates a decoded header against the data length; throws SafetensorsError with the reason. */
function parseHeader(path: string, text: string, dataBytes: number): Parsed {
  const fail = (msg: string): never => {
    throw new SafetensorsError(path, msg);
  };
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");
  // JSON.parse keeps the last of repeated keys silently; a tensor named twice is ambiguous.
  const repeated = repeatedTopLevelKey(text);
  if (repeated !== undefined) fail(`tensor ${JSON.stringify(repeated)} is named twice in the header`);
  const metadata: Record<string, string> = {};
  const entries: Parsed["entries"] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (info === null || typeof info !== "object" || Array.isArray(info)) fail(`"__metadata__" is not an object of strings`);
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`"__metadata__" entry "${k}" is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (info === null || typeof info !== "object") fail(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets } = info as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in itemSize)) {
      fail(`tensor "${name}": unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(itemSize).join(", ")})`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt))
      fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(isNonNegInt)) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(data_offsets)} is not [begin, end]`);
    }
    const [begin, end] = data_offsets as number[];
    const dims = shape as number[];
    const count = dims.reduce((a, b) => a * b, 1);
    const expected = count * itemSize[dtype as SafetensorsDType];
    if (end < begin) fail(`tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataBytes) {
      fail(`tensor "${name}": data_offsets [${begin}, ${end}] go past the end of the data (${dataBytes} bytes) — the file is truncated or corrupt`);
    }
    if (end - begin !== expected) {
      fail(`tensor "${name}": ${dtype} of shape ${fmtShape(dims)} needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: dims, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap another tensor's bytes`);
    if (e.begin > pos) fail(`tensor "${e.name}": bytes ${pos}..${e.begin} of the data belong to no tensor (a hole)`);
    pos = e.end;
  }
  if (pos !== dataBytes) fail(`the data holds ${dataBytes} bytes but the tensors cover ${pos} — the file is corrupt or has trailing bytes`);
  return { entries: sorted, metadata };
}

/** Reads exactly `length` bytes at `position` into `into` (a fresh buffer), or throws. */
function readExactly(path: string, fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new SafetensorsError(path, `unexpected end of file at byte ${position + done} (the file is truncated)`);
    done += n;
  }
}

/** Reads and validates a safetensors file. Throws SafetensorsError naming the file and the problem. */
export function loadSafetensors(path: string): SafetensorsFile {
  if (!littleEndian) throw new Error("loadSafetensors: big-endian hosts are not supported");
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new SafetensorsError(path, `cannot open: ${(e as Error).message}`);
  }
  try {
    const fileBytes = fstatSync(fd).size;
    if (fileBytes < 8)
      throw new SafetensorsError(path, `file is ${fileBytes} bytes, too short for a safetensors header (truncated or not safetensors)`);
    const lenBytes = new Uint8Array(8);
    readExactly(path, fd, lenBytes, 0);
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen === 0n) throw new SafetensorsError(path, "header length is 0");
    if (headerLen > BigInt(maxHeaderBytes)) {
      throw new SafetensorsError(
        path,
        `header length ${headerLen} is implausible (over ${maxHeaderBytes} bytes): not a safetensors file, or corrupt`,
      );
    }
    const n = Number(headerLen);
    if (8 + n > fileBytes) {
      throw new SafetensorsError(path, `header length ${n} runs past the end of the ${fileBytes}-byte file (truncated or corrupt)`);
    }
    const headerBytes = new Uint8Array(n);
    readExactly(path, fd, headerBytes, 8);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    } catch {
      throw new SafetensorsError(path, "header is not valid UTF-8");
    }
    const { entries, metadata } = parseHeader(path, text, fileBytes - 8 - n);
    const tensors: Record<string, Tensor | Int32Array> = {};
    const shapes: Record<string, number[]> = {};
    for (const e of entries) {
      const count = sizeOf(e.shape);
      const data = e.dtype === "F64" ? new Float64Array(count) : e.dtype === "F32" ? new Float32Array(count) : new Int32Array(count);
      readExactly(path, fd, new Uint8Array(data.buffer), 8 + n + e.begin);
      tensors[e.name] = data instanceof Int32Array ? data : new Tensor(data, e.shape);
      shapes[e.name] = e.shape;
    }
    return { tensors, shapes, metadata };
  } finally {
    closeSync(fd);
  }
}
