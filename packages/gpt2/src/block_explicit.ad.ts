// One GPT-2 block in proc-macro-gpt's rrule-call convention (explicit mode, docs/ad.md): every
// `const [y, __k] = op(x, …)` is an rrule call, every reused value is forked. It computes exactly
// what `block` of model.ad.ts (implicit mode, plain TypeScript) computes, and
// test/block_explicit.test.ts checks that both give the same output and gradients. Compare
// `bun run ad:expand` of the two files to see the same pullback generated from both styles.
//
// Shapes: B batch, T time, C width, H heads, D = C/H head size, M MLP width.
import { ad, fork } from "@pullback/ad";
import { addDropout, attentionRows, gelu, layerNorm, linear } from "@pullback/tensor/rrules";
import { dropoutOffset, type Step } from "./model.ad.ts";

/** One pre-LayerNorm transformer block: x + attention(LN1(x)), then + MLP(LN2(x)). */
export const blockExplicit = (s: Step, layer: number) =>
  ad(
    ([
      x,
      {
        ln1: { w: ln1w, b: ln1b },
        attn: { wqkv, bqkv, wo, bo },
        ln2: { w: ln2w, b: ln2b },
        mlp: { w1, b1, w2, b2 },
      },
    ]) => {
      const { batch: B, heads: H, dropout: p, seed } = s;
      // ---- attention sub-block: x + dropout(attention(LN1(x))·wo + bo)
      const [[x1, skip1], __] = fork(x);
      const [h1, __1] = layerNorm([x1, ln1w, ln1b]);
      const [qkv, __2] = linear([h1, wqkv, bqkv]); // (B·T, 3C): q | k | v, head h at h·D of each
      // softmax(q·kᵀ/√D + causal mask)·v per head, fused, read straight from the qkv rows; dropout
      // on the probabilities; the heads come out side by side per position (B·T, C)
      const [a, __3] = attentionRows(qkv, H, B, { dropout: p, seed, offset: dropoutOffset(layer, 0) });
      const [aOut, __4] = linear([a, wo, bo]);
      const [x2, __5] = addDropout([skip1, aOut], p, seed, dropoutOffset(layer, 1)); // skip1 + dropout(aOut), fused
      // ---- MLP sub-block: x + dropout(gelu(LN2(x)·w1 + b1)·w2 + b2)
      const [[x3, skip2], __6] = fork(x2);
      const [h2, __7] = layerNorm([x3, ln2w, ln2b]);
      const [u, __8] = linear([h2, w1, b1]); // (B·T, M)
      const [g, __9] = gelu(u);
      const [m, __10] = linear([g, w2, b2]); // (B·T, C)
      const [y, __11] = addDropout([skip2, m], p, seed, dropoutOffset(layer, 2));
      return y;
    },
  );
