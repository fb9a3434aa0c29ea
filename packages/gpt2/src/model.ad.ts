// GPT-2, written in proc-macro-gpt's rrule-call convention (docs/ad.md). Every
// `const [y, __k] = op(x, …)` is an rrule call: the forward pass runs as written and the
// .ad.ts loader (@pullback/ad) generates the pullback — read this file top to bottom as the
// forward pass; `bun run ad:expand packages/gpt2/src/model.ad.ts` prints the generated backward.
//
// Shapes: B batch, T time (≤ context), C width, H heads, D = C/H head size, M MLP width, V vocab.
// The residual stream is kept as (B·T, C) rows so every projection is one GEMM (`linear`: the
// bias is folded into the GEMM's accumulator).
import { ad, detach, fork, splitFirst } from "@pullback/ad";
import type { Tensor } from "@pullback/tensor";
import { add, attention, crossEntropy, dropout, gelu, layerNorm, linear, matmul, permute, reshape, splitAt, take } from "@pullback/tensor/rrules";

/** What one forward pass needs besides the parameters. */
export interface Step {
  batch: number;
  time: number;
  heads: number;
  width: number;
  /** Dropout probability (0 when not training). */
  dropout: number;
  /** Philox seed of this step's dropout masks; each dropout site uses its own offset. */
  seed: number;
  /**
   * A (B·T, V) buffer for the logits, reused across steps so the largest activation is not
   * allocated (and page-faulted) every step. The logits (then ∂logits) are written into it.
   */
  logitsBuffer?: Tensor;
}

/** Philox offset of dropout site `site` (0: attention probabilities, 1: attention output, 2: MLP output) of `layer`; −1 is the embedding. */
export function dropoutOffset(layer: number, site: number): number {
  return (layer + 1) * 3 + site;
}

/** One pre-LayerNorm transformer block: x + attention(LN1(x)), then + MLP(LN2(x)). */
export const block = (s: Step, layer: number) =>
  ad(([x, { ln1: { w: ln1w, b: ln1b }, attn: { wqkv, bqkv, wo, bo }, ln2: { w: ln2w, b: ln2b }, mlp: { w1, b1, w2, b2 } }]) => {
    const { batch: B, time: T, heads: H, width: C, dropout: p, seed } = s;
    const D = C / H;
    // ---- attention sub-block: x + dropout(attention(LN1(x))·wo + bo)
    const [[x1, skip1], __] = fork(x);
    const [h1, __1] = layerNorm([x1, ln1w, ln1b]);
    const [qkvRows, __2] = linear([h1, wqkv, bqkv]); // (B·T, 3C)
    const [qkv5, __3] = reshape(qkvRows, [B, T, 3, H, D]);
    const [qkvHeads, __4] = permute(qkv5, [2, 0, 3, 1, 4]); // (3, B, H, T, D): q, k, v stacked
    const [[q1, kv], __5] = splitAt(qkvHeads, 0, 1);
    const [[k1, v1], __6] = splitAt(kv, 0, 1);
    const [q, __7] = reshape(q1, [B, H, T, D]);
    const [k, __8] = reshape(k1, [B, H, T, D]);
    const [v, __9] = reshape(v1, [B, H, T, D]);
    // softmax(q·kᵀ/√D + causal mask)·v per head, fused; dropout on the probabilities
    const [heads, __10] = attention([q, k, v], { dropout: p, seed, offset: dropoutOffset(layer, 0) });
    const [headsByTime, __11] = permute(heads, [0, 2, 1, 3]); // (B, T, H, D)
    const [a, __12] = reshape(headsByTime, [B * T, C]);
    const [aOut, __13] = linear([a, wo, bo]);
    const [aDrop, __14] = dropout(aOut, p, seed, dropoutOffset(layer, 1));
    const [x2, __15] = add([skip1, aDrop]);
    // ---- MLP sub-block: x + dropout(gelu(LN2(x)·w1 + b1)·w2 + b2)
    const [[x3, skip2], __16] = fork(x2);
    const [h2, __17] = layerNorm([x3, ln2w, ln2b]);
    const [u, __18] = linear([h2, w1, b1]); // (B·T, M)
    const [g, __19] = gelu(u);
    const [m, __20] = linear([g, w2, b2]); // (B·T, C)
    const [mDrop, __21] = dropout(m, p, seed, dropoutOffset(layer, 2));
    const [y, __22] = add([skip2, mDrop]);
    return y;
  });

/** Logits (B·T, V) of `tokens` (B·T row-major) at `positions` (0 … T−1). */
export const logits = (s: Step, tokens: Int32Array, positions: Int32Array) =>
  ad(({ wte, wpe, blocks, lnf: { w: lnfw, b: lnfb }, head: { w: headw } }) => {
    const { batch: B, time: T, width: C } = s;
    const layers = blocks.length;
    // token embedding plus learned position embedding (broadcast over the batch), then dropout
    const [tok, __] = take(wte, tokens, [B, T]); // (B, T, C)
    const [pos, __1] = take(wpe, positions); // (T, C)
    const [emb, __2] = add([tok, pos]);
    const [embRows, __3] = reshape(emb, [B * T, C]);
    let [x, __4] = dropout(embRows, s.dropout, s.seed, dropoutOffset(-1, 0));
    // the blocks, each an rrule created for its layer
    let params;
    let __5;
    for (let l = 0; l < layers; l++) {
      [[params, blocks], __5] = splitFirst(blocks);
      [x, __5] = block(s, l)([x, params]);
    }
    const [_none, __6] = detach(blocks); // the emptied list
    // final LayerNorm and the untied linear head
    const [xf, __7] = layerNorm([x, lnfw, lnfb]);
    const [z, __8] = matmul([xf, headw], { out: s.logitsBuffer }); // (B·T, V)
    return z;
  });

/** Mean next-token cross-entropy of the batch. */
export const loss = (s: Step, tokens: Int32Array, positions: Int32Array, targets: Int32Array) =>
  ad((params) => {
    const [z, __] = logits(s, tokens, positions)(params);
    // z is dead after the loss: its buffer receives ∂z (no (B·T, V) allocation per step)
    const [l, __1] = crossEntropy(z, targets, { overwriteLogits: true });
    return l;
  });
