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

/**
 * Returns a lazily bound view of `table`: the library is built/loaded on the first call of any
 * of its functions, never at import time.
 */
export function bindKernels<const T extends Record<string, FFIFunction>>(table: T): Library<T>["symbols"] {
  const view: Record<string, unknown> = {};
  const load = () => {
    const lib = dlopen(openChecked(), table);
    // Replace the loading stubs by the bound functions: later calls go straight to the kernel.
    Object.assign(view, trace ? traced(lib.symbols as any) : lib.symbols);
  };
  for (const name of Object.keys(table)) {
    view[name] = (...args: unknown[]) => {
      load();
      return (view[name] as (...a: unknown[]) => unknown)(...args);
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
