// Causal multi-head attention by its definition (plain loops, float64 accumulation; float32 or
// float64 tensors). q, k, v, out (B, H, T, D), lse (B, H, T), scale 1/√D, key j ≤ query i:
//   s_ij = scale·q_i·k_j,  lse_i = log Σ_j exp(s_ij),  p_ij = exp(s_ij − lse_i),
//   p̃_ij = p_ij·m_ij/(1 − p)  (dropout: m_ij = 1 iff attentionDropoutUniform(seed, offset, e) ≥ p,
//                               e = ((b·H + h)·T + i)·T + j: byte e % 16 of Philox block e / 16,
//                               an 8-bit uniform, so one Philox call decides 16 pairs),
//   out_i = Σ_j p̃_ij v_j.
// Backward: delta_i = dout_i·out_i, dv_j = Σ_i p̃_ij dout_i, dp_ij = m_ij/(1 − p)·dout_i·v_j,
//   ds_ij = p_ij (dp_ij − delta_i), dq_i = scale Σ_j ds_ij k_j, dk_j = scale Σ_i ds_ij q_i.
import { Tensor } from "../tensor.ts";
import { philox4x32 } from "./philox.ts";
import { concat, permute, splitAt } from "./shape.ts";

export interface AttentionOptions {
  /** Dropout probability of the attention probabilities, in [0, 1). */
  dropout?: number;
  /** Philox seed and offset of the dropout draw (non-negative integers). */
  seed?: number;
  offset?: number;
}

export interface ReferenceAttentionOptions extends AttentionOptions {
  /** Only these heads (flat b·H + h) are computed; the others stay zero (for sampling big shapes). */
  heads?: readonly number[];
}

function headList(BH: number, heads?: readonly number[]): readonly number[] {
  return heads ?? Array.from({ length: BH }, (_, i) => i);
}

const two32 = 4294967296;

/**
 * The uniform of attention-dropout element e of the draw (seed, offset): byte e % 16 of Philox block
 * e / 16 (bytes of the words low to high: byte b is bits 8·(b % 4) … of word ⌊b/4⌋) over 256, a multiple
 * of 1/256. (Elementwise dropout uses philoxUniform, 24 bits of a word per element; attention has
 * T² pairs per head and takes 8 bits, as FlashAttention-2 does.) The keep probability
 * P(u ≥ p) is 1 − ⌈256p⌉/256: exactly 1 − p when 256p is an integer (0.797 for p = 0.2); kept
 * pairs scale by its inverse (attentionKeepProbability).
 */
export function attentionDropoutUniform(seed: number, offset: number, e: number): number {
  return blockByte(philoxBlock(seed, offset, Math.floor(e / 16)), e % 16) / 256;
}

function philoxBlock(seed: number, offset: number, blk: number): number[] {
  return philox4x32([blk % two32, Math.floor(blk / two32), offset % two32, Math.floor(offset / two32)], [seed % two32, Math.floor(seed / two32)]);
}

/** Byte b (0 … 15) of a Philox block: bits 8·(b % 4) … of word ⌊b/4⌋. */
function blockByte(words: number[], b: number): number {
  return (words[b >> 2] >>> (8 * (b & 3))) & 0xff;
}

/**
 * The attention dropout factors m / P(keep) of BH heads' (T, T) pairs as a (BH, T, T) tensor
 * (pair e = (bh·T + i)·T + j, every pair, above the diagonal too), one Philox call per 16 pairs.
 */
export function attentionDropoutFactors(
  BH: number,
  T: number,
  p: number,
  seed: number,
  offset: number,
  dtype: "float32" | "float64" = "float32",
): Tensor {
  const f = Tensor.zeros([BH, T, T], dtype);
  const n = f.size,
    scale = 1 / attentionKeepProbability(p);
  for (let blk = 0; 16 * blk < n; blk++) {
    const words = philoxBlock(seed, offset, blk);
    for (let b = 0; b < 16 && 16 * blk + b < n; b++) if (blockByte(words, b) / 256 >= p) f.data[16 * blk + b] = scale;
  }
  return f;
}

/**
 * P(u ≥ p) = 1 − ⌈256p⌉/256: the probability that attention dropout keeps a pair. Kept pairs scale
 * by its inverse (not 1/(1 − p)), so dropout leaves every probability's expectation unchanged.
 */
export function attentionKeepProbability(p: number): number {
  return 1 - Math.ceil(256 * p) / 256;
}

/** Dropout factor m / P(keep) of element e (1 without dropout; 0 when ⌈256p⌉ = 256 drops everything). */
function dropFactor(p: number, seed: number, offset: number, e: number): number {
  if (p === 0) return 1;
  return attentionDropoutUniform(seed, offset, e) >= p ? 1 / attentionKeepProbability(p) : 0;
}

export function attentionReference(q: Tensor, k: Tensor, v: Tensor, options: ReferenceAttentionOptions = {}): { out: Tensor; lse: Tensor } {
  const { dropout: p = 0, seed = 0, offset = 0 } = options;
  const [B, H, T, D] = q.shape;
  const out = Tensor.zeros(q.shape, q.dtype);
  const lse = Tensor.zeros([B, H, T], q.dtype);
  const scale = 1 / Math.sqrt(D);
  const row = new Float64Array(T);
  for (const bh of headList(B * H, options.heads)) {
    for (let i = 0; i < T; i++) {
      const r = bh * T + i;
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += q.data[r * D + d] * k.data[(bh * T + j) * D + d];
        row[j] = s * scale;
        if (row[j] > max) max = row[j];
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += row[j] = Math.exp(row[j] - max);
      lse.data[r] = max + Math.log(sum);
      for (let j = 0; j <= i; j++) row[j] = (row[j] / sum) * dropFactor(p, seed, offset, r * T + j);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += row[j] * v.data[(bh * T + j) * D + d];
        out.data[r * D + d] = acc;
      }
    }
  }
  return { out, lse };
}

export function attentionBackwardReference(
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  options: ReferenceAttentionOptions = {},
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const { dropout: p = 0, seed = 0, offset = 0 } = options;
  const [B, H, T, D] = q.shape;
  const scale = 1 / Math.sqrt(D);
  const dq = Tensor.zeros(q.shape, q.dtype);
  const dk = Tensor.zeros(q.shape, q.dtype);
  const dv = Tensor.zeros(q.shape, q.dtype);
  // One head's gradients accumulate in float64.
  const gq = new Float64Array(T * D),
    gk = new Float64Array(T * D),
    gv = new Float64Array(T * D);
  for (const bh of headList(B * H, options.heads)) {
    gq.fill(0);
    gk.fill(0);
    gv.fill(0);
    for (let i = 0; i < T; i++) {
      const r = bh * T + i;
      let delta = 0;
      for (let d = 0; d < D; d++) delta += dout.data[r * D + d] * out.data[r * D + d];
      for (let j = 0; j <= i; j++) {
        const c = bh * T + j;
        let s = 0,
          dp = 0;
        for (let d = 0; d < D; d++) {
          s += q.data[r * D + d] * k.data[c * D + d];
          dp += dout.data[r * D + d] * v.data[c * D + d];
        }
        const prob = Math.exp(s * scale - lse.data[r]);
        const f = dropFactor(p, seed, offset, r * T + j);
        const ds = prob * (f * dp - delta);
        for (let d = 0; d < D; d++) {
          gv[j * D + d] += prob * f * dout.data[r * D + d];
          gq[i * D + d] += scale * ds * k.data[c * D + d];
          gk[j * D + d] += scale * ds * q.data[r * D + d];
        }
      }
    }
    dq.data.set(gq, bh * T * D);
    dk.data.set(gk, bh * T * D);
    dv.data.set(gv, bh * T * D);
  }
  return { dq, dk, dv };
}

// ---- the rows layout: heads read from the fused projection rows ----------------------------
// qkv (B·T, 3C), C = H·D: row b·T + t holds q | k | v, each C wide, head h at columns h·D … h·D+D−1
// of its block; out and dout are (B·T, C) rows (the heads side by side). Composed from the
// (B, H, T, D) reference by copying the heads out and back (reference shape ops).

/** q, k, v (B, H, T, D) of qkv (B·T, 3C). */
function headsOfRows(qkv: Tensor, H: number, B: number): Tensor[] {
  const [BT, C3] = qkv.shape;
  const T = BT / B,
    D = C3 / 3 / H;
  const stacked = permute(new Tensor(qkv.data, [B, T, 3, H, D]), [2, 0, 3, 1, 4]); // (3, B, H, T, D)
  const [q, kv] = splitAt(stacked, 0, 1);
  return [q, ...splitAt(kv, 0, 1)].map((x) => new Tensor(x.data, [B, H, T, D]));
}

/** (B·T, C) rows → (B, H, T, D) heads. */
function headsOf(rows: Tensor, H: number, B: number): Tensor {
  const [BT, C] = rows.shape;
  return permute(new Tensor(rows.data, [B, BT / B, H, C / H]), [0, 2, 1, 3]);
}

/** (B, H, T, D) heads → (B·T, C) rows. */
function rowsOf(heads: Tensor): Tensor {
  const [B, H, T, D] = heads.shape;
  return new Tensor(permute(heads, [0, 2, 1, 3]).data, [B * T, H * D]);
}

/** out (B·T, C) and lse (B, H, T) of causal attention over the heads of qkv (B·T, 3C). */
export function attentionRowsReference(qkv: Tensor, H: number, B: number, options: ReferenceAttentionOptions = {}): { out: Tensor; lse: Tensor } {
  const [q, k, v] = headsOfRows(qkv, H, B);
  const { out, lse } = attentionReference(q, k, v, options);
  return { out: rowsOf(out), lse };
}

/** dqkv (B·T, 3C) of attentionRowsReference given dout (B·T, C) and its out and lse. */
export function attentionRowsBackwardReference(
  dout: Tensor,
  qkv: Tensor,
  out: Tensor,
  lse: Tensor,
  H: number,
  B: number,
  options: ReferenceAttentionOptions = {},
): Tensor {
  const [q, k, v] = headsOfRows(qkv, H, B);
  const { dq, dk, dv } = attentionBackwardReference(headsOf(dout, H, B), q, k, v, headsOf(out, H, B), lse, options);
  const [, , T, D] = dq.shape;
  const stacked = concat(
    [dq, dk, dv].map((g) => new Tensor(g.data, [1, B, H, T, D])),
    0,
  ); // (3, B, H, T, D)
  return new Tensor(permute(stacked, [1, 3, 0, 2, 4]).data, qkv.shape); // (B, T, 3, H, D)
}
