// Adam / AdamW over a nested structure of parameters. The update itself is the `adamUpdate` op of
// @pullback/tensor (the Zig kernel for float32, its reference for float64).
import { adamUpdate } from "@pullback/tensor";
import type { ParamTree } from "@pullback/gpt2";
import { namedTensors, zerosLike } from "./params.ts";

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamState<P extends ParamTree = ParamTree> {
  m: P;
  v: P;
  /** Updates done so far (the next update uses step + 1 for bias correction). */
  step: number;
}

export function initAdam<P extends ParamTree>(params: P): AdamState<P> {
  return { m: zerosLike(params), v: zerosLike(params), step: 0 };
}

/**
 * One Adam update of every parameter in place (params, state.m, state.v); increments state.step.
 * Weight decay (AdamW) applies to matrices only (ndim ≥ 2: embeddings and weights), not to
 * biases and LayerNorm parameters, as GPT-2 / nanoGPT do.
 */
export function adamStep<P extends ParamTree>(params: P, grads: P, state: AdamState<P>, hyper: AdamHyper): void {
  state.step += 1;
  const decayed = { ...hyper, step: state.step };
  const plain = { ...decayed, weightDecay: 0 };
  const ps = namedTensors(params),
    gs = namedTensors(grads),
    ms = namedTensors(state.m),
    vs = namedTensors(state.v);
  if (gs.length !== ps.length) throw new Error(`adamStep: ${gs.length} gradients for ${ps.length} parameters`);
  for (let i = 0; i < ps.length; i++) {
    const [name, p] = ps[i];
    const g = gs[i][1];
    if (gs[i][0] !== name || g.size !== p.size) throw new Error(`adamStep: gradient "${gs[i][0]}" does not match parameter "${name}"`);
    const options = p.ndim >= 2 ? decayed : plain;
    adamUpdate(p.data, g.data, ms[i][1].data, vs[i][1].data, options);
  }
}
