// `bun run ad:expand path/to/file.ad.ts [--map] [--compact] [--forward]`: prints the expansion of
// a .ad.ts file, with --map the source map (JSON). Implicit mode: the module as written plus the
// rule of every function, after the last line, with a `// pullback of: …` comment per statement
// (what the loader runs); with --forward, the forward rules of its functions instead, with a
// `// tangent of: …` comment per statement (what jvp generates on first use). Explicit mode:
// readable multi-line pullbacks with a comment per step, unless --compact (what the loader runs,
// line-preserving).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { AdSyntaxError } from "./diagnostics.ts";
import { transformAd } from "./transform.ts";

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith("--"));
const flags = new Set(args.filter((a) => a.startsWith("--")));
const unknown = [...flags].filter((f) => f !== "--map" && f !== "--compact" && f !== "--forward" && f !== "--help");
if (flags.has("--help") || files.length !== 1 || unknown.length > 0) {
  if (unknown.length > 0) console.error(`ad:expand: unknown option ${unknown.join(", ")}`);
  console.error("usage: bun run ad:expand path/to/file.ad.ts [--map] [--compact] [--forward]");
  process.exit(flags.has("--help") ? 0 : 2);
}
const path = resolve(files[0]);
let source: string;
try {
  source = readFileSync(path, "utf8");
} catch (err) {
  console.error(`ad:expand: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
try {
  const forward = flags.has("--forward");
  const r = transformAd(source, files[0], { readable: !flags.has("--compact"), map: flags.has("--map") && !forward, noCache: true, forward });
  process.stdout.write(r.code.endsWith("\n") ? r.code : `${r.code}\n`);
  if (flags.has("--map")) process.stdout.write(`\n// source map (v3, hires)\n${JSON.stringify(r.map, null, 2)}\n`);
} catch (err) {
  if (err instanceof AdSyntaxError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
