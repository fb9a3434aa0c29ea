// The three places where the trainer meets parts written elsewhere: the GPT-2 model
// (@pullback/gpt2, `.ad.ts`), the corpus pipeline (@pullback/corpus) and its vocabulary.
// They are loaded dynamically so that everything else in apps/train works (and is tested) before
// those packages exist. TODO(lead): wire these to the merged packages' real APIs.
import type { Batch, ModelConfig, TrainableModel } from "./model.ts";

/** A seeded batch loader whose position can be saved in a checkpoint and restored. */
export interface BatchLoader {
  next(): Batch;
  state(): unknown;
  restore(state: unknown): void;
}

export interface Vocabulary {
  size: number;
  /** Id of <|endoftext|> in the reduced vocabulary. */
  endOfText: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

export interface TrainingData {
  train: BatchLoader;
  /** Validation batches (held-out stories or --valid); undefined when there is no validation text. */
  valid?: BatchLoader;
  vocabulary: Vocabulary;
  /** Path of the vocabulary file, copied into the run folder beside the checkpoints. */
  vocabularyFile: string;
}

export interface DataRequest {
  corpus?: string;
  valid?: string;
  vocab: number;
  batch: number;
  context: number;
  seed: number;
}

/** A part of the system that is not wired in yet: a clear message, exit status 1. */
export class NotWiredError extends Error {
  constructor(what: string, detail: string) {
    super(`${what} is not available yet: ${detail}`);
    this.name = "NotWiredError";
  }
}

async function importOptional(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (e) {
    if (String((e as Error)?.message ?? e).includes(name)) return undefined;
    throw e;
  }
}

/** The GPT-2 of @pullback/gpt2 for `config` (expects an export `createModel(config): TrainableModel`). */
export async function loadModel(config: ModelConfig): Promise<TrainableModel> {
  const mod = await importOptional("@pullback/gpt2");
  const create = mod?.createModel as ((c: ModelConfig) => TrainableModel) | undefined;
  if (!create) throw new NotWiredError("the GPT-2 model", "@pullback/gpt2 with an export createModel(config): TrainableModel (apps/train/src/model.ts) is not installed");
  return create(config);
}

/** Tokenized corpus and batch loaders (expects an export `loadTrainingData(request): Promise<TrainingData>`). */
export async function loadTrainingData(request: DataRequest): Promise<TrainingData> {
  const mod = await importOptional("@pullback/corpus");
  const load = mod?.loadTrainingData as ((r: DataRequest) => Promise<TrainingData>) | undefined;
  if (!load) throw new NotWiredError("the corpus pipeline", "@pullback/corpus with loadTrainingData(request) (apps/train/src/plug.ts) is not installed");
  return load(request);
}

/** The vocabulary saved beside a checkpoint (expects an export `loadVocabulary(path): Vocabulary`). */
export async function loadVocabulary(path: string): Promise<Vocabulary> {
  const mod = await importOptional("@pullback/corpus");
  const load = mod?.loadVocabulary as ((p: string) => Vocabulary | Promise<Vocabulary>) | undefined;
  if (!load) throw new NotWiredError("the vocabulary loader", "@pullback/corpus with loadVocabulary(path) is not installed");
  return load(path);
}
