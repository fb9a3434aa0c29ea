// The arithmetic of one training step (forward + backward) of GPT-2: every GEMM the model runs,
// with its shape and how many times per step, and the FLOPs of causal attention. `bench:train`
// times these GEMM shapes in isolation to measure the roof: the step's FLOPs at that rate.
import type { ModelConfig } from "./config.ts";

/** One GEMM shape of the step: C (m, n) = op(A)·op(B) with inner size k, run `count` times. */
export interface GemmShape {
  /** What it computes, e.g. "block mlp.w1 forward". */
  name: string;
  m: number;
  n: number;
  k: number;
  /** A is stored (k, m) (its transpose is used). */
  transA: boolean;
  /** B is stored (n, k). */
  transB: boolean;
  count: number;
}

/**
 * The GEMMs of one forward + backward pass over `batch` sequences of `time` tokens. Each dense
 * layer y = x·W (x: N × in, W: in × out, N = batch·time) runs three GEMMs: y = x·W forward, then
 * ∂x = ∂y·Wᵀ and ∂W = xᵀ·∂y backward.
 */
export function stepGemms(config: ModelConfig, batch: number, time: number): GemmShape[] {
  const N = batch * time,
    C = config.width,
    L = config.layers;
  const dense = (name: string, input: number, output: number, count: number): GemmShape[] => [
    { name: `${name} forward`, m: N, n: output, k: input, transA: false, transB: false, count },
    { name: `${name} ∂x`, m: N, n: input, k: output, transA: false, transB: true, count },
    { name: `${name} ∂W`, m: input, n: output, k: N, transA: true, transB: false, count },
  ];
  return [
    ...dense("attn.wqkv", C, 3 * C, L),
    ...dense("attn.wo", C, C, L),
    ...dense("mlp.w1", C, config.mlp, L),
    ...dense("mlp.w2", config.mlp, C, L),
    ...dense("head", C, config.vocab, 1),
  ];
}

export const gemmFlops = (g: GemmShape): number => 2 * g.m * g.n * g.k * g.count;

/**
 * FLOPs of causal attention in one forward + backward pass: per (sequence, head), the forward
 * computes S = Q·Kᵀ and O = P·V over the T(T+1)/2 causal pairs (2 FLOPs per pair and head
 * dimension each); the backward ∂V = Pᵀ·∂O, ∂P = ∂O·Vᵀ, ∂Q = ∂S·K and ∂K = ∂Sᵀ·Q (four more).
 */
export function attentionFlops(config: ModelConfig, batch: number, time: number): number {
  const D = config.width / config.heads;
  const pairs = (time * (time + 1)) / 2;
  return config.layers * batch * config.heads * pairs * D * 2 * 6;
}

/** All GEMM and attention FLOPs of one training step (elementwise work is not counted). */
export function stepFlops(config: ModelConfig, batch: number, time: number): number {
  return stepGemms(config, batch, time).reduce((s, g) => s + gemmFlops(g), 0) + attentionFlops(config, batch, time);
}
