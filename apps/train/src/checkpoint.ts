// Checkpoints: in <run>/checkpoints/, `step-000100.safetensors` (parameters as `params.<name>`, Adam
// moments as `adam.m.<name>` / `adam.v.<name>`) and `step-000100.json` (config, step, RNG state,
// data-loader state, optimizer hyper-parameters, vocabulary file, and the tensor file's size and
// CRC-32). Both are written atomically, tensors first: the JSON is the mark of a complete
// checkpoint, so a crash mid-write leaves at worst an orphan tensor file that is ignored.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { loadSafetensors, SafetensorsError, saveSafetensors, Tensor, writeFileAtomic, fsyncDir, type RngState } from "@pullback/tensor";
import type { ModelConfig, ParamTree } from "@pullback/gpt2";
import { namedTensors } from "./params.ts";
import type { AdamHyper } from "./optimizer.ts";
import { checkSavedTrainOptions, UsageError } from "./options.ts";

export const CHECKPOINT_FORMAT = "pullback-checkpoint";
export const CHECKPOINT_VERSION = 1;

/** The JSON half of a checkpoint. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  step: number;
  config: ModelConfig;
  optimizer: AdamHyper & { name: "adam"; step: number };
  /** The trainer's Rng state (dropout seeds). */
  rng: RngState;
  /** The data loader's serializable state (its position in the token stream). */
  data: unknown;
  /** The vocabulary file, relative to the run folder. */
  vocabulary?: string;
  /** The training options of the run (for reference and resume). */
  options?: Record<string, unknown>;
  /** Seconds of training so far (for time budgets across resumes). */
  elapsed: number;
  savedAt: string;
  tensors: { file: string; bytes: number; crc32: number };
}

export interface CheckpointInput {
  step: number;
  config: ModelConfig;
  params: ParamTree;
  adam: { m: ParamTree; v: ParamTree; step: number };
  hyper: AdamHyper;
  rng: RngState;
  data: unknown;
  vocabulary?: string;
  options?: Record<string, unknown>;
  elapsed: number;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** The JSON file that was loaded. */
  path: string;
  params: Record<string, Tensor>;
  m: Record<string, Tensor>;
  v: Record<string, Tensor>;
}

/** A checkpoint is missing, incomplete or corrupt; the message says which file and what. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

const stem = (step: number) => `step-${String(step).padStart(6, "0")}`;
const namePattern = /^step-(\d+)\.json$/;

/** CRC-32 of a file, read in 4 MiB chunks. */
export function crc32File(path: string): number {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(4 << 20);
    let crc = 0,
      pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return crc;
      crc = Bun.hash.crc32(buf.subarray(0, n), crc);
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Complete checkpoints (with their JSON) in `dir`, oldest first. */
export function listCheckpoints(dir: string): { step: number; json: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => namePattern.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), json: join(dir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

/** Writes a checkpoint into `dir` (created if needed), then keeps only the newest `keep`. Returns the JSON path. */
export function saveCheckpoint(dir: string, c: CheckpointInput, keep = Infinity): string {
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of namedTensors(c.params)) tensors[`params.${name}`] = t;
  for (const [name, t] of namedTensors(c.adam.m)) tensors[`adam.m.${name}`] = t;
  for (const [name, t] of namedTensors(c.adam.v)) tensors[`adam.v.${name}`] = t;
  const file = `${stem(c.step)}.safetensors`;
  const tensorPath = join(dir, file);
  saveSafetensors(tensorPath, tensors, { format: CHECKPOINT_FORMAT, step: String(c.step) });
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: c.step,
    config: c.config,
    optimizer: { name: "adam", ...c.hyper, step: c.adam.step },
    rng: c.rng,
    data: c.data,
    vocabulary: c.vocabulary,
    options: c.options,
    elapsed: c.elapsed,
    savedAt: new Date().toISOString(),
    tensors: { file, bytes: statSync(tensorPath).size, crc32: crc32File(tensorPath) },
  };
  const jsonPath = join(dir, `${stem(c.step)}.json`);
  writeFileAtomic(jsonPath, JSON.stringify(meta, null, 2) + "\n");
  pruneCheckpoints(dir, keep);
  return jsonPath;
}

/**
 * Keeps the newest `keep` complete checkpoints; deletes older ones (JSON first, so a crash
 * mid-delete never leaves a JSON without its tensors), orphan tensor files older than the newest
 * complete checkpoint, and temp files left by crashed writes.
 */
export function pruneCheckpoints(dir: string, keep: number): void {
  const all = listCheckpoints(dir);
  if (all.length === 0) return;
  const newest = all[all.length - 1].step;
  for (const { step, json } of all.slice(0, Math.max(0, all.length - keep))) {
    rmSync(json, { force: true });
    rmSync(join(dir, `${stem(step)}.safetensors`), { force: true });
  }
  const complete = new Set(all.map((c) => c.step));
  for (const f of readdirSync(dir)) {
    const orphan = /^step-(\d+)\.safetensors$/.exec(f);
    if (orphan && !complete.has(Number(orphan[1])) && Number(orphan[1]) < newest) rmSync(join(dir, f), { force: true });
    if (/^\.step-\d+\.(json|safetensors)\.\d+\.\d+\.tmp$/.test(f)) rmSync(join(dir, f), { force: true });
  }
  fsyncDir(dir);
}

/** The checkpoints folder for `path`: a run folder (with checkpoints/), or a checkpoints folder. */
function checkpointDir(path: string): string {
  const sub = join(path, "checkpoints");
  return existsSync(sub) && statSync(sub).isDirectory() ? sub : path;
}

function readMeta(jsonPath: string): CheckpointMeta {
  let text: string;
  try {
    text = readFileSync(jsonPath, "utf8");
  } catch (e) {
    throw new CheckpointError(`${jsonPath}: cannot read the checkpoint: ${(e as Error).message}`);
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${jsonPath}: the checkpoint JSON is corrupt or truncated (${(e as Error).message})`);
  }
  const bad = (what: string) => new CheckpointError(`${jsonPath}: not a valid pullback checkpoint: ${what}`);
  if (meta === null || typeof meta !== "object") throw bad("not a JSON object");
  if (meta.format !== CHECKPOINT_FORMAT) throw bad(`format is ${JSON.stringify(meta.format)}`);
  if (meta.version !== CHECKPOINT_VERSION) throw bad(`version ${meta.version} (this trainer reads version ${CHECKPOINT_VERSION})`);
  if (!Number.isSafeInteger(meta.step) || meta.step < 0) throw bad(`step is ${JSON.stringify(meta.step)}`);
  const problem = metaProblem(meta);
  if (problem) throw bad(problem);
  if (!Array.isArray(meta.rng) || meta.rng.length !== 4 || !meta.rng.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32))
    throw bad("rng state is not four uint32 words");
  const t = meta.tensors;
  if (
    !t ||
    typeof t.file !== "string" ||
    basename(t.file) !== t.file ||
    !t.file.endsWith(".safetensors") ||
    !Number.isSafeInteger(t.bytes) ||
    !Number.isInteger(t.crc32)
  ) {
    throw bad("tensors entry is missing or malformed");
  }
  return meta;
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);
const show = (x: unknown) => (x === undefined ? "missing" : JSON.stringify(x));

/** The first field of the config, optimizer, elapsed time or saved options whose type or range is wrong, described. */
function metaProblem(meta: CheckpointMeta): string | undefined {
  const config: unknown = meta.config;
  if (!isObject(config)) return `config is ${show(config)}, not an object`;
  // Sizes; a model may have no layers or MLP (the trainer's tests use a bigram model), GPT-2's own check follows at load.
  for (const key of ["vocab", "context", "heads", "width", "layers", "mlp"]) {
    const v = config[key],
      least = key === "layers" || key === "mlp" ? 0 : 1;
    if (!Number.isSafeInteger(v) || (v as number) < least)
      return `config.${key} must be ${least ? "a positive" : "a non-negative"} integer, got ${show(v)}`;
  }
  if (typeof config.dropout !== "number" || !(config.dropout >= 0 && config.dropout < 1))
    return `config.dropout must be a number in [0, 1), got ${show(config.dropout)}`;
  if ((config.width as number) % (config.heads as number) !== 0)
    return `config.width ${config.width} is not divisible by config.heads ${config.heads}`;
  const opt: unknown = meta.optimizer;
  if (!isObject(opt)) return `optimizer is ${show(opt)}, not an object`;
  const ranges: [string, (x: number) => boolean, string][] = [
    ["lr", (x) => x > 0, "a number above 0"],
    ["beta1", (x) => x >= 0 && x < 1, "a number in [0, 1)"],
    ["beta2", (x) => x >= 0 && x < 1, "a number in [0, 1)"],
    ["eps", (x) => x > 0, "a number above 0"],
    ["weightDecay", (x) => x >= 0, "a number of at least 0"],
  ];
  for (const [key, ok, what] of ranges) {
    const v = opt[key];
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) return `optimizer.${key} must be ${what}, got ${show(v)}`;
  }
  if (!Number.isSafeInteger(opt.step) || (opt.step as number) < 0) return `optimizer.step must be a non-negative integer, got ${show(opt.step)}`;
  if (typeof meta.elapsed !== "number" || !Number.isFinite(meta.elapsed) || meta.elapsed < 0)
    return `elapsed must be a number of seconds of at least 0, got ${show(meta.elapsed)}`;
  if (meta.vocabulary !== undefined && (typeof meta.vocabulary !== "string" || meta.vocabulary === ""))
    return `vocabulary must be a file name, got ${show(meta.vocabulary)}`;
  if (meta.options !== undefined) {
    if (!isObject(meta.options)) return `options is ${show(meta.options)}, not an object`;
    try {
      checkSavedTrainOptions(meta.options);
    } catch (e) {
      if (e instanceof UsageError) return `saved options: ${e.message}`;
      throw e;
    }
  }
  return undefined;
}

/** The first NaN or ±Infinity of a tensor, described, or undefined. */
function firstNonFinite(t: Tensor): string | undefined {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return `${d[i]} at flat index ${i} of (${t.shape.join(", ")})`;
  return undefined;
}

/** Loads one checkpoint from its JSON path, verifying the tensor file's size and CRC-32. */
export function loadCheckpointFile(jsonPath: string): LoadedCheckpoint {
  const meta = readMeta(jsonPath);
  const tensorPath = join(dirname(jsonPath), meta.tensors.file);
  const where = `checkpoint of step ${meta.step} (${jsonPath})`;
  if (!existsSync(tensorPath)) throw new CheckpointError(`${where}: its tensor file ${tensorPath} is missing`);
  if (!statSync(tensorPath).isFile()) throw new CheckpointError(`${where}: its tensor file ${tensorPath} is not a file`);
  const size = statSync(tensorPath).size;
  if (size !== meta.tensors.bytes) {
    throw new CheckpointError(`${where}: ${tensorPath} is ${size} bytes, expected ${meta.tensors.bytes} (truncated or overwritten)`);
  }
  if (crc32File(tensorPath) !== meta.tensors.crc32) throw new CheckpointError(`${where}: ${tensorPath} is corrupt (CRC-32 mismatch)`);
  let file;
  try {
    file = loadSafetensors(tensorPath);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${where}: ${e.message}`);
    throw e;
  }
  const params: Record<string, Tensor> = {},
    m: Record<string, Tensor> = {},
    v: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (!(t instanceof Tensor)) throw new CheckpointError(`${where}: tensor "${name}" is not a float tensor`);
    const bad = firstNonFinite(t);
    if (bad) throw new CheckpointError(`${where}: tensor "${name}" is not finite: ${bad}`);
    if (name.startsWith("params.")) params[name.slice(7)] = t;
    else if (name.startsWith("adam.m.")) m[name.slice(7)] = t;
    else if (name.startsWith("adam.v.")) v[name.slice(7)] = t;
    else throw new CheckpointError(`${where}: unexpected tensor "${name}"`);
  }
  return { meta, path: jsonPath, params, m, v };
}

/**
 * Loads the newest complete checkpoint under `path` — a run folder, its checkpoints/ folder, or a
 * checkpoint's .json file. Throws CheckpointError (naming the files) when there is none or it is
 * corrupt; a corrupt newest checkpoint is not silently skipped: the error names the older one to
 * pass instead.
 */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such file or folder`);
  if (statSync(path).isFile()) {
    if (path.endsWith(".safetensors")) return loadCheckpointFile(path.replace(/\.safetensors$/, ".json"));
    return loadCheckpointFile(path);
  }
  const dir = checkpointDir(path);
  const all = listCheckpoints(dir);
  if (all.length === 0) throw new CheckpointError(`${path}: no complete checkpoint (no step-NNNNNN.json in ${dir})`);
  const newest = all[all.length - 1];
  try {
    return loadCheckpointFile(newest.json);
  } catch (e) {
    if (e instanceof CheckpointError && all.length > 1) {
      throw new CheckpointError(`${e.message}\nAn older checkpoint exists: ${all[all.length - 2].json} — use that one instead.`);
    }
    throw e;
  }
}
