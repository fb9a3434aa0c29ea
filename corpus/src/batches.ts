// Random batches of B windows of T + 1 tokens → inputs (B·T) and next-token targets (B·T), Int32Array.
// Counter-based randomness: the windows of batch `step` are a pure function of (seed, step), so the
// loader's state is just { seed, step } — saved in a checkpoint, it resumes the exact sequence.
import { CorpusError } from "./errors.ts";

export interface BatchState {
  seed: number;
  /** Batches drawn so far (the next batch is number `step`). */
  step: number;
}

export interface Batch {
  /** Row-major (batch, context) token ids. */
  inputs: Int32Array;
  /** inputs shifted by one: targets[b, t] = tokens[start_b + t + 1]. */
  targets: Int32Array;
  /** Start offset of each window in the token stream. */
  starts: Float64Array;
}

/** A 32-bit hash of four 32-bit words (murmur3-style mixing; good enough to pick windows). */
function mix(a: number, b: number, c: number, d: number): number {
  let h = 0x9e3779b9 ^ a;
  for (const w of [b, c, d, 0x85ebca6b]) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16) ^ w) >>> 0;
    h = Math.imul(h, 0x27d4eb2f) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Uniform in [0, 1) with 53 random bits, a pure function of (seed, step, row). */
export function windowUniform(seed: number, step: number, row: number): number {
  const s = seed >>> 0;
  const sh = Math.floor(seed / 4294967296) >>> 0;
  const hi = mix(s, sh, step >>> 0, row * 2) >>> 5; // 27 bits
  const lo = mix(s ^ 0x5bd1e995, sh, step >>> 0, row * 2 + 1) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

export class BatchLoader {
  private state: BatchState;

  constructor(
    readonly tokens: Uint16Array,
    readonly batch: number,
    readonly context: number,
    state: number | BatchState = 0,
  ) {
    if (!Number.isInteger(batch) || batch < 1) throw new CorpusError(`batches: batch size must be a positive integer, got ${batch}`);
    if (!Number.isInteger(context) || context < 1) throw new CorpusError(`batches: context must be a positive integer, got ${context}`);
    if (tokens.length < context + 1)
      throw new CorpusError(`batches: the token stream (${tokens.length} tokens) is shorter than one window of ${context + 1} tokens`);
    this.state = typeof state === "number" ? { seed: state, step: 0 } : BatchLoader.checkState(state);
  }

  private static checkState(s: BatchState): BatchState {
    if (!s || !Number.isInteger(s.seed) || s.seed < 0 || !Number.isInteger(s.step) || s.step < 0)
      throw new CorpusError(`batches: invalid state ${JSON.stringify(s)} (expected { seed, step } non-negative integers)`);
    return { seed: s.seed, step: s.step };
  }

  /** The serializable position: save it with a checkpoint, pass it to the constructor to resume. */
  getState(): BatchState {
    return { ...this.state };
  }

  setState(state: BatchState): void {
    this.state = BatchLoader.checkState(state);
  }

  /** The next batch (advances the state). */
  next(): Batch {
    const b = this.at(this.state.step);
    this.state.step++;
    return b;
  }

  /** Batch number `step` of this seed (does not change the state). */
  at(step: number): Batch {
    const { batch: B, context: T, tokens } = this;
    const windows = tokens.length - T; // valid starts: 0 ..= length − T − 1
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const starts = new Float64Array(B);
    for (let r = 0; r < B; r++) {
      const s = Math.floor(windowUniform(this.state.seed, step, r) * windows);
      starts[r] = s;
      for (let t = 0; t < T; t++) {
        inputs[r * T + t] = tokens[s + t];
        targets[r * T + t] = tokens[s + t + 1];
      }
    }
    return { inputs, targets, starts };
  }
}

/**
 * Deterministic evaluation batches: consecutive non-overlapping windows from the start of the stream
 * (at most `maxBatches`), so that validation losses are comparable across steps and runs.
 */
export function* sequentialBatches(tokens: Uint16Array, batch: number, context: number, maxBatches = Infinity): Generator<Batch> {
  const T = context;
  const windows = Math.floor((tokens.length - 1) / T);
  let w = 0;
  for (let n = 0; n < maxBatches && w + batch <= windows; n++) {
    const inputs = new Int32Array(batch * T);
    const targets = new Int32Array(batch * T);
    const starts = new Float64Array(batch);
    for (let r = 0; r < batch; r++, w++) {
      const s = w * T;
      starts[r] = s;
      for (let t = 0; t < T; t++) {
        inputs[r * T + t] = tokens[s + t];
        targets[r * T + t] = tokens[s + t + 1];
      }
    }
    yield { inputs, targets, starts };
  }
}
