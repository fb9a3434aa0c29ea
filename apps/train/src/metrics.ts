// Metrics of a run as JSON Lines (metrics.jsonl in the run folder): one object per training step
// and per evaluation, appended as they happen, so a crashed run keeps everything up to its last step.
import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import { writeFileAtomic } from "@pullback/tensor";

export interface TrainRecord {
  type: "train";
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  ms: number;
  tokensPerSecond: number;
  /** Seconds since the start of the run (wall clock, including resumed parts). */
  time: number;
  /** With several MPI ranks: ms of this step in MPI_Allreduce (rank 0's wait included). */
  allreduceMs?: number;
}

export interface EvalRecord {
  type: "eval";
  step: number;
  loss: number;
  time: number;
}

export interface SampleRecord {
  type: "sample";
  step: number;
  prompt: string;
  text: string;
}

export type MetricRecord = TrainRecord | EvalRecord | SampleRecord;

/** JSON has no NaN/Infinity: they are written as strings and read back as numbers. */
function encode(record: MetricRecord): string {
  return JSON.stringify(record, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

function decodeNumber(v: unknown): unknown {
  return v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;
}

export class MetricsLog {
  /** Opens (or starts) a log; a torn last line left by a crash is cut off so appends stay line-aligned. */
  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    const bytes = readFileSync(path);
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) truncateSync(path, bytes.lastIndexOf(0x0a) + 1);
  }

  append(record: MetricRecord): void {
    appendFileSync(this.path, encode(record) + "\n");
  }
}

/**
 * Every record of a metrics file (missing file → []). A torn last line (a crash mid-write) is
 * skipped; any other bad line is an error naming the file and the line number.
 */
export function readMetrics(path: string): MetricRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const out: MetricRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const r = JSON.parse(line, (k, v) => (k === "loss" || k === "gradNorm" || k === "lr" ? decodeNumber(v) : v));
      out.push(r);
    } catch (e) {
      const last = lines.slice(i + 1).every((l) => l.trim() === "");
      if (!last) throw new Error(`${path}: line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
  });
  return out;
}

/** On resume: keeps only the records of steps ≤ `step` (what the checkpoint had seen). */
export function truncateMetrics(path: string, step: number): MetricRecord[] {
  const kept = readMetrics(path).filter((r) => r.step <= step);
  if (existsSync(path)) writeFileAtomic(path, kept.map((r) => encode(r) + "\n").join(""));
  return kept;
}
