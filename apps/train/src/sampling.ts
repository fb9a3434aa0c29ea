// Choosing the next token from a row of logits: greedy (argmax), or sampling with temperature,
// top-k and top-p (nucleus), from a seeded Rng. And the generation loop over a TrainableModel.
import type { Rng } from "@pullback/tensor";
import type { ParamTree, TrainableModel } from "@pullback/gpt2";

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** Keep the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = all). */
  topP?: number;
}

/** Index of the largest logit (the first one on ties); NaN logits are never picked. */
export function argmax(row: ArrayLike<number>): number {
  let best = -1,
    bestValue = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (row[i] > bestValue || (best < 0 && row[i] === -Infinity)) {
      best = i;
      bestValue = row[i];
    }
  }
  if (best < 0) throw new Error("argmax: every logit is NaN");
  return best;
}

/**
 * The distribution sampling draws from: softmax(logits / temperature) restricted to the top-k,
 * then to the top-p nucleus, renormalized. Tokens outside have probability exactly 0.
 */
export function samplingDistribution(row: ArrayLike<number>, o: SamplingOptions): Float64Array {
  const n = row.length;
  if (!(o.temperature > 0)) throw new Error("samplingDistribution: temperature must be > 0 (0 is greedy: use argmax)");
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => !Number.isNaN(row[i]));
  order.sort((a, b) => row[b] - row[a] || a - b);
  if (order.length === 0) throw new Error("samplingDistribution: every logit is NaN");
  const k = o.topK && o.topK > 0 ? Math.min(o.topK, order.length) : order.length;
  const kept = order.slice(0, k);
  const max = row[kept[0]];
  const p = new Float64Array(n);
  let total = 0;
  for (const i of kept) total += p[i] = Math.exp((row[i] - max) / o.temperature);
  const topP = o.topP ?? 1;
  let count = kept.length;
  if (topP < 1) {
    let cum = 0;
    count = 0;
    while (count < kept.length) {
      cum += p[kept[count++]] / total;
      if (cum >= topP) break;
    }
  }
  let sum = 0;
  for (let j = 0; j < kept.length; j++) {
    if (j >= count) p[kept[j]] = 0;
    else sum += p[kept[j]];
  }
  for (const i of kept) p[i] /= sum;
  return p;
}

/** The next token: argmax when temperature is 0, else a draw from samplingDistribution. */
export function sampleToken(row: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  if (!(o.temperature > 0)) return argmax(row);
  const p = samplingDistribution(row, o);
  const u = rng.uniform();
  let cum = 0,
    last = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    cum += p[i];
    last = i;
    if (u < cum) return i;
  }
  return last; // u within rounding of 1
}

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  rng: Rng;
  /** Stop when this token is produced (it is not included). */
  stopToken?: number;
}

/**
 * Continues `prompt` (token ids) by up to `maxTokens` tokens, feeding the model at most its
 * context's worth of the most recent tokens each time. Returns only the new tokens.
 */
export function generate<P extends ParamTree>(model: TrainableModel<P>, params: P, prompt: readonly number[], o: GenerateOptions): number[] {
  if (prompt.length === 0) throw new Error("generate: the prompt has no tokens");
  const tokens = [...prompt];
  const out: number[] = [];
  const V = model.config.vocab;
  for (let s = 0; s < o.maxTokens; s++) {
    const window = Int32Array.from(tokens.slice(-model.config.context));
    const logits = model.logits(params, window, 1, window.length);
    const row = logits.data.subarray((window.length - 1) * V, window.length * V);
    const next = sampleToken(row, o, o.rng);
    if (next === o.stopToken) break;
    tokens.push(next);
    out.push(next);
  }
  return out;
}
