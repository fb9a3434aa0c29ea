// Corpus: a tiny GPT in implicit mode — token and position embeddings (take), a loop over blocks
// (parameter objects), pre-norm attention and MLP with residuals, tied output embeddings (wte used
// twice), crossEntropy as a number. Helpers are local functions; the config only shapes tensors.
import { add, attention, crossEntropy, gelu, layerNorm, linear, matmul, permute, reshape, splitAt, take, type Tensor } from "@pullback/tensor";

export interface Linear {
  w: Tensor;
  b: Tensor;
}
export interface Block {
  ln1: Linear;
  qkv: Linear;
  proj: Linear;
  ln2: Linear;
  fc: Linear;
  out: Linear;
}
export interface Gpt {
  wte: Tensor;
  wpe: Tensor;
  blocks: Block[];
  lnf: Linear;
}

/** (T, C) → (1, H, T, C/H). */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [T, C] = x.shape;
  return permute(reshape(x, [1, T, heads, C / heads]), [0, 2, 1, 3]);
}

function attend(x: Tensor, p: Block, heads: number): Tensor {
  const [T, C] = x.shape;
  const qkv = linear(x, p.qkv.w, p.qkv.b);
  const [q, kv] = splitAt(qkv, 1, C);
  const [k, v] = splitAt(kv, 1, C);
  const y = attention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads));
  return linear(reshape(permute(y, [0, 2, 1, 3]), [T, C]), p.proj.w, p.proj.b);
}

function mlp(x: Tensor, p: Block): Tensor {
  return linear(gelu(linear(x, p.fc.w, p.fc.b)), p.out.w, p.out.b);
}

/** The mean next-token loss of `tokens` against `targets`. */
export function gptLoss(model: Gpt, tokens: Int32Array, targets: Int32Array, cfg: { heads: number }): number {
  const positions = new Int32Array(tokens.length);
  for (let i = 0; i < positions.length; i++) positions[i] = i;
  let x = add(take(model.wte, tokens), take(model.wpe, positions));
  for (const block of model.blocks) {
    x = add(x, attend(layerNorm(x, block.ln1.w, block.ln1.b), block, cfg.heads));
    x = add(x, mlp(layerNorm(x, block.ln2.w, block.ln2.b), block));
  }
  const h = layerNorm(x, model.lnf.w, model.lnf.b);
  const logits = matmul(h, permute(model.wte, [1, 0]));
  return crossEntropy(logits, targets);
}
