// @pullback/gpt2 — GPT-2 in .ad.ts (model.ad.ts), its presets and initialization, packaged as the
// model interface the trainer uses (trainable.ts: TrainableModel).
import { setAnomalyDetection, valueAndGrad } from "@pullback/ad";
import type { Rng, Tensor } from "@pullback/tensor";
import { validateConfig, type ModelConfig } from "./config.ts";
import { logits, loss, type Step } from "./model.ad.ts";
import { initParams, type GPT2Params } from "./params.ts";
import type { Batch, StepOptions, TrainableModel } from "./trainable.ts";

export { presets, validateConfig, type ModelConfig, type PresetName } from "./config.ts";
export { initParams, type BlockParams, type GPT2Params, type LayerNormParams } from "./params.ts";
export { block, dropoutOffset, hidden, logits, loss, type Step } from "./model.ad.ts";
export { blockExplicit } from "./block_explicit.ad.ts";
export { attentionFlops, gemmFlops, stepFlops, stepGemms, type GemmShape } from "./flops.ts";
export type { Batch, ParamTree, StepOptions, TrainableModel } from "./trainable.ts";
export { loadReference, referenceDir, referenceNames, type Reference, type ReferenceInfo, type ReferenceName } from "./reference.ts";

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function checkBatch(config: ModelConfig, batch: number, time: number, tokens: Int32Array, what: string): void {
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(time) || time < 1) {
    throw new Error(`gpt2 ${what}: batch ${batch} and time ${time} must be positive integers`);
  }
  if (time > config.context) throw new Error(`gpt2 ${what}: ${time} tokens per sequence exceed the context of ${config.context}`);
  if (tokens.length !== batch * time) throw new Error(`gpt2 ${what}: expected ${batch}·${time} = ${batch * time} tokens, got ${tokens.length}`);
}

/**
 * The arguments of `loss` after the parameters, [s, tokens, positions, targets], for `batch`
 * sequences of random tokens and targets (examples, benchmarks): `time` tokens each (default the
 * context), dropout off unless given.
 */
export function randomLossArgs(
  config: ModelConfig,
  batch: number,
  rng: Rng,
  options: { time?: number; dropout?: number; seed?: number } = {},
): [Step, Int32Array, Int32Array, Int32Array] {
  const time = options.time ?? config.context;
  const tokens = Int32Array.from({ length: batch * time }, () => rng.int(config.vocab));
  const targets = Int32Array.from({ length: batch * time }, () => rng.int(config.vocab));
  const s: Step = { batch, time, heads: config.heads, width: config.width, dropout: options.dropout ?? 0, seed: options.seed ?? 1 };
  checkBatch(config, batch, time, tokens, "randomLossArgs");
  return [s, tokens, range(time), targets];
}

/** GPT-2 of `config` as the trainer's model interface. */
export function createModel(config: ModelConfig): TrainableModel<GPT2Params> {
  validateConfig(config);
  const step = (batch: number, time: number, dropout: number, seed: number): Step => ({
    batch,
    time,
    heads: config.heads,
    width: config.width,
    dropout,
    seed,
  });
  const lossAndGrad = valueAndGrad(loss);
  return {
    config,
    initParams: (rng: Rng): GPT2Params => initParams(config, rng),
    /**
     * Mean cross-entropy and the gradient of every parameter, in the structure of `params`.
     * With `detectAnomaly`, every rrule checks what it computes and the first non-finite output
     * (forward) or cotangent (backward) throws an AnomalyError naming the op and its model.ad.ts line.
     */
    lossAndGrads(params: GPT2Params, b: Batch, options: StepOptions): [number, GPT2Params] {
      checkBatch(config, b.batch, b.context, b.tokens, "lossAndGrads");
      const s = step(b.batch, b.context, options.train ? config.dropout : 0, options.dropoutSeed);
      const previous = setAnomalyDetection(options.detectAnomaly ?? false);
      try {
        return lossAndGrad(params, s, b.tokens, range(b.context), b.targets) as [number, GPT2Params];
      } finally {
        setAnomalyDetection(previous);
      }
    },
    loss(params: GPT2Params, b: Batch): number {
      checkBatch(config, b.batch, b.context, b.tokens, "loss");
      return loss(params, step(b.batch, b.context, 0, 0), b.tokens, range(b.context), b.targets);
    },
    /** Logits (B·T, V), dropout off. */
    logits(params: GPT2Params, tokens: Int32Array, batch: number, time: number): Tensor {
      checkBatch(config, batch, time, tokens, "logits");
      return logits(params, step(batch, time, 0, 0), tokens, range(time));
    },
  };
}
