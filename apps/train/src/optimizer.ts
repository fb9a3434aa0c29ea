// Adam / AdamW over a nested structure of parameters. The update itself is the `adamUpdate` op of
// @pullback/tensor (a Zig kernel) when that op is available; otherwise a plain TypeScript loop with
// the same math, so the trainer's state handling can be tested on its own.
import * as tensor from "@pullback/tensor";
import { flattenTree, zerosLike, type ParamTree } from "./model.ts";

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

type AdamOptions = AdamHyper & { step: number };
type AdamFn = (params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, options: AdamOptions) => void;

/** p -= lr·(m̂/(√v̂ + eps) + wd·p), with m̂, v̂ bias-corrected by the 1-based `step` (AdamW). */
export function adamUpdateTs(p: Float32Array | Float64Array, g: Float32Array | Float64Array, m: Float32Array | Float64Array, v: Float32Array | Float64Array, o: AdamOptions): void {
  const c1 = 1 - o.beta1 ** o.step, c2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
    p[i] -= o.lr * (m[i] / c1 / (Math.sqrt(v[i] / c2) + o.eps) + o.weightDecay * p[i]);
  }
}

const kernel = (tensor as Record<string, unknown>).adamUpdate as AdamFn | undefined;

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
  const ps = flattenTree(params), gs = flattenTree(grads), ms = flattenTree(state.m), vs = flattenTree(state.v);
  if (gs.length !== ps.length) throw new Error(`adamStep: ${gs.length} gradients for ${ps.length} parameters`);
  for (let i = 0; i < ps.length; i++) {
    const [name, p] = ps[i];
    const g = gs[i][1];
    if (gs[i][0] !== name || g.size !== p.size) throw new Error(`adamStep: gradient "${gs[i][0]}" does not match parameter "${name}"`);
    const options = p.ndim >= 2 ? decayed : plain;
    const useKernel = kernel && p.data instanceof Float32Array && g.data instanceof Float32Array;
    if (useKernel) kernel(p.data as Float32Array, g.data as Float32Array, ms[i][1].data as Float32Array, vs[i][1].data as Float32Array, options);
    else adamUpdateTs(p.data, g.data, ms[i][1].data, vs[i][1].data, options);
  }
}
