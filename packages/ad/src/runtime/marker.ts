// The `ad` marker. In a `*.ad.ts` file loaded through the pullback loader, every `ad(fn)` call is
// rewritten away (fn becomes a function returning `[output, pullback]`). If `ad` is ever really
// called, the loader did not run: fail loudly instead of silently computing no gradient.

export const loaderHelp =
  "register the pullback loader: in bunfig.toml add `preload = [\"@pullback/ad/preload\"]` " +
  "(and the same under `[test]` for `bun test`), or pass the plugin to a build: " +
  "`import { pullbackPlugin } from \"@pullback/ad/plugin\"; Bun.build({ entrypoints, plugins: [pullbackPlugin] })`";

/** Thrown when `ad(...)` runs untransformed. */
export class AdLoaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdLoaderError";
  }
}

/**
 * Marks a function written in the rrule-call convention for differentiation. Only meaningful in a
 * file named `*.ad.ts` loaded through the pullback loader, which replaces the call; at runtime the
 * marker itself only throws.
 */
export function ad<F extends (x: any, ...rest: any[]) => any>(fn: F): (x: Parameters<F>[0], ...rest: any[]) => [ReturnType<F>, (dy: any) => any] {
  void fn;
  throw new AdLoaderError(
    "ad(...) was called without the .ad.ts loader, so no pullback was generated. " +
      "The file that calls `ad` must be named `*.ad.ts` and be loaded through the pullback loader; " +
      loaderHelp +
      ".",
  );
}
