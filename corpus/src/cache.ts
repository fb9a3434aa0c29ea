// Atomic files (temp file, fsync, rename), content hashes, uint16 token files.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A file created atomically: bytes go to a temp file beside `path`; `commit()` fsyncs it, renames
 * it over `path` and fsyncs the folder; `abort()` removes it, leaving `path` untouched.
 */
export class AtomicFile {
  private readonly tmp: string;
  private readonly fd: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    this.fd = openSync(this.tmp, "w");
  }

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
  }

  commit(): void {
    try {
      fsyncSync(this.fd);
    } catch (e) {
      this.abort();
      throw e;
    }
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
    fsyncDir(dirname(this.path));
  }

  abort(): void {
    closeSync(this.fd);
    rmSync(this.tmp, { force: true });
  }
}

/** Writes `data` to `path` atomically: a temp file beside it, fsync, rename, fsync of the folder. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const file = new AtomicFile(path);
  try {
    file.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
  } catch (e) {
    file.abort();
    throw e;
  }
  file.commit();
}

/** fsync of a folder (makes a rename durable); ignored where unsupported. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {}
}

/** Saves a token stream as raw little-endian uint16 (atomic). */
export function writeTokens(path: string, tokens: Uint16Array): void {
  writeFileAtomic(path, new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength));
}

/** Loads a uint16 token file (memory-mapped when possible: no copy, instant). */
export function readTokens(path: string): Uint16Array {
  let bytes: Uint8Array;
  try {
    bytes = Bun.mmap(path, { shared: false });
  } catch {
    bytes = new Uint8Array(require("node:fs").readFileSync(path));
  }
  if (bytes.byteLength % 2 !== 0) throw new Error(`${path}: token file has an odd size (${bytes.byteLength} bytes)`);
  if (bytes.byteOffset % 2 !== 0) bytes = bytes.slice();
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
}

/** Hex SHA-256 of strings and byte arrays (cache keys). */
export function hashParts(...parts: (string | Uint8Array)[]): string {
  const h = new Bun.CryptoHasher("sha256");
  for (const p of parts) {
    h.update(typeof p === "string" ? p : p);
    h.update("\0");
  }
  return h.digest("hex");
}

export function exists(path: string): boolean {
  return existsSync(path);
}
