// Progress output: `LiveLine`, one status line rewritten in place on a terminal and printed as
// plain lines elsewhere (a file, a pipe, CI); `Progress`, a counter with a bar and ETA drawn on
// one (downloads, tokenizing); the number and duration formats. The trainer's step progress
// (apps/train/src/progress.ts) draws on a LiveLine too.

export interface ProgressOptions {
  /** What is being counted: "bytes" prints 12.3 MB and MB/s, anything else prints plain counts. */
  unit?: "bytes" | string;
  /** Total, when known (enables percentage and ETA). */
  total?: number;
  /** Where lines go (default: stderr). */
  stream?: LiveLineStream;
  /** Force the TTY (single updating line) or plain mode. */
  tty?: boolean;
  /** Print nothing. */
  quiet?: boolean;
  /** Value the counter starts at (e.g. the bytes already on disk when resuming). */
  start?: number;
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

/** `59s`, `1m01s`, `1h02m`; `?` for a duration that is not one (NaN, infinite, negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export interface LiveLineStream {
  write(s: string): unknown;
  isTTY?: boolean;
  /** The terminal's width: a live line is cut to it, so that it never wraps. */
  columns?: number;
}

/**
 * One status line. On a terminal `show` rewrites it in place and `print` puts a message above it;
 * elsewhere every `show` is a plain line (the caller decides how often to show).
 */
export class LiveLine {
  readonly tty: boolean;
  private live = false;

  constructor(
    private readonly stream: LiveLineStream = process.stderr,
    tty?: boolean,
  ) {
    this.tty = tty ?? Boolean(stream.isTTY);
  }

  show(line: string): void {
    if (!this.tty) {
      this.stream.write(`${line}\n`);
      return;
    }
    const cols = this.stream.columns ?? 0;
    this.stream.write(`\r\x1b[2K${cols > 0 ? line.slice(0, cols - 1) : line}`);
    this.live = true;
  }

  /** A message on its own line (the live line is cleared first and comes back on the next `show`). */
  print(message: string): void {
    if (this.live) {
      this.stream.write("\r\x1b[2K");
      this.live = false;
    }
    this.stream.write(message.endsWith("\n") ? message : `${message}\n`);
  }

  /** Ends the live line (it stays on the screen). */
  finish(): void {
    if (this.live) this.stream.write("\n");
    this.live = false;
  }
}

export class Progress {
  private readonly out: LiveLine;
  private readonly tty: boolean;
  private readonly unit: string;
  private readonly t0 = performance.now();
  private readonly startValue: number;
  private value: number;
  private lastDraw = 0;
  private lastPlainFraction = 0;
  private lastPlainTime: number;
  private finished = false;
  total?: number;

  constructor(
    readonly label: string,
    private readonly options: ProgressOptions = {},
  ) {
    this.out = new LiveLine(options.stream, options.tty);
    this.tty = this.out.tty;
    this.unit = options.unit ?? "bytes";
    this.total = options.total;
    this.value = this.startValue = options.start ?? 0;
    this.lastPlainTime = this.t0;
  }

  /** Sets the absolute value. */
  set(value: number): void {
    this.value = value;
    this.draw(false);
  }

  /** Adds to the value. */
  add(delta: number): void {
    this.set(this.value + delta);
  }

  /** Final line (always printed unless quiet). */
  done(message?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.draw(true, message);
  }

  line(final = false): string {
    const elapsed = (performance.now() - this.t0) / 1000;
    const rate = elapsed > 0 ? (this.value - this.startValue) / elapsed : 0;
    const fmt = this.unit === "bytes" ? formatBytes : (n: number) => `${formatCount(n)} ${this.unit}`;
    const parts = [this.label];
    if (this.total !== undefined && this.total > 0) {
      const f = Math.min(1, this.value / this.total);
      const width = 24;
      const filled = Math.round(f * width);
      parts.push(`[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(f * 100).toFixed(1).padStart(5)}%`);
      parts.push(`${fmt(this.value)} / ${fmt(this.total)}`);
    } else parts.push(fmt(this.value));
    parts.push(`${fmt(rate)}/s`);
    if (final) parts.push(`in ${formatDuration(elapsed)}`);
    else if (this.total !== undefined && rate > 0) parts.push(`ETA ${formatDuration((this.total - this.value) / rate)}`);
    return parts.join("  ");
  }

  private draw(final: boolean, message?: string): void {
    if (this.options.quiet) return;
    const now = performance.now();
    if (this.tty) {
      if (!final && now - this.lastDraw < 100) return;
      this.lastDraw = now;
    } else if (!final) {
      // Plain mode: a line every 10 % (or every 10 s when the total is unknown), and the final line.
      const f = this.total ? this.value / this.total : 0;
      if (this.total ? f - this.lastPlainFraction < 0.1 || f >= 1 : now - this.lastPlainTime < 10_000) return;
      this.lastPlainFraction = f;
      this.lastPlainTime = now;
    }
    this.out.show(`${this.line(final)}${final && message ? `  ${message}` : ""}`);
    if (final) this.out.finish();
  }
}
