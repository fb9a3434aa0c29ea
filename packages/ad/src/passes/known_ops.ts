// What the loader knows of the exports of @pullback/tensor, by name — derived from tensor's op
// table (@pullback/tensor/rules), where every export is classified in exactly one place:
//   DIFFERENTIABLE_OPS         ops with a rule: a call with tracked arguments is differentiated;
//   DIFFERENTIABLE_ARGS        how many leading arguments of each are differentiable (activity);
//   NON_DIFFERENTIABLE_EXPORTS the result carries no gradient, whatever the arguments;
//   MUTATING_OPS               ops that write into arguments in place (positions listed);
//   NO_RULE_OPS                intentionally without a rule, with the reason (backward kernels…);
//   BACKWARD_KERNELS           the backward kernels and forward forms the table's rules call.
// Importing the table loads tensor's op modules (not the Zig library) — about as long as loading
// every pass. So the derived lists are also kept in the loader's disk cache, keyed by the
// transform's version (a hash of the passes and of the table's files, transform.ts): a process
// that expands files after the first one never loads tensor for them.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface KnownOps {
  args: [string, number][];
  nonDifferentiable: string[];
  mutating: [string, number[]][];
  noRule: [string, string][];
  kernels: string[];
}

/** The lists, from the op table itself. */
export function deriveKnownOps(): KnownOps {
  const t = require("@pullback/tensor/rules") as typeof import("@pullback/tensor/rules");
  const entries = Object.entries(t.opTable);
  return {
    args: entries.map(([name, entry]) => [name, entry.differentiable]),
    nonDifferentiable: [...t.NON_DIFFERENTIABLE_EXPORTS],
    mutating: [...t.MUTATING_OPS].map(([name, positions]) => [name, [...positions]]),
    noRule: [...t.NO_RULE_OPS],
    kernels: [...new Set(entries.flatMap(([, e]) => [...e.kernels, ...(e.forward ? [e.forward] : [])].map((k) => k.name)))],
  };
}

/** The lists from the disk cache when they are there for this transform version, else derived (and stored). */
function loadKnownOps(): KnownOps {
  const { TRANSFORM_VERSION } = require("../transform.ts") as typeof import("../transform.ts");
  const { defaultCacheDir } = require("../plugin.ts") as typeof import("../plugin.ts");
  const dir = defaultCacheDir();
  if (!dir || TRANSFORM_VERSION === "ad-unknown") return deriveKnownOps();
  const path = join(dir, `known-ops-${TRANSFORM_VERSION}.json`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as KnownOps;
  } catch {
    // absent or unreadable: derive it, and store it for the next process
  }
  const known = deriveKnownOps();
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(known));
    renameSync(tmp, path);
  } catch {
    // the cache is an optimization only
  }
  return known;
}

const known = loadKnownOps();

export const DIFFERENTIABLE_ARGS: ReadonlyMap<string, number> = new Map(known.args);
export const DIFFERENTIABLE_OPS: ReadonlySet<string> = new Set(DIFFERENTIABLE_ARGS.keys());
export const NON_DIFFERENTIABLE_EXPORTS: ReadonlySet<string> = new Set(known.nonDifferentiable);
export const MUTATING_OPS: ReadonlyMap<string, readonly number[]> = new Map(known.mutating);
export const NO_RULE_OPS: ReadonlyMap<string, string> = new Map(known.noRule);
export const BACKWARD_KERNELS: readonly string[] = known.kernels;
