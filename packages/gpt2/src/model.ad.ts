// GPT-2 as plain TypeScript. The .ad.ts loader (@pullback/ad, implicit mode) gives every function
// here a generated rule, so `valueAndGrad(loss)` differentiates it: read this file top to bottom
// as the forward pass; `bun run ad:expand packages/gpt2/src/model.ad.ts` prints the generated
// backward pass after the last line.
//
// Shapes: B batch, T time (≤ context), C width, H heads, D = C/H head size, M MLP width, V vocab.
// The residual stream is kept as (B·T, C) rows so every projection is one GEMM (`linear` folds
// the bias into the GEMM's accumulator).
import type { Static } from "@pullback/ad";
import {
  add,
  addDropout,
  attentionRows,
  dropout,
  gelu,
  layerNorm,
  linear,
  linearCrossEntropy,
  matmul,
  reshape,
  take,
  type Tensor,
} from "@pullback/tensor";
import type { BlockParams, GPT2Params } from "./params.ts";

/** What one forward pass needs besides the parameters (never differentiated). */
export interface Step {
  batch: number;
  time: number;
  heads: number;
  width: number;
  /** Dropout probability (0 when not training). */
  dropout: number;
  /** Philox seed of this step's dropout masks; each dropout site uses its own offset. */
  seed: number;
}

/** Philox offset of dropout site `site` (0: attention probabilities, 1: attention output, 2: MLP output) of `layer`; −1 is the embedding. */
export function dropoutOffset(layer: Static<number>, site: Static<number>): number {
  return (layer + 1) * 3 + site;
}

/** One pre-LayerNorm transformer block: x + attention(LN1(x)), then + MLP(LN2(x)). */
export function block(x: Tensor, p: BlockParams, s: Static<Step>, layer: Static<number>): Tensor {
  const { batch: B, heads: H, dropout: pDrop, seed } = s;
  // ---- attention sub-block: x + dropout(attention(LN1(x))·wo + bo)
  const qkv = linear(layerNorm(x, p.ln1.w, p.ln1.b), p.attn.wqkv, p.attn.bqkv); // (B·T, 3C): q | k | v, head h at h·D of each
  // softmax(q·kᵀ/√D + causal mask)·v per head, fused, read straight from the qkv rows; dropout on
  // the probabilities; the heads come out side by side per position (B·T, C)
  const a = attentionRows(qkv, H, B, { dropout: pDrop, seed, offset: dropoutOffset(layer, 0) });
  // x + dropout(…) is one fused op (addDropout): one pass, the same mask and bits as add(x, dropout(…))
  x = addDropout(x, linear(a, p.attn.wo, p.attn.bo), pDrop, seed, dropoutOffset(layer, 1));
  // ---- MLP sub-block: x + dropout(gelu(LN2(x)·w1 + b1)·w2 + b2)
  const h = gelu(linear(layerNorm(x, p.ln2.w, p.ln2.b), p.mlp.w1, p.mlp.b1)); // (B·T, M)
  return addDropout(x, linear(h, p.mlp.w2, p.mlp.b2), pDrop, seed, dropoutOffset(layer, 2));
}

/** The final hidden states (B·T, C) of `tokens` (B·T row-major) at `positions` (0 … T−1). */
export function hidden(p: GPT2Params, s: Static<Step>, tokens: Int32Array, positions: Int32Array): Tensor {
  const { batch: B, time: T, width: C } = s;
  // token embedding plus learned position embedding (broadcast over the batch), then dropout
  const emb = add(take(p.wte, tokens, [B, T]), take(p.wpe, positions)); // (B, T, C)
  let x = dropout(reshape(emb, [B * T, C]), s.dropout, s.seed, dropoutOffset(-1, 0));
  for (let l = 0; l < p.blocks.length; l++) x = block(x, p.blocks[l], s, l);
  return layerNorm(x, p.lnf.w, p.lnf.b); // the final LayerNorm
}

/** Logits (B·T, V): the untied linear head on the final hidden states. */
export function logits(p: GPT2Params, s: Static<Step>, tokens: Int32Array, positions: Int32Array): Tensor {
  return matmul(hidden(p, s, tokens, positions), p.head.w); // (B·T, V)
}

/** Mean next-token cross-entropy of the batch. */
export function loss(p: GPT2Params, s: Static<Step>, tokens: Int32Array, positions: Int32Array, targets: Int32Array): number {
  // crossEntropy(matmul(h, head.w), targets), fused: the (B·T, V) logits are never held whole
  return linearCrossEntropy(hidden(p, s, tokens, positions), p.head.w, targets);
}
