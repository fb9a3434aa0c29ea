// Live progress: step, loss, lr, tokens/s, ms/step, ETA, on a LiveLine of @pullback/corpus: on a
// terminal one line is rewritten in place; otherwise (a file, a pipe, CI) every report is a plain
// line, at most every `plainEvery` steps.
import { formatDuration, LiveLine, type LiveLineStream } from "@pullback/corpus";

export interface StepReport {
  step: number;
  loss: number;
  lr: number;
  /** Tokens processed by this step. */
  tokens: number;
  /** Wall time of this step in ms. */
  ms: number;
}

export interface StepProgressOptions {
  totalSteps: number;
  /** Time budget in seconds (0 = none); the ETA is the earlier of steps and budget. */
  timeBudget?: number;
  /** Seconds already used before this process (resume). */
  elapsedBefore?: number;
  stream?: LiveLineStream;
  tty?: boolean;
  /** Without a TTY, print one line every N steps (and always the first and the last). */
  plainEvery?: number;
  now?: () => number;
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

export class StepProgress {
  private ema = 0;
  private started: number;
  private readonly out: LiveLine;
  private readonly now: () => number;

  constructor(private readonly o: StepProgressOptions) {
    this.out = new LiveLine(o.stream, o.tty);
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
    const every = this.o.plainEvery ?? 10;
    if (this.out.tty || r.step === 1 || r.step % every === 0 || r.step === this.o.totalSteps) this.out.show(line);
    return line;
  }

  /** Prints a message on its own line (clears the live line first; it reappears on the next update). */
  log(message: string): void {
    this.out.print(message);
  }

  /** Ends the live line. */
  finish(): void {
    this.out.finish();
  }
}
