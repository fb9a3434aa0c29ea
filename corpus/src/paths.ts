// Where things live: the repository root, the cache folder, the shared sample corpus.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The monorepo root: the nearest ancestor of this file whose package.json declares workspaces. */
export function repoRoot(): string {
  let dir = resolve(import.meta.dir, "..");
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).workspaces) return dir;
      } catch {}
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(import.meta.dir, "../..");
    dir = parent;
  }
}

/** The cache folder (git-ignored): `corpus/cache`, or `$PULLBACK_CORPUS_CACHE`. */
export function cacheDir(): string {
  return process.env.PULLBACK_CORPUS_CACHE ?? join(repoRoot(), "corpus", "cache");
}

export const SAMPLE_NAME = "tinystories-sample.txt";

/**
 * The 176-story sample `../shared/corpus/tinystories-sample.txt` (relative to the repository root),
 * or undefined when it does not exist. Looks only at `$PULLBACK_SHARED/corpus/…` when that is set,
 * else at `<root>/../shared/corpus/…`, then `<ancestor>/shared/corpus/…` for every ancestor of the
 * root (a git worktree `/work/wt/x` finds `/work/shared`).
 */
export function findSharedSample(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PULLBACK_SHARED) {
    const p = join(process.env.PULLBACK_SHARED, "corpus", SAMPLE_NAME);
    return existsSync(p) ? p : undefined;
  }
  let dir = repoRoot();
  for (;;) {
    const parent = dirname(dir);
    candidates.push(join(parent, "shared", "corpus", SAMPLE_NAME));
    if (parent === dir) break;
    dir = parent;
  }
  return candidates.find((p) => existsSync(p));
}
