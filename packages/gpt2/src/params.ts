// GPT-2's parameters as a plain nested structure of Tensors (gradients come back in the same
// structure), and GPT-2's initialization.
import { Tensor, type Rng } from "@pullback/tensor";
import type { ModelConfig } from "./config.ts";

// Type aliases, not interfaces: an object type alias is a ParamTree (trainable.ts), an interface
// has no index signature and is not.
export type LayerNormParams = {
  w: Tensor; // (C)
  b: Tensor; // (C)
};

export type BlockParams = {
  ln1: LayerNormParams;
  attn: { wqkv: Tensor; bqkv: Tensor; wo: Tensor; bo: Tensor }; // (C, 3C), (3C), (C, C), (C)
  ln2: LayerNormParams;
  mlp: { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor }; // (C, M), (M), (M, C), (C)
};

export type GPT2Params = {
  wte: Tensor; // (V, C) token embedding
  wpe: Tensor; // (context, C) position embedding
  blocks: BlockParams[];
  lnf: LayerNormParams;
  head: { w: Tensor }; // (C, V), untied, no bias
};

/**
 * GPT-2 initialization: weights ~ N(0, 0.02), the two residual projections of each block
 * (attn.wo, mlp.w2) ~ N(0, 0.02/√(2·layers)) so the residual stream's variance does not grow
 * with depth; biases 0; LayerNorm gain 1, shift 0. Drawn from `rng` in a fixed order.
 */
export function initParams(config: ModelConfig, rng: Rng): GPT2Params {
  const { vocab: V, context, width: C, mlp: M, layers } = config;
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * layers);
  const normal = (shape: number[], s: number) => Tensor.randn(shape, { rng, std: s });
  const layerNorm = (): LayerNormParams => ({ w: Tensor.ones([C]), b: Tensor.zeros([C]) });
  const wte = normal([V, C], std);
  const wpe = normal([context, C], std);
  const blocks: BlockParams[] = [];
  for (let l = 0; l < layers; l++) {
    blocks.push({
      ln1: layerNorm(),
      attn: { wqkv: normal([C, 3 * C], std), bqkv: Tensor.zeros([3 * C]), wo: normal([C, C], residualStd), bo: Tensor.zeros([C]) },
      ln2: layerNorm(),
      mlp: { w1: normal([C, M], std), b1: Tensor.zeros([M]), w2: normal([M, C], residualStd), b2: Tensor.zeros([C]) },
    });
  }
  return { wte, wpe, blocks, lnf: layerNorm(), head: { w: normal([C, V], std) } };
}
