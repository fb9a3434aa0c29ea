// Model sizes. `seed` is proc-macro-gpt's configuration; `tiny` is for tests and the parity
// reference; `gpt2` is GPT-2 small (124M).

export interface ModelConfig {
  /** Vocabulary size V. */
  vocab: number;
  /** Maximum sequence length (rows of the position embedding). */
  context: number;
  layers: number;
  heads: number;
  /** Residual width C (head dimension D = C / heads). */
  width: number;
  /** Hidden width M of the MLP. */
  mlp: number;
  /** Dropout probability after the embeddings, on attention probabilities and on both residual branches. */
  dropout: number;
}

export type PresetName = "seed" | "tiny" | "gpt2";

export const presets: Record<PresetName, ModelConfig> = {
  seed: { vocab: 8000, context: 128, layers: 8, heads: 16, width: 64, mlp: 256, dropout: 0.2 },
  tiny: { vocab: 128, context: 16, layers: 2, heads: 4, width: 32, mlp: 128, dropout: 0.0 },
  gpt2: { vocab: 50257, context: 1024, layers: 12, heads: 12, width: 768, mlp: 3072, dropout: 0.1 },
};

/** Throws an Error naming the field unless `config` describes a buildable model. */
export function validateConfig(config: ModelConfig): void {
  for (const key of ["vocab", "context", "layers", "heads", "width", "mlp"] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new Error(`model config: ${key} must be a positive integer, got ${v}`);
  }
  if (config.width % config.heads !== 0) {
    throw new Error(`model config: width ${config.width} is not divisible by heads ${config.heads}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`model config: dropout must be in [0, 1), got ${config.dropout}`);
}
