// The interface between the trainer (apps/train) and a model. The trainer never does model math:
// it asks a TrainableModel for initial parameters, for the loss and gradients of a batch, and for
// logits. `createModel` (index.ts) implements it for GPT-2; the trainer's tests implement it with
// small stand-in models.
import type { Rng, Tensor } from "@pullback/tensor";
import type { ModelConfig } from "./config.ts";

/** Parameters (and gradients, and optimizer moments): a plain nested structure of Tensors. */
export type ParamTree = Tensor | ParamTree[] | { [key: string]: ParamTree };

/** A batch of B sequences of T tokens and their next-token targets, row-major (B·T). */
export interface Batch {
  tokens: Int32Array;
  targets: Int32Array;
  batch: number;
  context: number;
}

export interface StepOptions {
  /** Seed of the Philox stream for this step's dropout masks (the model picks its offsets). */
  dropoutSeed: number;
  /** Dropout on (training) or off (evaluation, parity tests). */
  train: boolean;
  /** --detect-anomaly: check every op's output and name the first non-finite one and its `.ad.ts` location. */
  detectAnomaly?: boolean;
}

export interface TrainableModel<P extends ParamTree = ParamTree> {
  readonly config: ModelConfig;
  /** Fresh parameters following the GPT-2 init scheme, drawn from `rng`. */
  initParams(rng: Rng): P;
  /** Mean cross-entropy of the batch and the gradient of every parameter (same structure as `params`). */
  lossAndGrads(params: P, batch: Batch, options: StepOptions): [number, P];
  /** Mean cross-entropy without gradients (validation). */
  loss(params: P, batch: Batch): number;
  /** Logits (B·T, vocab) of `tokens` (B·T row-major, T ≤ context), dropout off. */
  logits(params: P, tokens: Int32Array, batch: number, context: number): Tensor;
}
