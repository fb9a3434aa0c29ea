// Downloads a file over HTTP(S): resumable with Range requests into `<dest>.part`, checked by size
// (Content-Length / Content-Range total), renamed atomically when complete. Can stop after a prefix
// (`capBytes`) so that training starts before a 2 GB download finishes; a later call continues.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fsyncDir, writeFileAtomic } from "./cache.ts";
import { CorpusError } from "./errors.ts";
import { Progress, formatBytes, type ProgressOptions } from "./progress.ts";

/** The dataset: files of the Hugging Face dataset repository roneneldan/TinyStories. */
export const TINYSTORIES = {
  repo: "roneneldan/TinyStories",
  train: "TinyStoriesV2-GPT4-train.txt",
  valid: "TinyStoriesV2-GPT4-valid.txt",
} as const;

export const DEFAULT_BASE_URL = `https://huggingface.co/datasets/${TINYSTORIES.repo}/resolve/main`;

/** Base URL of the dataset files: `$PULLBACK_CORPUS_URL` or Hugging Face. */
export function datasetBaseUrl(): string {
  return (process.env.PULLBACK_CORPUS_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
}

/** The network could not be reached (DNS, refused connection, timeout, HTTP error). */
export class DownloadError extends CorpusError {
  constructor(
    message: string,
    readonly url: string,
    readonly offline: boolean,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** The downloaded size disagrees with what the server announced or what was expected. */
export class SizeMismatchError extends CorpusError {
  constructor(message: string) {
    super(message);
    this.name = "SizeMismatchError";
  }
}

export interface DownloadOptions {
  url: string;
  /** Final path; bytes accumulate in `<dest>.part` (+ `<dest>.part.json`: total size, ETag). */
  dest: string;
  /** Stop once this many bytes are on disk (the file stays `.part` unless it is complete). */
  capBytes?: number;
  /** Known size of the complete file: any other total is an error. */
  expectedSize?: number;
  /** Retries after a dropped connection or a stall, each resuming where the last stopped (default 5). */
  retries?: number;
  retryDelayMs?: number;
  /** No response headers within this time → error (default 30 s); no body bytes within it → retry. */
  timeoutMs?: number;
  progress?: ProgressOptions;
  label?: string;
  log?: (line: string) => void;
}

export interface DownloadResult {
  /** `dest` when complete, else the `.part` file holding a prefix. */
  path: string;
  complete: boolean;
  /** Bytes on disk. */
  bytes: number;
  /** Size of the complete file, when known. */
  total?: number;
  /** Bytes fetched by this call. */
  fetched: number;
}

interface PartMeta {
  url: string;
  total?: number;
  etag?: string;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readMeta(path: string): PartMeta | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as PartMeta;
  } catch {
    return undefined;
  }
}

/** Total size from `Content-Range: bytes a-b/total`, with the start offset. */
function parseContentRange(h: string | null): { start: number; end: number; total?: number } | undefined {
  const m = h?.match(/^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i);
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? undefined : Number(m[3]) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes `<dest>.lock` (O_EXCL, holding our pid) so that two processes never append to the same
 * `.part`; a lock left by a dead process is taken over.
 */
function acquireLock(dest: string): () => void {
  const lock = `${dest}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(lock, "utf8").trim());
      let alive = false;
      try {
        alive = pid > 0 && pid !== process.pid && (process.kill(pid, 0), true);
      } catch {}
      if (alive) throw new CorpusError(`${basename(dest)} is being downloaded by process ${pid} (lock ${lock}); wait for it or stop it`);
      rmSync(lock, { force: true });
    }
  }
  throw new CorpusError(`cannot lock ${lock}`);
}

/** Fetches `url` into `dest` (or its first `capBytes` into `dest.part`); see the module comment. */
export async function download(options: DownloadOptions): Promise<DownloadResult> {
  const { dest } = options;
  if (existsSync(dest)) return downloadLocked(options);
  mkdirSync(dirname(dest), { recursive: true });
  const release = acquireLock(dest);
  try {
    return await downloadLocked(options);
  } finally {
    release();
  }
}

async function downloadLocked(options: DownloadOptions): Promise<DownloadResult> {
  const { url, dest } = options;
  const part = `${dest}.part`;
  const metaPath = `${dest}.part.json`;
  const retries = options.retries ?? 5;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.log ?? (() => {});
  const label = options.label ?? basename(dest);

  if (existsSync(dest)) {
    const size = fileSize(dest);
    if (options.expectedSize !== undefined && size !== options.expectedSize)
      throw new SizeMismatchError(`${dest}: ${size} bytes on disk, expected ${options.expectedSize}; delete it to download again`);
    return { path: dest, complete: true, bytes: size, total: size, fetched: 0 };
  }
  mkdirSync(dirname(dest), { recursive: true });

  const saved = readMeta(metaPath);
  let meta: PartMeta = saved?.url === url ? saved : { url };
  // No record of where the partial bytes came from, or another URL: they cannot be trusted.
  if (saved?.url !== url) rmSync(part, { force: true });
  if (options.expectedSize !== undefined) {
    if (meta.total !== undefined && meta.total !== options.expectedSize) {
      rmSync(part, { force: true });
      meta = { url };
    }
    meta.total ??= options.expectedSize;
  }
  let have = fileSize(part);
  const saveMeta = () => writeFileAtomic(metaPath, JSON.stringify(meta));

  const finish = (): DownloadResult => {
    const total = meta.total!;
    if (have !== total) throw new SizeMismatchError(`${label}: ${have} bytes downloaded, the server announced ${total}`);
    if (options.expectedSize !== undefined && total !== options.expectedSize)
      throw new SizeMismatchError(`${label}: ${total} bytes, expected ${options.expectedSize}`);
    const fd = openSync(part, "r+");
    fsyncSync(fd);
    closeSync(fd);
    renameSync(part, dest);
    fsyncDir(dirname(dest));
    rmSync(metaPath, { force: true });
    return { path: dest, complete: true, bytes: have, total, fetched };
  };
  const target = () => Math.min(options.capBytes ?? Infinity, meta.total ?? Infinity);

  if (meta.total !== undefined && have > meta.total) {
    rmSync(part, { force: true });
    rmSync(metaPath, { force: true });
    throw new SizeMismatchError(`${label}: the partial download holds ${have} bytes, more than the ${meta.total} announced; removed it, run again`);
  }

  let fetched = 0;
  let progress: Progress | undefined;
  let failures = 0;
  let lastError = "";
  while (true) {
    if (meta.total !== undefined && have === meta.total) {
      progress?.done();
      return finish();
    }
    if (have >= target()) {
      progress?.done(`(first ${formatBytes(have)}${meta.total ? ` of ${formatBytes(meta.total)}` : ""}; the rest on demand)`);
      return { path: part, complete: false, bytes: have, total: meta.total, fetched };
    }
    if (failures > retries) {
      progress?.done("failed");
      throw new DownloadError(`${label}: download interrupted ${failures} times (${lastError}); run again to resume`, url, false);
    }
    if (failures > 0) await sleep((options.retryDelayMs ?? 1000) * failures);

    // identity: byte offsets must be those of the file, never of a compressed stream
    const headers: Record<string, string> = { "Accept-Encoding": "identity" };
    const end = options.capBytes !== undefined ? options.capBytes - 1 : undefined;
    // Always a Range request (bytes=0- at first): a 206 answer announces the total in Content-Range.
    headers.Range = `bytes=${have}-${end ?? ""}`;
    if (have > 0 && meta.etag) headers["If-Range"] = meta.etag;

    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: controller.signal, redirect: "follow" });
    } catch (e) {
      clearTimeout(timer);
      const reason = controller.signal.aborted ? `no response within ${timeoutMs / 1000} s` : ((e as Error).message ?? String(e));
      if (fetched === 0 && failures === 0) throw new DownloadError(`${url}: ${reason}`, url, true);
      failures++;
      lastError = reason;
      continue;
    }
    clearTimeout(timer);

    if (response.status === 416) {
      await response.body?.cancel();
      const total = response.headers.get("content-range")?.match(/\/(\d+)$/)?.[1];
      if (total !== undefined && Number(total) === have && (meta.total === undefined || meta.total === have)) {
        meta.total = have;
        continue;
      }
      throw new SizeMismatchError(
        `${label}: the server cannot serve bytes from ${have} on${total ? ` (it has ${total} bytes)` : ""}, although it announced ${meta.total ?? "more"}`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownloadError(`${url}: HTTP ${response.status} ${response.statusText}`, url, false);
    }

    let start: number;
    if (response.status === 206) {
      const cr = parseContentRange(response.headers.get("content-range"));
      if (!cr || cr.start !== have) {
        await response.body?.cancel();
        throw new DownloadError(
          `${url}: unexpected Content-Range ${response.headers.get("content-range")} for a request from byte ${have}`,
          url,
          false,
        );
      }
      start = cr.start;
      if (cr.total !== undefined) {
        if (meta.total !== undefined && cr.total !== meta.total) {
          await response.body?.cancel();
          rmSync(part, { force: true });
          rmSync(metaPath, { force: true });
          throw new SizeMismatchError(
            `${label}: the server now announces ${cr.total} bytes, earlier ${meta.total} (file changed?); removed the partial download, run again`,
          );
        }
        meta.total = cr.total;
      }
    } else {
      // 200: the whole file (the server ignored Range, or If-Range found a changed file).
      start = 0;
      if (have > 0) log(`${label}: the server restarted the transfer from byte 0`);
      have = 0;
      const len = response.headers.get("content-length");
      const total = len !== null ? Number(len) : undefined;
      if (total !== undefined && meta.total !== undefined && total !== meta.total && options.expectedSize !== undefined) {
        await response.body?.cancel();
        throw new SizeMismatchError(`${label}: the server sends ${total} bytes, expected ${options.expectedSize}`);
      }
      if (total !== undefined) meta.total = total;
    }
    const etag = response.headers.get("etag");
    if (etag && !etag.startsWith("W/")) meta.etag = etag;
    saveMeta();

    progress ??= new Progress(label, { ...options.progress, unit: "bytes", start: have });
    progress.total = Number.isFinite(target()) ? target() : undefined;

    const fd = openSync(part, start === 0 ? "w" : "a");
    const limit = target();
    let ended = false; // the body ended (naturally or at the cap) without an error
    let naturalEnd = false;
    try {
      const reader = response.body!.getReader();
      for (;;) {
        timer = setTimeout(() => controller.abort(), timeoutMs);
        const { done, value } = await reader.read();
        clearTimeout(timer);
        if (done) {
          ended = naturalEnd = true;
          break;
        }
        let chunk = value;
        if (have + chunk.length > limit && Number.isFinite(limit)) chunk = chunk.subarray(0, limit - have);
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        have += chunk.length;
        fetched += chunk.length;
        progress.set(have);
        if (have >= limit) {
          await reader.cancel().catch(() => {});
          ended = true;
          break;
        }
      }
    } catch (e) {
      clearTimeout(timer);
      lastError = controller.signal.aborted ? `stalled for ${timeoutMs / 1000} s` : ((e as Error).message ?? String(e));
      log(`${label}: connection lost at ${formatBytes(have)} (${lastError}); resuming`);
      failures++;
    } finally {
      fsyncSync(fd);
      closeSync(fd);
    }
    if (naturalEnd && meta.total === undefined) {
      meta.total = have; // no size announced: the end of the stream is the end of the file
      saveMeta();
    }
    if (ended && have < target() && meta.total !== undefined && have < meta.total) {
      // The body ended early without an error: resume.
      failures++;
      lastError = `transfer ended at byte ${have}`;
    }
  }
}
