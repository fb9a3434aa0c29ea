// Loads the Zig kernel library through bun:ffi, lazily, on the first kernel call.
//
// Each op family declares its own symbol table next to its TypeScript wrapper and binds
// it with `bindKernels(table)`; there is no central list of exports to keep in sync.
//
//   PULLBACK_LIB=/path/libpullback.so   load this library instead of zig-out/lib (never rebuilt)
//   PULLBACK_TRACE_FFI=1                print every kernel call (name, arguments, microseconds) to stderr
//   PULLBACK_THREADS=n                  size of the kernel thread pool (read once, when the library loads)
import { dlopen, type FFIFunction, type Library } from "bun:ffi";
import { ensureLibrary } from "@pullback/kernels";

/** Must equal `pb_abi_version()` in zig-kernels/src/root.zig. */
export const abiVersion = 1;

const core = {
  pb_abi_version: { args: [], returns: "u32" },
  pb_threads_get: { args: [], returns: "u64" },
  pb_threads_set: { args: ["u64"], returns: "u64" },
  pb_threads_pool_size: { args: [], returns: "u64" },
} as const satisfies Record<string, FFIFunction>;

let libPath: string | null = null;

function openChecked(): string {
  if (libPath) return libPath;
  const path = ensureLibrary();
  let version: number;
  try {
    const probe = dlopen(path, { pb_abi_version: core.pb_abi_version });
    version = probe.symbols.pb_abi_version();
  } catch (e) {
    throw new Error(`pullback: cannot load the kernel library ${path}: ${(e as Error).message}\nRebuild it with \`bun run build:kernels\`.`);
  }
  if (version !== abiVersion) {
    throw new Error(`pullback: ${path} has kernel ABI ${version}, this code expects ${abiVersion}; rebuild it with \`bun run build:kernels\`.`);
  }
  libPath = path;
  return path;
}

const trace = process.env.PULLBACK_TRACE_FFI === "1";

function describeArg(a: unknown): string {
  if (ArrayBuffer.isView(a)) return `${a.constructor.name}[${(a as Float32Array).length}]`;
  return String(a);
}

function traced<T extends Record<string, (...args: any[]) => any>>(symbols: T): T {
  const out: Record<string, (...args: any[]) => any> = {};
  for (const [name, fn] of Object.entries(symbols)) {
    out[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const r = fn(...args);
      const us = (performance.now() - t0) * 1000;
      process.stderr.write(`[ffi] ${name}(${args.map(describeArg).join(", ")}) ${us.toFixed(1)} µs\n`);
      return r;
    };
  }
  return out as T;
}

type Fn = (...args: unknown[]) => unknown;

/** Every bound view with its raw kernel functions, so profiling can be switched on and off. */
const bound: { view: Record<string, unknown>; raw: Record<string, Fn> }[] = [];

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

let profile: Map<string, KernelTime> | null = null;

function timed(name: string, fn: Fn): Fn {
  return (...args) => {
    const t0 = performance.now();
    const r = fn(...args);
    const entry = profile!.get(name) ?? { kernel: name, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += performance.now() - t0;
    profile!.set(name, entry);
    return r;
  };
}

/** Runs before every kernel call while set (see setKernelGuard); it may throw to abandon the computation. */
let guard: (() => void) | null = null;

function guarded(check: () => void, fn: Fn): Fn {
  return (...args) => {
    check();
    return fn(...args);
  };
}

function install(view: Record<string, unknown>, raw: Record<string, Fn>): void {
  for (const [name, fn] of Object.entries(raw)) {
    const f = guard ? guarded(guard, fn) : fn;
    view[name] = profile ? timed(name, f) : f;
  }
}

/**
 * Calls `check` before every kernel call from now on (null: no more checks). A throwing check
 * abandons the computation between two kernels — how a stop signal interrupts a long training
 * step (native/signals.ts). Costs one function call per kernel call while set.
 */
export function setKernelGuard(check: (() => void) | null): void {
  guard = check;
  for (const b of bound) install(b.view, b.raw);
}

/**
 * Starts (or restarts) timing every kernel call — wall time of the call, per kernel. Costs one
 * `performance.now()` pair per call; for benchmarks (`bench:train`), not for production runs.
 */
export function startKernelProfile(): void {
  profile = new Map();
  for (const b of bound) install(b.view, b.raw);
}

/** Stops timing and returns the kernels by total time, largest first. */
export function stopKernelProfile(): KernelTime[] {
  const result = [...(profile?.values() ?? [])].sort((a, b) => b.ms - a.ms);
  profile = null;
  for (const b of bound) install(b.view, b.raw);
  return result;
}

/**
 * Returns a lazily bound view of `table`: the library is built/loaded on the first call of any
 * of its functions, never at import time.
 */
export function bindKernels<const T extends Record<string, FFIFunction>>(table: T): Library<T>["symbols"] {
  const view: Record<string, unknown> = {};
  const load = () => {
    const lib = dlopen(openChecked(), table);
    const raw = (trace ? traced(lib.symbols as any) : lib.symbols) as Record<string, Fn>;
    bound.push({ view, raw });
    // Replace the loading stubs by the bound functions: later calls go straight to the kernel.
    install(view, raw);
  };
  for (const name of Object.keys(table)) {
    view[name] = (...args: unknown[]) => {
      load();
      return (view[name] as Fn)(...args);
    };
  }
  return view as Library<T>["symbols"];
}

const threads = bindKernels(core);

/** Threads the kernels use now (the pool is sized once; see PULLBACK_THREADS). */
export function getThreads(): number {
  return Number(threads.pb_threads_get());
}

/** Uses `n` threads (1..pool size) for later kernel calls; returns the number in force. */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, got ${n}`);
  return Number(threads.pb_threads_set(n));
}

/** Size of the persistent kernel thread pool. */
export function poolSize(): number {
  return Number(threads.pb_threads_pool_size());
}
