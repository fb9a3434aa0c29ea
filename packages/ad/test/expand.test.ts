// The properties of the compact expansion that the loader relies on: every original line stays on
// its line, untouched code is byte-identical (the expansions themselves: snapshots.test.ts).
import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { transformAd, clearTransformCache, TRANSFORM_VERSION } from "../src/transform.ts";
import { decodeMappings, hiresMappings } from "../src/sourcemap.ts";
import { parse } from "../src/passes/parse.ts";
import { check } from "../src/passes/check.ts";
import { expand } from "../src/passes/expand.ts";
import { emit } from "../src/passes/emit.ts";

const fixtures = ["example", "loops", "nested", "structural", "throws"];
const read = (name: string) => readFileSync(join(import.meta.dir, "fixtures", `${name}.ad.ts`), "utf8");

describe("the compact expansion preserves lines", () => {
  for (const name of fixtures) {
    test(`${name}.ad.ts: same line count; each line keeps its text up to the first edit`, () => {
      const src = read(name);
      const out = transformAd(src, `${name}.ad.ts`, { noCache: true }).code;
      const a = src.split("\n"),
        b = out.split("\n");
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        if (a[i] === b[i]) continue;
        // An edited line: the original indentation and first token are still there.
        expect(b[i].slice(0, a[i].search(/\S|$/))).toBe(a[i].slice(0, a[i].search(/\S|$/)));
        expect(
          b[i]
            .replace(/__pb\d+(, __stack\d+ = \[\])?/g, "__")
            .replace(/ __stack\d+\.push\(__pb\d+\);/g, "")
            .replace("{ [", "[")
            .replace(/ }$/, "")
            .replace(/__ad\.explicit\("[\w$]*", /, "__ad.explicit("),
        ).toContain(
          a[i]
            .replace(/\bad\(/, "__ad.explicit(")
            .replace(/__\d+/g, "__")
            .split("//")[0]
            .replace(/return (.*);\s*$/, "return [$1")
            .trimEnd(),
        );
      }
    });
  }
  test("code the transform does not touch is byte-identical", () => {
    const src = read("structural");
    const out = transformAd(src, "structural.ad.ts", { noCache: true }).code;
    const untouched = src.split("\n").filter((l) => !/__\d*\b|\bad\(|return /.test(l));
    for (const l of untouched) expect(out).toContain(l);
    expect(transformAd("export const x = 1; // no ad here\n", "plain.ad.ts", { noCache: true }).code).toBe("export const x = 1; // no ad here\n");
  });
  test("a hires source map maps unchanged columns to themselves", () => {
    const src = read("example");
    const r = transformAd(src, "example.ad.ts", { map: true, noCache: true });
    expect(r.map!.sources).toEqual(["example.ad.ts"]);
    const lines = decodeMappings(r.map!.mappings);
    // line 6 (index 5): `  const [x1, __] = foo(x, 1);` — `foo` is at column 20 (0-based 19) in both.
    const segs = lines[5];
    const at = [] as number[];
    for (let k = 0; k < segs.length; k += 3) if (segs[k + 1] === 5 && segs[k + 2] === 19) at.push(segs[k]);
    expect(at).toEqual([22]); // shifted by 3 by the marker rename `__` → `__pb1`
  });
  test("the fast hires map is identical to magic-string's generateMap({ hires: true })", () => {
    for (const name of fixtures) {
      for (const readable of [false, true]) {
        const src = read(name);
        const { parsed } = parse(`${name}.ad.ts`, src);
        const plans = expand(parsed!, check(parsed!).functions, { comments: readable });
        const { ms, edits } = emit(parsed!, plans, { readable });
        expect(hiresMappings(src, edits)).toBe(ms.generateMap({ hires: true, source: name }).mappings);
      }
    }
  });
  test("expansions are cached by content", () => {
    clearTransformCache();
    const src = read("loops");
    expect(transformAd(src, "loops.ad.ts").cached).toBe(false);
    expect(transformAd(src, "loops.ad.ts").cached).toBe("memory");
    expect(transformAd(src + "\n", "loops.ad.ts").cached).toBe(false);
  });
});

describe("the ad:expand CLI and the disk cache", () => {
  const root = join(import.meta.dir, "../../..");
  test("bun run ad:expand prints the readable expansion; --map adds the source map; errors go to stderr", () => {
    const p = Bun.spawnSync(["bun", "run", "ad:expand", "packages/ad/test/fixtures/example.ad.ts", "--map"], { cwd: root });
    const out = p.stdout.toString();
    expect(p.exitCode).toBe(0);
    expect(out).toContain("return [z, function f_pullback(__dout) {");
    expect(out).toContain("// pullback of: let [y1, __1] = bar([x1, y]);");
    expect(out).toContain('"mappings": "');
    const bad = Bun.spawnSync(["bun", "run", "ad:expand", "packages/ad/test/fixtures/ops.ts", "--bogus"], { cwd: root });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.toString()).toContain("unknown option --bogus");
  });
  test("a disk-cached expansion is reused by content hash", () => {
    const dir = join(import.meta.dir, `.tmp-cache-${process.pid}`);
    try {
      clearTransformCache();
      const src = read("nested");
      const first = transformAd(src, "nested.ad.ts", { map: true, cacheDir: dir });
      clearTransformCache();
      const second = transformAd(src, "nested.ad.ts", { map: true, cacheDir: dir });
      expect(first.cached).toBe(false);
      expect(second.cached).toBe("disk");
      expect(second.code).toBe(first.code);
      expect(second.map).toEqual(first.map!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the cache key covers the passes and @pullback/tensor's op table (a new op invalidates cached expansions)", () => {
    // "ad-unknown" is the fallback when a source cannot be read: every key would then collide.
    expect(TRANSFORM_VERSION).not.toBe("ad-unknown");
    const rules = readFileSync(Bun.resolveSync("@pullback/tensor/rules", import.meta.dir), "utf8");
    expect(rules).toContain("opTable");
  });
});
