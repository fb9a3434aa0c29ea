// Encodes a text source to a GPT-2 token file: chunks of stories spread over Bun Workers (all cores)
// for large inputs, in-process for small ones; results are written in order, atomically.
import { availableParallelism } from "node:os";
import { AtomicFile } from "./cache.ts";
import { CorpusError } from "./errors.ts";
import { Progress, type ProgressOptions } from "./progress.ts";
import { readChunks, type TextSource } from "./stories.ts";
import { encodeChunk } from "./tokenize.ts";

export interface EncodeOptions {
  /** Worker count (default: all cores; 0 = in-process). Inputs under `inProcessBelow` bytes stay in-process. */
  workers?: number;
  inProcessBelow?: number;
  chunkBytes?: number;
  progress?: ProgressOptions;
  label?: string;
}

export interface EncodeResult {
  tokens: number;
  stories: number;
  workers: number;
  seconds: number;
}

/** Encodes `source` into `outPath` (raw uint16 GPT-2 ids, end-of-text before each story). */
export async function encodeSourceToFile(source: TextSource, outPath: string, options: EncodeOptions = {}): Promise<EncodeResult> {
  const t0 = performance.now();
  const chunkBytes = options.chunkBytes ?? 2 << 20;
  const inProcess = options.workers === 0 || source.end < (options.inProcessBelow ?? 4 << 20);
  const nWorkers = inProcess ? 0 : Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.ceil(source.end / chunkBytes)));
  const progress = new Progress(options.label ?? "tokenizing", { ...options.progress, total: source.end, unit: "bytes" });

  const file = new AtomicFile(outPath);
  let tokens = 0;
  let stories = 0;
  const write = (t: Uint16Array) => {
    file.write(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    tokens += t.length;
  };
  try {
    if (nWorkers === 0) {
      for (const [text, consumed] of readChunks(source, chunkBytes)) {
        const r = encodeChunk(text, source.format);
        write(r.tokens);
        stories += r.stories;
        progress.set(consumed);
      }
    } else {
      stories = await encodeWithWorkers(source, chunkBytes, nWorkers, write, (consumed) => progress.set(consumed));
    }
  } catch (e) {
    file.abort();
    throw e;
  }
  file.commit();
  const seconds = (performance.now() - t0) / 1000;
  progress.done(`${tokens.toLocaleString("en-US")} tokens, ${stories.toLocaleString("en-US")} stories${nWorkers ? `, ${nWorkers} workers` : ""}`);
  return { tokens, stories, workers: nWorkers, seconds };
}

async function encodeWithWorkers(
  source: TextSource,
  chunkBytes: number,
  nWorkers: number,
  write: (t: Uint16Array) => void,
  onProgress: (consumed: number) => void,
): Promise<number> {
  const chunks = readChunks(source, chunkBytes);
  const consumedAt = new Map<number, number>();
  const done = new Map<number, { tokens: Uint16Array; stories: number }>();
  let nextId = 0;
  let nextWrite = 0;
  let stories = 0;
  let exhausted = false;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      const feed = (w: Worker): boolean => {
        if (exhausted) return false;
        const r = chunks.next();
        if (r.done) {
          exhausted = true;
          return false;
        }
        const [text, consumed] = r.value;
        consumedAt.set(nextId, consumed);
        w.postMessage({ id: nextId++, text, format: source.format });
        active++;
        return true;
      };
      const onMessage = (w: Worker) => (ev: MessageEvent) => {
        const m = ev.data as { id: number; tokens?: Uint16Array; stories?: number; error?: string };
        active--;
        if (m.error) return reject(new CorpusError(`tokenizer worker failed: ${m.error}`));
        done.set(m.id, { tokens: m.tokens!, stories: m.stories! });
        while (done.has(nextWrite)) {
          const d = done.get(nextWrite)!;
          done.delete(nextWrite);
          write(d.tokens);
          stories += d.stories;
          onProgress(consumedAt.get(nextWrite)!);
          consumedAt.delete(nextWrite);
          nextWrite++;
        }
        try {
          feed(w);
        } catch (e) {
          return reject(e);
        }
        if (active === 0 && exhausted) resolve();
      };
      for (let i = 0; i < nWorkers; i++) {
        const w = new Worker(new URL("./tokenize-worker.ts", import.meta.url).href);
        workers.push(w);
        w.onmessage = onMessage(w);
        w.onerror = (e) => reject(new CorpusError(`tokenizer worker failed: ${e.message}`));
      }
      try {
        for (const w of workers) feed(w);
      } catch (e) {
        return reject(e);
      }
      if (active === 0) resolve();
    });
  } finally {
    for (const w of workers) w.terminate();
  }
  return stories;
}
