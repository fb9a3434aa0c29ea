// Where the trainer meets the model (@pullback/gpt2, written in `.ad.ts`) and the corpus
// (@pullback/corpus): adapters from their APIs to the small interfaces the loop uses.
import { BatchLoader as WindowLoader, prepareCorpus, Vocab, type BatchState } from "@pullback/corpus";
import { createModel, validateConfig, type Batch, type ModelConfig, type TrainableModel } from "@pullback/gpt2";

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
  log?: (line: string) => void;
}

/** Raised for data that cannot be loaded; the CLI prints its message and exits 1. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

/** A model config that does not describe a GPT-2 (from a checkpoint); the CLIs print the message. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelConfigError";
  }
}

/** The GPT-2 of @pullback/gpt2 for `config` (checked first: ModelConfigError names the field). */
export async function loadModel(config: ModelConfig): Promise<TrainableModel> {
  try {
    validateConfig(config);
  } catch (e) {
    throw new ModelConfigError((e as Error).message);
  }
  return createModel(config);
}

function loaderOver(tokens: Uint16Array, batch: number, context: number, seed: number): BatchLoader {
  const windows = new WindowLoader(tokens, batch, context, seed);
  return {
    next(): Batch {
      const b = windows.next();
      return { tokens: b.inputs, targets: b.targets, batch, context };
    },
    state: () => windows.getState(),
    restore: (state) => windows.setState(state as BatchState),
  };
}

/** Adapts the corpus vocabulary to the trainer's. */
export function vocabularyOf(vocab: Vocab): Vocabulary {
  return {
    size: vocab.size,
    endOfText: vocab.eot,
    encode: (text) => Array.from(vocab.encode(text)),
    decode: (ids) => vocab.decode(ids),
  };
}

/** Tokenized corpus (downloaded and cached by @pullback/corpus) and the batch loaders. */
export async function loadTrainingData(request: DataRequest): Promise<TrainingData> {
  const prepared = await prepareCorpus({ corpus: request.corpus, valid: request.valid, vocabSize: request.vocab, log: request.log });
  const { train, valid, vocab, files } = prepared;
  const window = request.context + 1;
  if (train.length < window) throw new DataError(`the training text has ${train.length} tokens, fewer than one window of ${window}`);
  return {
    train: loaderOver(train, request.batch, request.context, request.seed),
    // Validation: a fixed seed, rewound before every evaluation, so every evaluation sees the same batches.
    valid: valid.length >= window ? loaderOver(valid, request.batch, request.context, 0) : undefined,
    vocabulary: vocabularyOf(vocab),
    vocabularyFile: files.vocab,
  };
}

/** The vocabulary saved beside a checkpoint. */
export async function loadVocabulary(path: string): Promise<Vocabulary> {
  return vocabularyOf(Vocab.load(path));
}
