// Atomic file writes: the data goes to a temporary file in the same folder, is flushed to disk
// (fsync), renamed over the destination, and the folder is fsynced so the rename itself survives
// a crash. A reader therefore sees either the old file or the complete new one, never a prefix.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Bytes (or a string, as UTF-8) — or a function that writes them through `write`. */
export type AtomicContent = string | Uint8Array | ((write: (bytes: Uint8Array) => void) => void);

let counter = 0;

/**
 * For crash tests only (apps/train/test/kill_resume.test.ts): PULLBACK_TEST_PAUSE_WRITE=<name>
 * makes the first atomic write of a file named <name> stop half-way through its first write of
 * 64 bytes or more (a checkpoint's header or JSON): the half is written and flushed, a line
 * `pullback-test: paused writing <temp file>` goes to stderr, and the process waits until it is
 * killed. Read once, at start-up; unset, writes are unaffected.
 */
let pauseWriteOf = process.env.PULLBACK_TEST_PAUSE_WRITE || undefined;

function pauseMidWrite(fd: number, tmp: string, bytes: Uint8Array): void {
  const half = bytes.length >> 1;
  let done = 0;
  while (done < half) done += writeSync(fd, bytes, done, half - done);
  fsyncSync(fd);
  writeSync(2, `pullback-test: paused writing ${tmp}\n`);
  // Blocks this thread for good (no signal handler runs either): only SIGKILL ends it.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/** Writes `content` to `path` atomically (temp file in the same folder, fsync, rename, fsync folder). */
export function writeFileAtomic(path: string, content: AtomicContent): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  let ok = false;
  const pause = pauseWriteOf !== undefined && basename(path) === pauseWriteOf;
  if (pause) pauseWriteOf = undefined;
  try {
    const write = (bytes: Uint8Array) => {
      if (pause && bytes.length >= 64) pauseMidWrite(fd, tmp, bytes);
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    };
    if (typeof content === "string") write(new TextEncoder().encode(content));
    else if (content instanceof Uint8Array) write(content);
    else content(write);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

/** fsync a folder so that renames and deletions in it are durable (best effort where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms/filesystems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
