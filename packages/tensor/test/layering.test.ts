// @pullback/tensor depends on no package of this repository but @pullback/kernels: no file under
// packages/tensor (sources, tests, benchmarks) imports another workspace package or reaches into
// another package's folder by a relative path, and its package.json declares no other one. The
// workspace packages are read from the root package.json's workspaces; imports (static, type-only,
// dynamic, require) are found by TypeScript's import scanner, so comments and strings do not count.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(import.meta.dir, "../../..");
const tensorDir = resolve(import.meta.dir, "..");
const allowed = new Set(["@pullback/tensor", "@pullback/kernels"]);

/** The name of every workspace package (root package.json `workspaces`: folders and `dir/*` globs). */
function workspacePackages(): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] };
  const dirs = workspaces.flatMap((w) =>
    w.endsWith("/*")
      ? readdirSync(join(root, w.slice(0, -2)), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(root, w.slice(0, -2), e.name))
      : [join(root, w)],
  );
  return dirs.flatMap((d) => {
    try {
      return [(JSON.parse(readFileSync(join(d, "package.json"), "utf8")) as { name: string }).name];
    } catch {
      return [];
    }
  });
}

/** The imports of `source` (a file at `path`) that leave @pullback/tensor: another workspace package, or a relative path out of `tensorDir`. */
function foreignImports(source: string, path: string, packages: string[]): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((spec) => {
      if (spec.startsWith(".")) return relative(tensorDir, resolve(dirname(path), spec)).startsWith("..");
      const name = spec
        .split("/")
        .slice(0, spec.startsWith("@") ? 2 : 1)
        .join("/");
      return packages.includes(name) && !allowed.has(name);
    });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules") return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|tsx|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

describe("@pullback/tensor depends on nothing of ours but @pullback/kernels", () => {
  const packages = workspacePackages();

  test("the scanner sees the workspace packages and finds every kind of import that leaves the package", () => {
    expect(packages).toContain("@pullback/ad");
    expect(packages).toContain("@pullback/kernels");
    const here = join(tensorDir, "test", "x.test.ts");
    const source = [
      `// import { gradcheck } from "@pullback/ad"; (a comment)`,
      `import { gradcheck } from "@pullback/ad";`,
      `import type { Preset } from "@pullback/gpt2";`,
      `const m = await import("../../ad/src/transform.ts");`,
      `require("@pullback/train/src/plug.ts");`,
      `import { median } from "../bench/harness.ts";`,
      `import { ensureZig } from "@pullback/kernels";`,
      `import { Tensor } from "@pullback/tensor";`,
      `const s = "import q from '@pullback/ad'";`,
    ].join("\n");
    expect(foreignImports(source, here, packages)).toEqual([
      "@pullback/ad",
      "@pullback/gpt2",
      "../../ad/src/transform.ts",
      "@pullback/train/src/plug.ts",
    ]);
  });

  test("no file under packages/tensor imports another workspace package or reaches out of the folder", () => {
    const files = sourceFiles(tensorDir);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) => foreignImports(readFileSync(f, "utf8"), f, packages).map((spec) => `${relative(root, f)}: ${spec}`));
    expect(found).toEqual([]);
  });

  test("package.json declares no workspace package but @pullback/kernels", () => {
    const pkg = JSON.parse(readFileSync(join(tensorDir, "package.json"), "utf8")) as Record<string, unknown>;
    const declared = ["dependencies", "peerDependencies", "devDependencies", "optionalDependencies"].flatMap((field) =>
      Object.keys((pkg[field] as Record<string, string>) ?? {}),
    );
    expect(declared).toContain("@pullback/kernels");
    expect(declared.filter((name) => packages.includes(name) && !allowed.has(name))).toEqual([]);
  });
});
