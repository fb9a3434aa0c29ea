// Stories: UTF-8 text with stories separated by lines holding exactly `<|endoftext|>` (the
// TinyStories format) or by blank lines, auto-detected. Files are read in chunks cut at story
// boundaries so that inputs of any size stream through (never one 2 GB string).
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { CorpusError } from "./errors.ts";

export const END_OF_TEXT = "<|endoftext|>";
export type StoryFormat = "endoftext" | "blank-lines";

const EOT_LINE = /(^|\n)<\|endoftext\|>\r?(\n|$)/;
const EOT_SPLIT = /^<\|endoftext\|>\r?$/m;
const BLANK_SPLIT = /\n[ \t\r]*\n/;

/** `endoftext` when some line holds exactly `<|endoftext|>`, else `blank-lines`. */
export function detectFormat(text: string): StoryFormat {
  return EOT_LINE.test(text) ? "endoftext" : "blank-lines";
}

/** Splits text into stories (each trimmed; empty ones dropped). */
export function splitStories(text: string, format: StoryFormat = detectFormat(text)): string[] {
  const pieces = text.split(format === "endoftext" ? EOT_SPLIT : BLANK_SPLIT);
  const out: string[] = [];
  for (const p of pieces) {
    const s = p.trim();
    if (s.length > 0) out.push(s);
  }
  return out;
}

/**
 * Splits stories into (train, valid): the last `fraction` of them (at least one when there are two or
 * more) are held out. Deterministic: the order of the file decides.
 */
export function holdOut<T>(stories: readonly T[], fraction = 0.05): { train: T[]; valid: T[] } {
  const n = stories.length;
  const k = heldOutCount(n, fraction);
  return { train: stories.slice(0, n - k), valid: stories.slice(n - k) };
}

/** How many of `n` stories `holdOut` keeps for validation. */
export function heldOutCount(n: number, fraction = 0.05): number {
  if (n < 2 || fraction <= 0) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

const ENC = new TextEncoder();
const EOT_BYTES = ENC.encode(END_OF_TEXT);

/**
 * The offset just past the last story boundary in `bytes` (0 when there is none): after the line
 * break that ends an `<|endoftext|>` line, or after a blank line.
 */
export function lastBoundary(bytes: Uint8Array, format: StoryFormat): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === "endoftext") {
    let from = buf.length;
    while (from >= 0) {
      const i = buf.lastIndexOf(EOT_BYTES, from);
      if (i < 0) return 0;
      let j = i + EOT_BYTES.length;
      if (buf[j] === 13) j++;
      if ((i === 0 || buf[i - 1] === 10) && j < buf.length && buf[j] === 10) return j + 1;
      from = i - 1;
    }
    return 0;
  }
  // Blank lines: the last "\n\n" (or "\n\r\n").
  for (let i = buf.length - 1; i > 0; i--) {
    if (buf[i] !== 10) continue;
    let k = i - 1;
    if (buf[k] === 13) k--;
    if (k >= 0 && buf[k] === 10) return i + 1;
  }
  return 0;
}

function readRange(fd: number, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, out, off, length - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return off === length ? out : out.subarray(0, off);
}

/** A byte range of a text file, cut at story boundaries. */
export interface TextSource {
  path: string;
  /** Bytes [0, end) of the file are used. */
  end: number;
  /** The whole file (false: a prefix cut at a story boundary). */
  whole: boolean;
  format: StoryFormat;
  fileSize: number;
}

/**
 * Resolves which bytes of `path` to use: all of it, or — with `capBytes`, or when the file is an
 * incomplete download (`partial`) — the longest prefix that ends at a story boundary.
 */
export function resolveSource(path: string, options: { capBytes?: number; partial?: boolean; format?: StoryFormat } = {}): TextSource {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new CorpusError(`${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    throw new CorpusError(`${path}: cannot read the corpus file (${(e as Error).message})`);
  }
  const fd = openSync(path, "r");
  try {
    const head = readRange(fd, 0, Math.min(size, 1 << 20));
    const format = options.format ?? detectFormat(new TextDecoder().decode(head));
    const cap = options.capBytes;
    if (!options.partial && (cap === undefined || cap >= size)) return { path, end: size, whole: true, format, fileSize: size };
    const limit = Math.min(size, cap ?? size);
    // Search backwards from the limit, in growing windows, for the last story boundary.
    let window = 1 << 16;
    for (;;) {
      const start = Math.max(0, limit - window);
      const b = lastBoundary(readRange(fd, start, limit - start), format);
      if (b > 0) return { path, end: start + b, whole: false, format, fileSize: size };
      if (start === 0) break;
      window *= 4;
    }
    throw new CorpusError(
      `${path}: no complete story in the first ${limit} bytes (stories end with a line holding ${END_OF_TEXT}, or a blank line); use a larger cap`,
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a source in chunks of about `chunkBytes`, each cut at a story boundary, as strings.
 * Yields [text, bytes consumed so far].
 */
export function* readChunks(source: TextSource, chunkBytes = 4 << 20): Generator<[string, number]> {
  const fd = openSync(source.path, "r");
  const decoder = new TextDecoder("utf-8");
  try {
    let pos = 0;
    let carry: Uint8Array = new Uint8Array(0);
    while (pos < source.end || carry.length > 0) {
      const n = Math.min(chunkBytes, source.end - pos);
      const fresh = n > 0 ? readRange(fd, pos, n) : new Uint8Array(0);
      pos += fresh.length;
      let bytes: Uint8Array = fresh;
      if (carry.length > 0) {
        bytes = new Uint8Array(carry.length + fresh.length);
        bytes.set(carry);
        bytes.set(fresh, carry.length);
      }
      if (pos >= source.end || fresh.length === 0) {
        yield [decoder.decode(bytes), pos];
        return;
      }
      const cut = lastBoundary(bytes, source.format);
      if (cut === 0) {
        carry = bytes; // a story longer than a chunk: read on
        continue;
      }
      carry = bytes.slice(cut);
      yield [decoder.decode(bytes.subarray(0, cut)), pos - carry.length];
    }
  } finally {
    closeSync(fd);
  }
}

/** All stories of a source (for small inputs and tests). */
export function readStories(source: TextSource): string[] {
  const out: string[] = [];
  for (const [text] of readChunks(source)) for (const s of splitStories(text, source.format)) out.push(s);
  return out;
}
