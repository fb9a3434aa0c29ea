// Command-line options of `bun run train` and `bun run sample`: one table per command drives the
// parser (node:util parseArgs), the validation and the --help text. Defaults reproduce proc-macro-gpt's run.
import { parseArgs } from "node:util";
import { precisions, type Precision } from "@pullback/tensor";
import { presets, type PresetName } from "@pullback/gpt2";

/** A bad command line: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Kind = "int" | "float" | "string" | "bool" | "duration" | "enum";

interface Spec<K extends string> {
  name: string; // without the leading "--"
  key: K;
  kind: Kind;
  help: string;
  /** For display in --help. */
  def?: string;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Strict lower bound. */
  above?: number;
  /** Strict upper bound. */
  below?: number;
  alias?: string;
  /** Placeholder of the value in --help (default by kind: N, TEXT, DURATION). */
  meta?: string;
}

export interface TrainOptions {
  preset: PresetName;
  batch: number;
  /** Sequence length; defaults to the preset's context. */
  context: number;
  steps: number;
  /** Time budget in seconds (0 = none): training stops after the step that crosses it. */
  time: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmup: number;
  schedule: "constant" | "cosine";
  minLr: number;
  /** Global-norm clipping threshold (0 = off). */
  clip: number;
  /** Defaults to the preset's dropout. */
  dropout: number;
  seed: number;
  prompt: string;
  sampleEvery: number;
  sampleTokens: number;
  checkpointEvery: number;
  keep: number;
  evalEvery: number;
  evalBatches: number;
  /** Micro-batches per step (per rank): their gradients are summed before the one update. */
  accumulate: number;
  /** Kernel threads (0 = all cores; under mpirun, the cores / the ranks on this machine). */
  threads: number;
  /** Require MPI (the run must be started by mpirun); under mpirun it is implied. Never saved for resume. */
  distributed: boolean;
  /** GEMM precision: fp32, or bf16 inputs with fp32 accumulation (weights, Adam, loss stay fp32). */
  precision: Precision;
  /** Run folder; default runs/<timestamp> (or the --resume folder). */
  out?: string;
  resume?: string;
  corpus?: string;
  valid?: string;
  detectAnomaly: boolean;
  help: boolean;
}

const trainSpecs: Spec<keyof TrainOptions>[] = [
  {
    name: "preset",
    key: "preset",
    kind: "enum",
    values: Object.keys(presets),
    def: "seed",
    help: "model size: seed (proc-macro-gpt), tiny (tests), gpt2 (124M)",
  },
  { name: "steps", key: "steps", kind: "int", min: 1, def: "2000", help: "number of optimizer steps (also the length of the cosine schedule)" },
  { name: "time", key: "time", kind: "duration", def: "none", help: "time budget, e.g. 90s, 10m, 1h30m: stop after the step that crosses it" },
  { name: "batch", key: "batch", kind: "int", min: 1, def: "64", help: "sequences per step" },
  { name: "context", key: "context", kind: "int", min: 1, def: "preset's", help: "tokens per sequence (at most the preset's context)" },
  { name: "lr", key: "lr", kind: "float", above: 0, def: "2e-3", help: "peak learning rate (Adam)" },
  { name: "beta1", key: "beta1", kind: "float", min: 0, below: 1, def: "0.9", help: "Adam β1" },
  { name: "beta2", key: "beta2", kind: "float", min: 0, below: 1, def: "0.95", help: "Adam β2" },
  { name: "eps", key: "eps", kind: "float", above: 0, def: "1e-8", help: "Adam ε" },
  { name: "weight-decay", key: "weightDecay", kind: "float", min: 0, def: "0", help: "AdamW decoupled weight decay" },
  { name: "warmup", key: "warmup", kind: "int", min: 0, def: "0", help: "linear warmup steps" },
  { name: "schedule", key: "schedule", kind: "enum", values: ["constant", "cosine"], def: "constant", help: "learning rate after warmup" },
  { name: "min-lr", key: "minLr", kind: "float", min: 0, def: "0", help: "final learning rate of the cosine schedule" },
  { name: "clip", key: "clip", kind: "float", min: 0, def: "0 (off)", help: "clip gradients to this global L2 norm" },
  { name: "dropout", key: "dropout", kind: "float", min: 0, below: 1, def: "preset's", help: "dropout probability" },
  { name: "seed", key: "seed", kind: "int", min: 0, max: 2 ** 32 - 1, def: "12345", help: "seed of initialization, data order and dropout" },
  { name: "prompt", key: "prompt", kind: "string", def: '"One day,"', help: "prompt of the samples printed during training" },
  {
    name: "sample-every",
    key: "sampleEvery",
    kind: "int",
    min: 0,
    def: "50",
    help: "print a greedy continuation of the prompt every N steps (0 = never)",
  },
  { name: "sample-tokens", key: "sampleTokens", kind: "int", min: 1, def: "64", help: "tokens per sample" },
  {
    name: "checkpoint-every",
    key: "checkpointEvery",
    kind: "int",
    min: 0,
    def: "100",
    help: "write a checkpoint every N steps (0 = only at the end)",
  },
  { name: "keep", key: "keep", kind: "int", min: 1, def: "3", help: "checkpoints to keep (the newest N)" },
  { name: "eval-every", key: "evalEvery", kind: "int", min: 0, def: "100", help: "validation loss every N steps (0 = never)" },
  { name: "eval-batches", key: "evalBatches", kind: "int", min: 1, def: "4", help: "validation batches per evaluation" },
  {
    name: "accumulate",
    key: "accumulate",
    kind: "int",
    min: 1,
    def: "1",
    help: "split each step's batch into N micro-batches run one after the other, gradients summed (the memory of batch / N sequences)",
  },
  {
    name: "threads",
    key: "threads",
    kind: "int",
    min: 0,
    def: "all cores; under mpirun cores / ranks per machine",
    help: "kernel threads (per rank)",
  },
  {
    name: "distributed",
    key: "distributed",
    kind: "bool",
    help: "data parallel over MPI ranks: start with mpirun -np R bun run train … (implied under mpirun; --batch stays the global batch)",
  },
  {
    name: "precision",
    key: "precision",
    kind: "enum",
    values: precisions,
    def: "fp32",
    help: "GEMM precision: fp32, or bf16 (inputs rounded to bfloat16, fp32 accumulation; weights, Adam, softmax, LayerNorm and the loss stay fp32)",
  },
  { name: "out", key: "out", kind: "string", meta: "PATH", def: "runs/<timestamp>", help: "run folder: metrics.jsonl, loss.svg, checkpoints/" },
  { name: "resume", key: "resume", kind: "string", meta: "PATH", help: "continue the run in this folder (or from this checkpoint .json)" },
  {
    name: "corpus",
    key: "corpus",
    kind: "string",
    meta: "PATH",
    def: "TinyStories",
    help: "training text: stories separated by <|endoftext|> lines or blank lines",
  },
  {
    name: "valid",
    key: "valid",
    kind: "string",
    meta: "PATH",
    def: "TinyStories' validation file; held-out stories of --corpus",
    help: "validation text (same format)",
  },
  { name: "detect-anomaly", key: "detectAnomaly", kind: "bool", help: "name the first op with a non-finite output and its .ad.ts location" },
  { name: "help", key: "help", kind: "bool", alias: "h", help: "show this help" },
];

const trainDefaults = {
  preset: "seed",
  batch: 64,
  steps: 2000,
  time: 0,
  lr: 2e-3,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0,
  warmup: 0,
  schedule: "constant",
  minLr: 0,
  clip: 0,
  seed: 12345,
  prompt: "One day,",
  sampleEvery: 50,
  sampleTokens: 64,
  checkpointEvery: 100,
  keep: 3,
  evalEvery: 100,
  evalBatches: 4,
  accumulate: 1,
  threads: 0,
  distributed: false,
  precision: "fp32",
  detectAnomaly: false,
  help: false,
} as const;

export interface SampleOptions {
  checkpoint?: string;
  prompt: string;
  maxTokens: number;
  /** 0 = greedy (the default, as proc-macro-gpt). */
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  threads: number;
  /** GEMM precision of the forward passes (the checkpoint's fp32 weights are used as they are). */
  precision: Precision;
  help: boolean;
}

const sampleSpecs: Spec<keyof SampleOptions>[] = [
  {
    name: "checkpoint",
    key: "checkpoint",
    kind: "string",
    meta: "PATH",
    help: "run folder, checkpoints folder or checkpoint .json (the newest complete one is used)",
  },
  { name: "prompt", key: "prompt", kind: "string", def: '"One day,"', help: "text to continue" },
  { name: "max-tokens", key: "maxTokens", kind: "int", min: 1, def: "100", help: "tokens to generate" },
  { name: "temperature", key: "temperature", kind: "float", min: 0, def: "0 (greedy)", help: "sampling temperature; 0 picks the most likely token" },
  { name: "top-k", key: "topK", kind: "int", min: 0, def: "0 (off)", help: "sample among the k most likely tokens" },
  {
    name: "top-p",
    key: "topP",
    kind: "float",
    above: 0,
    max: 1,
    def: "1 (off)",
    help: "sample from the smallest set of tokens whose probability reaches p",
  },
  { name: "seed", key: "seed", kind: "int", min: 0, max: 2 ** 32 - 1, def: "0", help: "sampling seed" },
  { name: "threads", key: "threads", kind: "int", min: 0, def: "all cores", help: "kernel threads" },
  {
    name: "precision",
    key: "precision",
    kind: "enum",
    values: precisions,
    def: "fp32",
    help: "GEMM precision: fp32, or bf16 (inputs rounded to bfloat16, fp32 accumulation) on the fp32 checkpoint",
  },
  { name: "help", key: "help", kind: "bool", alias: "h", help: "show this help" },
];

const sampleDefaults = {
  prompt: "One day,",
  maxTokens: 100,
  temperature: 0,
  topK: 0,
  topP: 1,
  seed: 0,
  threads: 0,
  precision: "fp32",
  help: false,
} as const;

// ---------------------------------------------------------------------------- generic parsing

/** Seconds from "90s", "10m", "1h30m", "1.5h" or a plain number of seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(h|m|s)/gy;
  let total = 0,
    pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as "h" | "m" | "s"];
    pos = re.lastIndex;
  }
  if (t.length === 0 || pos !== t.length) throw new UsageError(`cannot read "${text}" as a duration (examples: 90s, 10m, 1h30m)`);
  return total;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

function parseValue<K extends string>(spec: Spec<K>, raw: string): unknown {
  const opt = `--${spec.name}`;
  const bound = (x: number) => {
    if (spec.min !== undefined && x < spec.min) throw new UsageError(`${opt} must be at least ${spec.min}, got ${raw}`);
    if (spec.max !== undefined && x > spec.max) throw new UsageError(`${opt} must be at most ${spec.max}, got ${raw}`);
    if (spec.above !== undefined && !(x > spec.above)) throw new UsageError(`${opt} must be greater than ${spec.above}, got ${raw}`);
    if (spec.below !== undefined && !(x < spec.below)) throw new UsageError(`${opt} must be less than ${spec.below}, got ${raw}`);
    return x;
  };
  switch (spec.kind) {
    case "int": {
      const x = Number(raw);
      if (raw.trim() === "" || !Number.isSafeInteger(x)) throw new UsageError(`${opt} needs an integer, got "${raw}"`);
      return bound(x);
    }
    case "float": {
      const x = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(x)) throw new UsageError(`${opt} needs a number, got "${raw}"`);
      return bound(x);
    }
    case "duration":
      return bound(parseDuration(raw));
    case "enum":
      if (!spec.values!.includes(raw)) throw new UsageError(`${opt} must be one of ${spec.values!.join(", ")}, got "${raw}"`);
      return raw;
    default:
      return raw;
  }
}

/**
 * Reads `argv` with node:util's parseArgs (its tokens, so that every mistake gets this table's
 * message: unknown options with a suggestion, missing values, bounds) into the given options.
 */
function parseCommandLine<K extends string>(specs: Spec<K>[], argv: readonly string[]): Partial<Record<K, unknown>> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const s of specs) options[s.name] = { type: s.kind === "bool" ? "boolean" : "string", ...(s.alias ? { short: s.alias } : {}) };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const out: Partial<Record<K, unknown>> = {};
  for (const token of tokens) {
    if (token.kind === "positional") throw new UsageError(`unexpected argument "${token.value}" (options start with --)`);
    if (token.kind === "option-terminator") throw new UsageError(`unexpected argument "--" (options start with --)`);
    const spec = specs.find((s) => s.name === token.name || s.alias === token.name);
    if (!spec) {
      const best = specs.map((s) => [editDistance(token.name, s.name), s.name] as const).sort((a, b) => a[0] - b[0])[0];
      const hint = best && best[0] <= 2 && best[0] < token.name.length / 2 ? ` (did you mean --${best[1]}?)` : "";
      throw new UsageError(`unknown option "${token.rawName}"${hint}`);
    }
    if (spec.kind === "bool") {
      const v = token.value;
      if (v !== undefined && v !== "true" && v !== "false") throw new UsageError(`--${spec.name} takes no value (or =true / =false), got "${v}"`);
      out[spec.key] = v !== "false";
      continue;
    }
    if (token.value === undefined) throw new UsageError(`--${spec.name} needs a value`);
    out[spec.key] = parseValue(spec, token.value);
  }
  return out;
}

function helpText<K extends string>(usage: string, specs: Spec<K>[]): string {
  const rows = specs.map((s) => {
    const arg =
      s.kind === "bool"
        ? ""
        : s.kind === "enum"
          ? ` ${s.values!.join("|")}`
          : s.kind === "duration"
            ? " DURATION"
            : s.kind === "string"
              ? ` ${s.meta ?? "TEXT"}`
              : " N";
    const left = `  ${s.alias ? `-${s.alias}, ` : ""}--${s.name}${arg}`;
    return [left, s.help + (s.def ? ` (default: ${s.def})` : "")] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `${usage}\n\nOptions:\n${rows.map(([l, r]) => l.padEnd(width) + r).join("\n")}\n`;
}

// ---------------------------------------------------------------------------- the two commands

export const trainUsage =
  "Usage: bun run train [options]\n\n" +
  "Trains GPT-2 on TinyStories (or --corpus FILE). The defaults reproduce proc-macro-gpt's run:\n" +
  "preset seed, batch 64 × 128, Adam lr 2e-3 (β 0.9, 0.95, ε 1e-8), dropout 0.2, seed 12345, 2000 steps,\n" +
  'a greedy sample of "One day," every 50 steps and a checkpoint every 100.';

export function trainHelp(): string {
  return helpText(trainUsage, trainSpecs);
}

/** The checks between options (context within the preset, warmup within the steps, …). */
function checkTrainOptions(opts: TrainOptions, given: Partial<TrainOptions>): void {
  const preset = presets[opts.preset as PresetName];
  if (opts.context > preset.context)
    throw new UsageError(`--context ${opts.context} exceeds the ${opts.preset} preset's context of ${preset.context}`);
  if (opts.minLr > opts.lr) throw new UsageError(`--min-lr ${opts.minLr} is above --lr ${opts.lr}`);
  if (given.minLr !== undefined && opts.schedule !== "cosine") throw new UsageError("--min-lr only applies with --schedule cosine");
  if (opts.warmup > opts.steps) throw new UsageError(`--warmup ${opts.warmup} is longer than --steps ${opts.steps}`);
  if (opts.prompt.length === 0 && opts.sampleEvery > 0) throw new UsageError("--prompt is empty (use --sample-every 0 to turn samples off)");
  if (opts.accumulate > opts.batch)
    throw new UsageError(`--accumulate ${opts.accumulate} exceeds --batch ${opts.batch} (every micro-batch needs at least one sequence)`);
}

/**
 * Parses and validates `bun run train` arguments. Throws UsageError for anything wrong. With
 * `--resume`, the checks between options wait for `resumedTrainOptions` (they depend on the
 * saved run's options).
 */
export function parseTrainOptions(argv: readonly string[]): TrainOptions {
  const given = parseCommandLine(trainSpecs, argv) as Partial<TrainOptions>;
  const preset = presets[(given.preset ?? trainDefaults.preset) as PresetName];
  const opts: TrainOptions = { ...trainDefaults, context: preset.context, dropout: preset.dropout, ...given } as TrainOptions;
  if (opts.resume !== undefined && given.preset !== undefined) {
    throw new UsageError("--preset cannot change when resuming (the checkpoint's config is used)");
  }
  if (opts.resume === undefined) checkTrainOptions(opts, given);
  return opts;
}

/**
 * The options of a resumed run: those saved in the checkpoint, overridden by the ones given on
 * this command line (`--steps 4000`, `--time 10m`, …), then checked together.
 */
export function resumedTrainOptions(saved: TrainOptions, argv: readonly string[]): TrainOptions {
  const given = parseCommandLine(trainSpecs, argv) as Partial<TrainOptions>;
  // --distributed describes how this process runs, not the run: a run written by several ranks resumes on one, and back.
  const opts = {
    ...trainDefaults,
    ...saved,
    ...given,
    preset: saved.preset,
    resume: given.resume,
    out: given.out,
    help: given.help ?? false,
    distributed: given.distributed ?? false,
  } as TrainOptions;
  checkTrainOptions(opts, given);
  return opts;
}

/**
 * Checks the training options saved in a checkpoint, field by field, against the option table:
 * types and ranges as on the command line. Throws UsageError naming the option.
 */
export function checkSavedTrainOptions(saved: Record<string, unknown>): void {
  for (const spec of trainSpecs) {
    const v = saved[spec.key];
    if (v === undefined || spec.key === "help") continue;
    const want = spec.kind === "bool" ? "boolean" : spec.kind === "string" || spec.kind === "enum" ? "string" : "number";
    if (typeof v !== want) throw new UsageError(`--${spec.name} must be a ${want}, got ${JSON.stringify(v)}`);
    if (want !== "boolean") parseValue(spec, String(v));
  }
}

export const sampleUsage =
  "Usage: bun run sample --checkpoint PATH [options]\n\n" +
  "Continues a prompt with a trained model: greedy by default (as proc-macro-gpt), or sampled with\n--temperature, --top-k, --top-p.";

export function sampleHelp(): string {
  return helpText(sampleUsage, sampleSpecs);
}

/** Parses and validates `bun run sample` arguments. Throws UsageError for anything wrong. */
export function parseSampleOptions(argv: readonly string[]): SampleOptions {
  const opts = { ...sampleDefaults, ...(parseCommandLine(sampleSpecs, argv) as Partial<SampleOptions>) } as SampleOptions;
  if (!opts.help && opts.checkpoint === undefined) throw new UsageError("--checkpoint PATH is required (a run folder or a checkpoint .json)");
  if (opts.prompt.length === 0) throw new UsageError('--prompt is empty: give the text to continue, e.g. --prompt "One day,"');
  if (opts.temperature === 0 && (opts.topK > 0 || opts.topP < 1)) {
    throw new UsageError("--top-k / --top-p need a --temperature above 0 (temperature 0 is greedy)");
  }
  return opts;
}

/** Runs `parse`; on UsageError prints it and exits 2, on --help prints `help` and exits 0. */
export function parseOrExit<T extends { help: boolean }>(parse: () => T, help: () => string): T {
  let opts: T;
  try {
    opts = parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\nRun with --help to see the options.\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(help());
    process.exit(0);
  }
  return opts;
}
