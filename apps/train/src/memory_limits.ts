// Sizes checked before anything is allocated: a batch or a model that cannot fit is an error that
// says what is too large and by how much, instead of a RangeError from deep inside a step.
import { totalmem } from "node:os";
import type { ModelConfig } from "@pullback/gpt2";

/** The largest ArrayBuffer Bun (JavaScriptCore) allocates: 4 GiB. Every tensor is one. */
export const MAX_ARRAY_BYTES = 2 ** 32;

/** A run that cannot fit in memory; the CLIs print the message. */
export class MemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MemoryError";
  }
}

/** "512 B", "3.0 MiB", "59.6 GiB", "1.2 TiB". */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** GPT-2's parameter count for `config` (the tensors of @pullback/gpt2's initParams). */
export function parameterCount(config: ModelConfig): number {
  const { vocab: V, context: T, width: C, mlp: M, layers: L } = config;
  const block = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (C * M + M) + (M * C + C);
  return V * C + T * C + L * block + 2 * C + C * V;
}

interface Array1 {
  what: string;
  shape: string;
  bytes: number;
}

function checkArrays(arrays: Array1[]): void {
  for (const a of arrays) {
    if (a.bytes > MAX_ARRAY_BYTES) {
      throw new MemoryError(
        `${a.what} ${a.shape} would be one array of ${formatBytes(a.bytes)}; the largest array Bun can allocate is ${formatBytes(MAX_ARRAY_BYTES)}`,
      );
    }
  }
}

function modelArrays(config: ModelConfig): Array1[] {
  const { vocab: V, context: T, width: C, mlp: M } = config;
  return [
    { what: "the token embedding wte", shape: `(${V}, ${C})`, bytes: 4 * V * C },
    { what: "the position embedding wpe", shape: `(${T}, ${C})`, bytes: 4 * T * C },
    { what: "the attention weight wqkv", shape: `(${C}, ${3 * C})`, bytes: 12 * C * C },
    { what: "the MLP weight w1", shape: `(${C}, ${M})`, bytes: 4 * C * M },
  ];
}

/**
 * Throws MemoryError unless the parameters of `config` fit, `copies` times (1 to sample; 4 to
 * train: parameters, gradients, Adam m and v), in `available` bytes, each tensor within one array.
 */
export function checkModelMemory(config: ModelConfig, copies = 1, available = totalmem()): void {
  checkArrays(modelArrays(config));
  const p = parameterCount(config);
  if (copies * 4 * p > available) {
    throw new MemoryError(
      `the model has ${p.toLocaleString("en-US")} parameters: ${copies} float32 copies take ${formatBytes(copies * 4 * p)}, more than this machine's ${formatBytes(available)} of memory`,
    );
  }
}

/**
 * Throws MemoryError when a training step of `config` at `batch` sequences × `context` tokens
 * cannot fit: one of its arrays is larger than an array can be, or a lower bound of what a step
 * keeps alive (parameters, gradients and Adam moments; the logits; one activation of width C per
 * layer) is larger than `available` (default: the machine's memory).
 */
export function checkTrainingMemory(config: ModelConfig, batch: number, context: number, available = totalmem()): void {
  const rows = batch * context;
  const { vocab: V, width: C, mlp: M, layers: L } = config;
  checkArrays([
    { what: "the batch's token ids", shape: `(${batch} × ${context} int32)`, bytes: 4 * rows },
    { what: "the logits", shape: `(${rows}, ${V})`, bytes: 4 * rows * V },
    { what: "the MLP activation of a layer", shape: `(${rows}, ${M})`, bytes: 4 * rows * M },
    { what: "the attention's q, k, v of a layer", shape: `(${rows}, ${3 * C})`, bytes: 12 * rows * C },
    ...modelArrays(config),
  ]);
  const params = 16 * parameterCount(config),
    logits = 4 * rows * V,
    activations = 4 * rows * C * L;
  const total = params + logits + activations;
  if (total > available) {
    throw new MemoryError(
      `a training step at batch ${batch} × ${context} needs at least ${formatBytes(total)} ` +
        `(parameters, gradients and Adam moments ${formatBytes(params)}; logits ${formatBytes(logits)}; activations ${formatBytes(activations)} or more), ` +
        `more than this machine's ${formatBytes(available)} of memory`,
    );
  }
}
