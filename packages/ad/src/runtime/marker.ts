// The `ad` marker. In a `*.ad.ts` file loaded through the pullback loader, every `ad(fn)` call is
// rewritten away (fn becomes a function returning `[output, pullback]`). If `ad` is ever really
// called, the loader did not run: fail loudly instead of silently computing no gradient.

export const loaderHelp =
  'register the pullback loader: in bunfig.toml add `preload = ["@pullback/ad/preload"]` ' +
  "(and the same under `[test]` for `bun test`) — Bun reads the bunfig.toml of the folder it is started from, " +
  "so run `bun` from the folder that has it or pass `bun --preload @pullback/ad/preload …` — " +
  "or pass the plugin to a build: " +
  '`import { pullbackPlugin } from "@pullback/ad/plugin"; Bun.build({ entrypoints, plugins: [pullbackPlugin] })`';

/** Set when the loader plugin is registered in this process (by the preload or `plugin(pullbackPlugin)`). */
const REGISTERED = Symbol.for("@pullback/ad:loader-registered");

/** Marks the .ad.ts loader as registered (plugin.ts calls this from its setup). */
export function markLoaderRegistered(): void {
  (globalThis as Record<symbol, unknown>)[REGISTERED] = true;
}

/** Whether the .ad.ts loader is registered in this process. */
export function loaderRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[REGISTERED] === true;
}

/** The `.ad.ts` modules loaded in this process while the loader is not registered (Bun lists ES modules in require.cache). */
export function adFilesWithoutLoader(): string[] {
  if (loaderRegistered()) return [];
  try {
    return Object.keys(require.cache).filter((k) => k.endsWith(".ad.ts"));
  } catch {
    return [];
  }
}

/**
 * The error for a function that should have a generated rule but has none because no .ad.ts file
 * went through the loader: `.ad.ts` files then run as plain TypeScript (forward only).
 */
export function loaderMissing(api: string, fn: Function, plainFiles: string[] = adFilesWithoutLoader()): AdLoaderError {
  const name = fn.name ? `\`${fn.name}\`` : "the function";
  const files = plainFiles.length ? ` (imported as plain TypeScript: ${plainFiles.join(", ")})` : "";
  return new AdLoaderError(
    `${api}: ${name} has no rule because the .ad.ts loader is not registered in this process ` +
      `(cwd ${process.cwd()}), so its .ad.ts file was imported as plain TypeScript and no pullback was generated${files}. ` +
      `To fix it, ${loaderHelp}.`,
  );
}

/** Thrown when `ad(...)` runs untransformed, or a function of an .ad.ts file has no rule because the loader is missing. */
export class AdLoaderError extends Error {
  constructor(message: string) {
    super(message);
  }
}
// On the prototype, so the stack trace (captured in the constructor) already says AdLoaderError.
Object.defineProperty(AdLoaderError.prototype, "name", { value: "AdLoaderError", configurable: true, writable: true });

/**
 * Marks a function written in the rrule-call convention for differentiation. Only meaningful in a
 * file named `*.ad.ts` loaded through the pullback loader, which replaces the call; at runtime the
 * marker itself only throws.
 */
export function ad<F extends (x: any, ...rest: any[]) => any>(fn: F): (x: Parameters<F>[0], ...rest: any[]) => [ReturnType<F>, (dy: any) => any] {
  void fn;
  throw new AdLoaderError(
    "ad(...) was called without the .ad.ts loader (it is not registered in this process), so no pullback was generated. " +
      "The file that calls `ad` must be named `*.ad.ts` and be loaded through the pullback loader; " +
      loaderHelp +
      ".",
  );
}
