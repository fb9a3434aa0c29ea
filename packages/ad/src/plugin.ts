// The Bun plugin: one onLoad for `*.ad.ts` files, which expands them (see transform.ts) and
// returns line-preserving TypeScript with an inline hires source map. Use it at runtime through
// the preload (`preload = ["@pullback/ad/preload"]` in bunfig.toml) or in a build:
//   Bun.build({ entrypoints, plugins: [pullbackPlugin] })
import type { BunPlugin } from "bun";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { markLoaderRegistered } from "./runtime/marker.ts";
import { registerSourceMap } from "./sourcemap.ts";
import type { transformAd as TransformAd } from "./transform.ts";

// The transform (oxc-parser's native binding, magic-string) is loaded on the first .ad.ts file
// only: the preload runs for every `bun run` and `bun test` in the repository.
let transform: typeof TransformAd | null = null;
function getTransform(): typeof TransformAd {
  transform ??= (require("./transform.ts") as typeof import("./transform.ts")).transformAd;
  return transform;
}

/** Expansions are also cached on disk here (git-ignored); PULLBACK_AD_CACHE=0 disables it, =dir moves it. */
export function defaultCacheDir(): string | null {
  const env = process.env.PULLBACK_AD_CACHE;
  if (env === "0" || env === "off") return null;
  if (env) return env;
  return fileURLToPath(new URL("../node_modules/.cache/pullback-ad", import.meta.url));
}

const cacheDir = defaultCacheDir();

/** Expanded TypeScript for a .ad.ts file on disk, with its inline source map. */
export function loadAdFile(path: string): string {
  const source = readFileSync(path, "utf8");
  const r = getTransform()(source, path, { map: true, cacheDir });
  if (!r.map) return r.code;
  registerSourceMap(path, r.map.mappings, r.frames);
  const inline = Buffer.from(JSON.stringify(r.map)).toString("base64");
  return `${r.code}\n//# sourceMappingURL=data:application/json;base64,${inline}\n`;
}

export const pullbackPlugin: BunPlugin = {
  name: "pullback-ad",
  setup(build) {
    markLoaderRegistered();
    build.onLoad({ filter: /\.ad\.ts$/ }, (args) => ({ contents: loadAdFile(args.path), loader: "ts" }));
  },
};

export default pullbackPlugin;
