// The JAX reference data of tools/reference (`bun run reference:parity` writes it into
// packages/gpt2/reference/): for the `tiny` preset, fixed weights and a fixed batch, the loss,
// every parameter gradient and the losses of 5 Adam steps. The parity harness of the trainer
// (apps/train/src/parity.ts) and the tests read it through `loadReference`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSafetensors, Tensor, type SafetensorsFile } from "@pullback/tensor";

/** The references there are: `tiny` (GPT-2 initialization) and `tiny-perturbed` (weights moved off it). */
export const referenceNames = ["tiny", "tiny-perturbed"] as const;
export type ReferenceName = (typeof referenceNames)[number];

/** The folder of `<name>.safetensors` and `<name>.json`. */
export const referenceDir = join(import.meta.dir, "../reference");

/** The fields of `<name>.json` that are read here (tools/reference/gpt2_reference.py writes more). */
export interface ReferenceInfo {
  generator: string;
  /** Every parameter, dotted (`blocks.0.attn.wqkv`), in the canonical order. */
  names: string[];
  loss: number;
  batch: { B: number; T: number };
  grads: Record<string, { shape: number[]; norm: number; max_abs: number }>;
  adam: { steps: number; lr: number; beta1: number; beta2: number; eps: number; losses: number[] };
}

export interface Reference {
  name: ReferenceName;
  info: ReferenceInfo;
  /** The safetensors file: every parameter by its dotted name, its gradient as `grad.<name>`, `tokens` and `targets`. */
  file: SafetensorsFile;
  /** The float tensors of the file by name (parameters and `grad.<name>`). */
  named: Record<string, Tensor>;
  /** The batch, (B, T) row-major; `targets` are `tokens` shifted by one. */
  tokens: Int32Array;
  targets: Int32Array;
}

/** Reads reference `name` from `referenceDir`; the error names the file when one is missing or unreadable. */
export function loadReference(name: ReferenceName): Reference {
  if (!referenceNames.includes(name)) throw new Error(`gpt2 reference: "${name}" is not one of ${referenceNames.join(", ")}`);
  const file = loadSafetensors(join(referenceDir, `${name}.safetensors`));
  const info = JSON.parse(readFileSync(join(referenceDir, `${name}.json`), "utf8")) as ReferenceInfo;
  const named: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(file.tensors)) if (v instanceof Tensor) named[k] = v;
  const { tokens, targets } = file.tensors;
  if (!(tokens instanceof Int32Array) || !(targets instanceof Int32Array))
    throw new Error(`gpt2 reference ${name}: tokens and targets must be I32 tensors`);
  return { name, info, file, named, tokens, targets };
}
