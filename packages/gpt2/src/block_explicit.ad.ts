// One GPT-2 block in proc-macro-gpt's rrule-call convention (explicit mode, docs/ad.md): every
// `const [y, __k] = op(x, …)` is an rrule call, every reused value is forked. It computes exactly
// what `block` of model.ad.ts (implicit mode, plain TypeScript) computes, and
// test/block_explicit.test.ts checks that both give the same output and gradients. Compare
// `bun run ad:expand` of the two files to see the same pullback generated from both styles.
//
// Shapes: B batch, T time, C width, H heads, D = C/H head size, M MLP width.
import { ad, fork } from "@pullback/ad";
import { add, attention, dropout, gelu, layerNorm, linear, permute, reshape, splitAt } from "@pullback/tensor/rrules";
import { dropoutOffset, type Step } from "./model.ad.ts";

/** One pre-LayerNorm transformer block: x + attention(LN1(x)), then + MLP(LN2(x)). */
export const blockExplicit = (s: Step, layer: number) =>
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
