// The interface between the trainer and a model. The trainer never does model math: it asks a
// TrainableModel for initial parameters, for the loss and gradients of a batch, and for logits.
// The GPT-2 of @pullback/gpt2 (written in `.ad.ts`) implements it.
import { Tensor, type Rng } from "@pullback/tensor";

export { presets, type ModelConfig, type PresetName } from "@pullback/gpt2";
import type { ModelConfig } from "@pullback/gpt2";

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

// ---------------------------------------------------------------------------- tree utilities

/** Every Tensor of a tree with its dotted name (`blocks.0.attn.wqkv`), in a fixed order. */
export function flattenTree(tree: ParamTree, prefix = ""): [string, Tensor][] {
  if (tree instanceof Tensor) return [[prefix, tree]];
  const out: [string, Tensor][] = [];
  const entries: [string, ParamTree][] = Array.isArray(tree) ? tree.map((t, i) => [String(i), t]) : Object.entries(tree);
  for (const [key, child] of entries) out.push(...flattenTree(child, prefix ? `${prefix}.${key}` : key));
  return out;
}

/** A tree of the same structure with `f` applied to every Tensor. */
export function mapTree<P extends ParamTree>(tree: P, f: (t: Tensor, name: string) => Tensor, prefix = ""): P {
  if (tree instanceof Tensor) return f(tree, prefix) as P;
  const name = (key: string) => (prefix ? `${prefix}.${key}` : key);
  if (Array.isArray(tree)) return tree.map((t, i) => mapTree(t, f, name(String(i)))) as P;
  const out: Record<string, ParamTree> = {};
  for (const [key, child] of Object.entries(tree)) out[key] = mapTree(child, f, name(key));
  return out as P;
}

/** Zeros shaped like every Tensor of `tree` (optimizer moments). */
export function zerosLike<P extends ParamTree>(tree: P): P {
  return mapTree(tree, (t) => Tensor.zeros(t.shape, t.dtype));
}

/** Saved tensors that do not fit the model (a checkpoint of another config); the CLIs print the message. */
export class ParamMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParamMismatchError";
  }
}

/**
 * Rebuilds a tree shaped like `template` from named tensors (as loaded from a checkpoint):
 * every name must be present with the template's shape; `what` names the source in errors.
 */
export function unflattenLike<P extends ParamTree>(template: P, named: Record<string, Tensor>, what: string): P {
  return mapTree(template, (t, name) => {
    const found = named[name];
    if (!found) throw new ParamMismatchError(`${what}: tensor "${name}" is missing`);
    if (found.shape.join(",") !== t.shape.join(",")) {
      throw new ParamMismatchError(`${what}: tensor "${name}" has shape (${found.shape.join(", ")}), the model expects (${t.shape.join(", ")})`);
    }
    return found.dtype === t.dtype ? found : found.to(t.dtype);
  });
}
