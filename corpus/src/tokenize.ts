// Tokenization: GPT-2 BPE (r50k_base, through `gpt-tokenizer`), then proc-macro-gpt's reduction to a
// small vocabulary: the (size − 1) most frequent GPT-2 tokens of the training stories, most frequent
// first (ties: lower GPT-2 id first), plus end-of-text as the last id; every other token maps to
// end-of-text. The vocabulary file carries the bytes of each token, so decoding needs no tokenizer.
import { readFileSync } from "node:fs";
import { encode as r50kEncode } from "gpt-tokenizer/encoding/r50k_base";
import tokenizerPackage from "gpt-tokenizer/package.json";
import { writeFileAtomic } from "./cache.ts";
import { CorpusError } from "./errors.ts";
import { END_OF_TEXT, splitStories, type StoryFormat } from "./stories.ts";

/** Size of the GPT-2 (r50k_base) vocabulary; end-of-text is its last id. */
export const GPT2_VOCAB = 50257;
export const GPT2_EOT = 50256;
/** Names the tokenizer in cache keys and vocabulary files. */
export const TOKENIZER = `gpt-tokenizer@${tokenizerPackage.version}/r50k_base`;
/** Bump when story splitting or stream layout changes (invalidates caches). */
export const PIPELINE_VERSION = 1;

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

/** GPT-2's pre-tokenizer (r50k_base): BPE merges never cross these pieces. */
const PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/** Piece → ids (a number for the usual single-token piece); cleared when it grows past PIECE_CACHE_MAX. */
const pieceCache = new Map<string, number | number[]>();
const PIECE_CACHE_MAX = 1 << 20;

/**
 * GPT-2 ids of `text`; `<|endoftext|>` inside the text is ordinary text, never the special token.
 * Same ids as gpt-tokenizer's `encode` (BPE runs on each pre-token piece independently), with a
 * piece cache in front: stories repeat a small set of words, and the cache makes encoding ~4× faster.
 */
export function encodeGpt2(text: string): number[] {
  const out: number[] = [];
  const pieces = text.match(PIECES);
  if (pieces === null) return out;
  for (const piece of pieces) {
    let ids = pieceCache.get(piece);
    if (ids === undefined) {
      const enc = r50kEncode(piece, NO_SPECIAL);
      ids = enc.length === 1 ? enc[0] : enc;
      if (pieceCache.size >= PIECE_CACHE_MAX) pieceCache.clear();
      pieceCache.set(piece, ids);
    }
    if (typeof ids === "number") out.push(ids);
    else for (const id of ids) out.push(id);
  }
  return out;
}

/** Empties the piece cache (for cold-start measurements). */
export function clearPieceCache(): void {
  pieceCache.clear();
}

/** gpt-tokenizer's own `encode` (no piece cache), for tests. */
export function encodeGpt2Reference(text: string): number[] {
  return r50kEncode(text, NO_SPECIAL);
}

/** The token stream of stories: end-of-text before each story (as llm.c), GPT-2 ids. */
export function encodeStories(stories: readonly string[]): Uint16Array {
  const parts: number[][] = [];
  let n = 0;
  for (const s of stories) {
    const ids = encodeGpt2(s);
    parts.push(ids);
    n += ids.length + 1;
  }
  const out = new Uint16Array(n);
  let o = 0;
  for (const ids of parts) {
    out[o++] = GPT2_EOT;
    out.set(ids, o);
    o += ids.length;
  }
  return out;
}

/** Splits a chunk of text into stories and encodes them (what each worker does). */
export function encodeChunk(text: string, format: StoryFormat): { tokens: Uint16Array; stories: number } {
  const stories = splitStories(text, format);
  return { tokens: encodeStories(stories), stories: stories.length };
}

let gpt2Bytes: Uint8Array[] | undefined;

/** The bytes of every GPT-2 token (from the package's r50k_base.tiktoken); end-of-text → its text. */
export function gpt2TokenBytes(): Uint8Array[] {
  if (gpt2Bytes) return gpt2Bytes;
  const path = Bun.resolveSync("gpt-tokenizer/data/r50k_base.tiktoken", import.meta.dir);
  const table: Uint8Array[] = new Array(GPT2_VOCAB);
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line) continue;
    const space = line.indexOf(" ");
    table[Number(line.slice(space + 1))] = Uint8Array.from(Buffer.from(line.slice(0, space), "base64"));
  }
  table[GPT2_EOT] = new TextEncoder().encode(END_OF_TEXT);
  for (let i = 0; i < GPT2_VOCAB; i++) if (!table[i]) throw new CorpusError(`${path}: token ${i} missing`);
  return (gpt2Bytes = table);
}

/** Occurrences of each GPT-2 id in `tokens` (end-of-text included; `buildVocab` ignores it). */
export function countTokens(tokens: Uint16Array, counts = new Float64Array(GPT2_VOCAB)): Float64Array {
  for (let i = 0; i < tokens.length; i++) counts[tokens[i]]++;
  return counts;
}

export interface VocabJSON {
  format: "pullback-vocab";
  version: 1;
  tokenizer: string;
  size: number;
  /** Reduced id of end-of-text (= size − 1). */
  eot: number;
  /** GPT-2 id of each reduced id. */
  gpt2: number[];
  /** Bytes of each reduced id, base64. */
  bytes: string[];
  /** Occurrences of each reduced id in the training stories (end-of-text: number of stories). */
  counts?: number[];
}

/** A reduced vocabulary: reduced id ↔ GPT-2 id, encode and decode. */
export class Vocab {
  /** GPT-2 id → reduced id (unknown → eot). */
  readonly fromGpt2: Uint16Array;
  readonly eot: number;
  private readonly bytes: Uint8Array[];

  constructor(
    /** GPT-2 id of each reduced id; the last one is GPT-2 end-of-text. */
    readonly gpt2: Int32Array,
    bytes?: Uint8Array[],
    readonly counts?: Float64Array,
    readonly tokenizer = TOKENIZER,
  ) {
    const size = gpt2.length;
    if (size < 1 || size > 65535) throw new CorpusError(`vocabulary size ${size} out of range [1, 65535]`);
    if (gpt2[size - 1] !== GPT2_EOT) throw new CorpusError("vocabulary: the last id must be end-of-text");
    this.eot = size - 1;
    this.fromGpt2 = new Uint16Array(GPT2_VOCAB).fill(this.eot);
    for (let r = 0; r < size; r++) {
      const g = gpt2[r];
      if (!(g >= 0 && g < GPT2_VOCAB)) throw new CorpusError(`vocabulary: GPT-2 id ${g} out of range`);
      if (r !== this.eot && (g === GPT2_EOT || this.fromGpt2[g] !== this.eot)) throw new CorpusError(`vocabulary: GPT-2 id ${g} appears twice`);
      this.fromGpt2[g] = r;
    }
    const all = bytes ?? gpt2TokenBytes();
    this.bytes = bytes ?? Array.from(gpt2, (g) => all[g]);
    if (this.bytes.length !== size) throw new CorpusError(`vocabulary: ${this.bytes.length} byte strings for ${size} ids`);
  }

  get size(): number {
    return this.gpt2.length;
  }

  /**
   * proc-macro-gpt's reduction: the (size − 1) GPT-2 ids most frequent in `counts` (ties and unseen
   * ids: lower GPT-2 id first), then end-of-text.
   */
  static fromCounts(counts: Float64Array, size = 8000): Vocab {
    if (!Number.isInteger(size) || size < 2 || size > GPT2_VOCAB) throw new CorpusError(`vocabulary size ${size} out of range [2, ${GPT2_VOCAB}]`);
    const ids = Array.from({ length: GPT2_EOT }, (_, i) => i);
    ids.sort((a, b) => counts[b] - counts[a] || a - b);
    const gpt2 = new Int32Array(size);
    gpt2.set(ids.slice(0, size - 1));
    gpt2[size - 1] = GPT2_EOT;
    const reduced = new Float64Array(size);
    for (let r = 0; r < size - 1; r++) reduced[r] = counts[gpt2[r]];
    reduced[size - 1] = counts[GPT2_EOT];
    return new Vocab(gpt2, undefined, reduced);
  }

  /** Maps a GPT-2 stream to reduced ids. */
  reduce(gpt2Tokens: ArrayLike<number>): Uint16Array {
    const out = new Uint16Array(gpt2Tokens.length);
    const table = this.fromGpt2;
    for (let i = 0; i < out.length; i++) out[i] = table[gpt2Tokens[i]];
    return out;
  }

  /** Reduced ids of `text` (no end-of-text added; tokens outside the vocabulary → eot). */
  encode(text: string): Int32Array {
    const ids = encodeGpt2(text);
    const out = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = this.fromGpt2[ids[i]];
    return out;
  }

  /** Whether every GPT-2 token of `text` is in the vocabulary. */
  covers(text: string): boolean {
    for (const g of encodeGpt2(text)) if (this.fromGpt2[g] === this.eot) return false;
    return true;
  }

  /** Bytes of one reduced id. */
  tokenBytes(id: number): Uint8Array {
    const b = this.bytes[id];
    if (b === undefined) throw new CorpusError(`decode: token id ${id} out of range [0, ${this.size})`);
    return b;
  }

  /** Text of reduced ids (end-of-text prints as `<|endoftext|>`; invalid UTF-8 → U+FFFD). */
  decode(ids: ArrayLike<number>): string {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += this.tokenBytes(ids[i]).length;
    const buf = new Uint8Array(n);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.tokenBytes(ids[i]);
      buf.set(b, o);
      o += b.length;
    }
    return new TextDecoder().decode(buf);
  }

  /** The display text of one id (may be a fragment of a UTF-8 character). */
  piece(id: number): string {
    return new TextDecoder().decode(this.tokenBytes(id));
  }

  toJSON(): VocabJSON {
    return {
      format: "pullback-vocab",
      version: 1,
      tokenizer: this.tokenizer,
      size: this.size,
      eot: this.eot,
      gpt2: Array.from(this.gpt2),
      bytes: this.bytes.map((b) => Buffer.from(b).toString("base64")),
      ...(this.counts ? { counts: Array.from(this.counts) } : {}),
    };
  }

  static fromJSON(json: unknown): Vocab {
    const j = json as Partial<VocabJSON>;
    if (!j || j.format !== "pullback-vocab" || j.version !== 1 || !Array.isArray(j.gpt2) || !Array.isArray(j.bytes))
      throw new CorpusError('not a pullback vocabulary file (expected format "pullback-vocab", version 1)');
    if (j.gpt2.length !== j.size || j.bytes.length !== j.size) throw new CorpusError("vocabulary file: inconsistent sizes");
    return new Vocab(
      Int32Array.from(j.gpt2),
      j.bytes.map((s) => Uint8Array.from(Buffer.from(s, "base64"))),
      j.counts ? Float64Array.from(j.counts) : undefined,
      j.tokenizer,
    );
  }

  /** Writes the vocabulary JSON atomically. */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }

  static load(path: string): Vocab {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new CorpusError(`${path}: cannot read the vocabulary (${(e as Error).message})`);
    }
    try {
      return Vocab.fromJSON(JSON.parse(text));
    } catch (e) {
      throw new CorpusError(`${path}: ${(e as Error).message}`);
    }
  }
}
