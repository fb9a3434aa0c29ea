// Live progress: step, loss, lr, tokens/s, ms/step, ETA. On a terminal one line is rewritten in
// place; otherwise (a file, a pipe, CI) every report is a plain line, at most every `plainEvery` steps.

export interface StepReport {
  step: number;
  loss: number;
  lr: number;
  /** Tokens processed by this step. */
  tokens: number;
  /** Wall time of this step in ms. */
  ms: number;
}

export interface ProgressOptions {
  totalSteps: number;
  /** Time budget in seconds (0 = none); the ETA is the earlier of steps and budget. */
  timeBudget?: number;
  /** Seconds already used before this process (resume). */
  elapsedBefore?: number;
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  tty?: boolean;
  /** Without a TTY, print one line every N steps (and always the first and the last). */
  plainEvery?: number;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** Seconds left, from the average step time (EMA) and the remaining steps, capped by the budget. */
export function eta(stepsLeft: number, msPerStep: number, budgetLeft?: number): number {
  const bySteps = (stepsLeft * msPerStep) / 1000;
  return budgetLeft !== undefined && budgetLeft >= 0 ? Math.min(bySteps, budgetLeft) : bySteps;
}

export function formatProgress(r: StepReport, totalSteps: number, msPerStep: number, etaSeconds: number): string {
  const width = String(totalSteps).length;
  const tps = msPerStep > 0 ? (r.tokens * 1000) / msPerStep : 0;
  return (
    `step ${String(r.step).padStart(width)}/${totalSteps}` +
    ` | loss ${r.loss.toFixed(4)}` +
    ` | lr ${r.lr.toExponential(2)}` +
    ` | ${Math.round(tps).toLocaleString("en-US")} tok/s` +
    ` | ${msPerStep.toFixed(0)} ms/step` +
    ` | ETA ${formatDuration(etaSeconds)}`
  );
}

export class Progress {
  private ema = 0;
  private started: number;
  private live = false;
  private readonly stream: NonNullable<ProgressOptions["stream"]>;
  private readonly tty: boolean;
  private readonly now: () => number;

  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.tty = o.tty ?? Boolean(this.stream.isTTY);
    this.now = o.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** Smoothed ms/step (exponential moving average; the first step counts as is). */
  get msPerStep(): number {
    return this.ema;
  }

  update(r: StepReport): string {
    this.ema = this.ema === 0 ? r.ms : 0.9 * this.ema + 0.1 * r.ms;
    const elapsed = (this.now() - this.started) / 1000 + (this.o.elapsedBefore ?? 0);
    const budgetLeft = this.o.timeBudget ? this.o.timeBudget - elapsed : undefined;
    const line = formatProgress(r, this.o.totalSteps, this.ema, eta(this.o.totalSteps - r.step, this.ema, budgetLeft));
    if (this.tty) {
      const cols = this.stream.columns ?? 0;
      this.stream.write(`\r\x1b[2K${cols > 0 ? line.slice(0, cols - 1) : line}`);
      this.live = true;
    } else {
      const every = this.o.plainEvery ?? 10;
      if (r.step === 1 || r.step % every === 0 || r.step === this.o.totalSteps) this.stream.write(line + "\n");
    }
    return line;
  }

  /** Prints a message on its own line (clears the live line first; it reappears on the next update). */
  log(message: string): void {
    if (this.live) {
      this.stream.write("\r\x1b[2K");
      this.live = false;
    }
    this.stream.write(message.endsWith("\n") ? message : message + "\n");
  }

  /** Ends the live line. */
  finish(): void {
    if (this.live) this.stream.write("\n");
    this.live = false;
  }
}
