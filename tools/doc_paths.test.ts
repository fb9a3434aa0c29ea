// The documents name files of the repository; every name must exist, so that a moved or deleted
// file fails here instead of leaving a stale document behind. Scanned: README.md, docs/*.md and
// the READMEs of the packages, apps, tools, examples and corpus. Checked in each:
//   - every path that starts at a top-level folder (`packages/…`, `apps/…`, `zig-kernels/…`,
//     `tools/…`, `examples/…`, `corpus/…`, `docs/…`), anywhere in the text;
//   - in a folder's README, backticked paths into that folder (`src/…`, `test/…`, `bench/…`,
//     `scripts/…`), resolved against it;
//   - every relative link target, and its `#anchor` when it points into a Markdown file.
// A path may be a pattern: `*`, `{a,b}` and placeholders `<name>` (read as `*`) must match at least
// one file. A git-ignored path (a cache, a build output: `corpus/cache/`, `zig-kernels/zig-out/`)
// is generated at run time and need not exist.
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dir, "..");

const DOCUMENTS = [
  "README.md",
  "docs/*.md",
  "packages/*/README.md",
  "apps/*/README.md",
  "tools/*/README.md",
  "examples/README.md",
  "corpus/README.md",
  "zig-kernels/README.md",
];
const TOP_LEVEL = ["packages", "apps", "zig-kernels", "tools", "examples", "corpus", "docs"];

/** A path from the repository root, not preceded by a path character (`../shared/corpus/…` is not one). */
const ROOT_PATH = new RegExp(String.raw`(?<![\w./$~-])(?:${TOP_LEVEL.join("|")})/[\w.*/<>{},@-]*`, "g");
/** A backticked path into the folder of a README. */
const LOCAL_PATH = /`((?:src|test|bench|scripts)\/[\w.*/<>{},@-]*)`/g;
/** A Markdown link target. */
const LINK = /\]\(([^)\s]+)\)/g;

function documents(): string[] {
  const out = new Set<string>();
  for (const pattern of DOCUMENTS) for (const path of new Bun.Glob(pattern).scanSync({ cwd: root })) out.add(path);
  return [...out].sort();
}

/** Trailing punctuation of the sentence the path ends, and a `:line` suffix. */
const trimmed = (path: string): string => path.replace(/[.,]+$/, "").replace(/:\d+(:\d+)?$/, "");

/** Whether `path` (relative to the root; `*`, `{a,b}` and `<name>` are patterns) names at least one file or folder. */
function exists(path: string): boolean {
  const pattern = path.replace(/<[^>/]*>/g, "*").replace(/\/$/, "");
  const segments = pattern.split("/");
  const firstPattern = segments.findIndex((s) => /[*{]/.test(s));
  if (firstPattern < 0) return existsSync(join(root, pattern));
  const base = join(root, ...segments.slice(0, firstPattern));
  if (!existsSync(base)) return false;
  const rest = segments.slice(firstPattern).join("/");
  for (const _ of new Bun.Glob(rest).scanSync({ cwd: base, onlyFiles: false })) return true;
  return false;
}

/** The paths of `paths` that git ignores (generated at run time), as files or as folders. */
function ignoredByGit(paths: string[]): Set<string> {
  if (paths.length === 0) return new Set();
  const asFolder = (p: string) => p.replace(/\/?$/, "/");
  const queries = paths.flatMap((p) => [p, asFolder(p)]);
  const r = Bun.spawnSync(["git", "check-ignore", "--no-index", "--stdin"], {
    cwd: root,
    stdin: Buffer.from(queries.join("\n")),
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`git check-ignore failed: ${r.stderr.toString()}`);
  const ignored = new Set(r.stdout.toString().split("\n").filter(Boolean));
  return new Set(paths.filter((p) => ignored.has(p) || ignored.has(asFolder(p))));
}

/** GitHub's anchors of the headings of a Markdown text (a repeated heading gets `-1`, `-2`, …). */
function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  const text = markdown.replace(/^```[\s\S]*?^```/gm, "");
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    let anchor = slug;
    for (let n = 1; out.has(anchor); n++) anchor = `${slug}-${n}`;
    out.add(anchor);
  }
  return out;
}

interface Mention {
  document: string;
  line: number;
  path: string;
  anchor?: string;
}

function mentions(document: string): Mention[] {
  const text = readFileSync(join(root, document), "utf8");
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  const folder = dirname(document);
  const out: Mention[] = [];
  for (const m of text.matchAll(ROOT_PATH)) out.push({ document, line: lineOf(m.index), path: trimmed(m[0]) });
  if (folder !== "." && document.endsWith("README.md"))
    for (const m of text.matchAll(LOCAL_PATH)) out.push({ document, line: lineOf(m.index), path: join(folder, trimmed(m[1])) });
  const prose = text.replace(/^```[\s\S]*?^```/gm, (code) => code.replace(/[^\n]/g, " ")).replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
  for (const m of prose.matchAll(LINK)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [file, anchor] = target.split("#");
    const path = file === "" ? document : relative(root, join(root, folder, file));
    out.push({ document, line: lineOf(m.index), path, anchor });
  }
  return out;
}

test("the documents are found", () => {
  const found = documents();
  for (const d of ["README.md", "docs/ad.md", "docs/kernels.md", "apps/train/README.md", "examples/README.md", "tools/reference/README.md"])
    expect(found).toContain(d);
});

test("every repository path a document names exists (or is git-ignored: generated at run time)", () => {
  const all = documents().flatMap(mentions);
  const missing = all.filter((m) => !exists(m.path));
  const ignored = ignoredByGit([...new Set(missing.map((m) => m.path))]);
  const dead = missing.filter((m) => !ignored.has(m.path)).map((m) => `${m.document}:${m.line}: ${m.path}`);
  expect(dead).toEqual([]);
  expect(all.length).toBeGreaterThan(100);
});

test("every #anchor of a link into a Markdown document is a heading of it", () => {
  const anchors = new Map<string, Set<string>>();
  const dead: string[] = [];
  for (const m of documents().flatMap(mentions)) {
    if (m.anchor === undefined || !m.path.endsWith(".md") || !existsSync(join(root, m.path))) continue;
    if (!anchors.has(m.path)) anchors.set(m.path, anchorsOf(readFileSync(join(root, m.path), "utf8")));
    if (!anchors.get(m.path)!.has(m.anchor)) dead.push(`${m.document}:${m.line}: ${m.path}#${m.anchor}`);
  }
  expect(dead).toEqual([]);
});

test("the checks find what they look for", () => {
  expect(exists("packages/tensor/src/rules/<domain>.ts")).toBe(true);
  expect(exists("packages/ad/test/snapshots/*.expanded.ts")).toBe(true);
  expect(exists("packages/tensor/src/rules/no_such_file.ts")).toBe(false);
  expect(exists("packages/no_such_package/<name>.ts")).toBe(false);
  expect(exists("zig-kernels/src/<family>.py")).toBe(false);
  expect(ignoredByGit(["corpus/cache/tokens/", "corpus/cache", "packages/ad/src/index.ts"])).toEqual(
    new Set(["corpus/cache/tokens/", "corpus/cache"]),
  );
  expect(anchorsOf("# Forward mode (jvp)\n## The C ABI\n## The C ABI\n")).toEqual(new Set(["forward-mode-jvp", "the-c-abi", "the-c-abi-1"]));
  expect([..."`packages/a.ts`, ../shared/corpus/x.txt, (docs/ad.md)".matchAll(ROOT_PATH)].map((m) => m[0])).toEqual(["packages/a.ts", "docs/ad.md"]);
});
