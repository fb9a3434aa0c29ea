// Stop signals (SIGINT, SIGTERM) for long computations such as a training step.
//
// JavaScript signal listeners run only when the event loop gets a turn, which a loop of kernel
// calls never gives it. So the kernel library catches the signals natively
// (zig-kernels/src/signals.zig): the first one records a stop request in a native word that is
// read here, through a pointer, before every kernel call; inside `stoppable(f)` a pending request
// throws StopRequested between two kernels, so f is abandoned within one kernel's time. A second
// signal (more than 0.5 s after the first: a terminal's Ctrl-C arrives twice under `bun run`)
// quits the process at once with status 128 + signal, from the native handler.
//
//   PULLBACK_SIGNAL_WINDOW_MS=n   deliveries within n ms of a request are the same request (default 500)
//
//   catchStopSignals();
//   try { stoppable(() => model.lossAndGrads(…)) } catch (e) { if (e instanceof StopRequested) … }
import { toArrayBuffer } from "bun:ffi";
import { bindKernels, setKernelGuard } from "./library.ts";

const kernels = bindKernels({
  pb_signals_catch: { args: ["i32"], returns: "i32" },
  pb_signals_release: { args: [], returns: "void" },
  pb_signals_flag: { args: [], returns: "ptr" },
  pb_signals_clear: { args: [], returns: "void" },
});

const signalNames: Record<number, string> = { 2: "SIGINT", 15: "SIGTERM" };

/** Thrown before a kernel call inside `stoppable` once a stop signal has arrived. */
export class StopRequested extends Error {
  constructor(readonly signal: string) {
    super(`${signal} received: the computation was abandoned`);
    this.name = "StopRequested";
  }
}

/** The native request word: 0, or the signal number of the pending request. */
let flag: Int32Array | null = null;
/** Nesting depth of `stoppable` calls; requests are acted on only inside one. */
let depth = 0;

function check(): void {
  if (depth > 0 && flag![0] !== 0) throw new StopRequested(stopSignal()!);
}

/**
 * Catches SIGINT and SIGTERM natively from now on (clearing any earlier request) and checks for
 * a request before every kernel call inside `stoppable`. Replaces JavaScript listeners for these
 * two signals (`process.on("SIGINT")` would replace this handler in turn).
 */
export function catchStopSignals(): void {
  const env = process.env.PULLBACK_SIGNAL_WINDOW_MS;
  const windowMs = env === undefined || env === "" ? -1 : Number(env);
  if (!Number.isInteger(windowMs) || windowMs < -1 || windowMs > 60_000)
    throw new Error(`PULLBACK_SIGNAL_WINDOW_MS must be an integer number of milliseconds (0 to 60000), got "${env}"`);
  if (kernels.pb_signals_catch(windowMs) !== 0) throw new Error("catchStopSignals: cannot install the SIGINT and SIGTERM handlers");
  if (!flag) {
    const address = kernels.pb_signals_flag();
    if (!address) throw new Error("catchStopSignals: the kernel library returned no request word");
    flag = new Int32Array(toArrayBuffer(address, 0, 4));
  }
  setKernelGuard(check);
}

/** Restores the previous handlers of SIGINT and SIGTERM and stops checking before kernel calls. */
export function releaseStopSignals(): void {
  setKernelGuard(null);
  if (flag) kernels.pb_signals_release();
}

/** The pending request's signal number (2 for SIGINT, 15 for SIGTERM), or 0. */
export function stopSignalNumber(): number {
  return flag ? flag[0] : 0;
}

/** The pending request's signal name ("SIGINT", "SIGTERM"), or undefined. */
export function stopSignal(): string | undefined {
  const n = stopSignalNumber();
  return n === 0 ? undefined : (signalNames[n] ?? `signal ${n}`);
}

/** Forgets the pending request (a later signal is a first one again). */
export function clearStopSignal(): void {
  if (flag) kernels.pb_signals_clear();
}

/**
 * Runs `f`; if a stop signal is pending (or arrives) while it runs, the next kernel call throws
 * StopRequested. Only wrap computations that can be abandoned halfway without harm (a forward and
 * backward pass, an evaluation) — never one that updates state in place, like an optimizer step.
 */
export function stoppable<T>(f: () => T): T {
  depth++;
  try {
    return f();
  } finally {
    depth--;
  }
}
