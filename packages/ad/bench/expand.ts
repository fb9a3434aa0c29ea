// bun run bench:ad — load-time cost of expanding a generated ~300-line .ad.ts file (many rrule
// calls, loops, nested ad): cold (first expansion in a fresh process), warm (repeated, cache
// bypassed), cached in memory, and cached on disk (fresh process). Medians over repeats; the
// machine is shared, so compare figures from the same run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "@pullback/tensor/bench";

/** A valid ~300-line .ad.ts source. */
export function generate(blocks = 10): string {
  const lines = ['import { ad, attach, detach, fork } from "@pullback/ad";', 'import { add, bar, baz, matmul, scale } from "./ops.ts";', ""];
  for (let b = 0; b < blocks; b++) {
    lines.push(
      `/** Block ${b}: straight-line calls, a loop, a nested per-layer closure. */`,
      `export const block${b} = ad(([x, w, v], n: number, ws: unknown[]) => {`,
      `  const [[x1, x2], __] = fork(x);`,
      `  const [h, __1] = matmul([x1, w]);`,
      `  let [g, __2] = baz(h, ${b});`,
      `  const k = ${b} * 0.5 + 1;`,
      `  let [u, __3] = scale(x2, k);`,
      `  let t, q;`,
      `  let __4;`,
      `  for (let i = 0; i < n; i++) {`,
      `    [[t, q], __4] = fork(g);`,
      `    [g, __4] = bar([t, u]);`,
      `    [u, __4] = baz(q, i);`,
      `  }`,
      `  let wl;`,
      `  let __5;`,
      `  for (const layerW of ws) {`,
      `    const layer = ad(([hin, win]) => {`,
      `      const [z, __] = matmul([hin, win]);`,
      `      const [a, __1] = baz(z, 0);`,
      `      return a;`,
      `    });`,
      `    [wl, __5] = attach(layerW);`,
      `    [g, __5] = layer([g, wl]);`,
      `  }`,
      `  const [gv, __6] = add([g, u]);`,
      `  const [[o1, o2], __7] = fork(gv);`,
      `  const [r, __8] = bar([o1, v]);`,
      `  const [dd, __9] = detach(o2);`,
      `  return r;`,
      `});`,
      "",
    );
  }
  return lines.join("\n");
}

async function child(mode: string, path: string, cacheDir: string): Promise<void> {
  const t0 = performance.now();
  const { transformAd } = await import("../src/transform.ts");
  const tImport = performance.now() - t0;
  const source = await Bun.file(path).text();
  // Load the passes (oxc-parser's native binding, magic-string) first, timed apart.
  const tl = performance.now();
  if (mode === "cold") for (const m of ["parse", "check", "expand", "emit"]) require(`../src/passes/${m}.ts`);
  const tLoad = performance.now() - tl;
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  const r = transformAd(source, path, { map: true, cacheDir: mode === "disk" ? cacheDir : null });
  const t = performance.now() - t1;
  const c = process.cpuUsage(c1);
  // A second, different file of the same size in the same process (the loader's code is warm).
  const t2 = performance.now();
  if (mode === "cold") transformAd(source.replaceAll("block", "other"), path, { map: true, cacheDir: null });
  const tNext = performance.now() - t2;
  console.log(JSON.stringify({ t, cpu: (c.user + c.system) / 1000, tNext, tLoad, tImport, cached: r.cached, functions: r.functions }));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pullback-bench-ad-"));
  try {
    const source = generate();
    const path = join(dir, "bench.ad.ts");
    writeFileSync(path, source);
    const cacheDir = join(dir, "cache");
    const lines = source.split("\n").length;
    const run = (mode: string) => {
      const p = Bun.spawnSync(["bun", import.meta.path, "--child", mode, path, cacheDir], { stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(p.stderr.toString());
      return JSON.parse(p.stdout.toString()) as {
        t: number;
        cpu: number;
        tNext: number;
        tLoad: number;
        tImport: number;
        cached: string | false;
        functions: number;
      };
    };
    const repeats = 9;
    const cold = Array.from({ length: repeats }, () => run("cold"));
    run("disk"); // populate the disk cache
    const disk = Array.from({ length: repeats }, () => run("disk"));
    if (disk.some((d) => d.cached !== "disk")) throw new Error("disk cache was not hit");

    const { transformAd } = await import("../src/transform.ts");
    const warm: number[] = [];
    const warmCpu: number[] = [];
    for (let i = 0; i < 30; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      transformAd(source, path, { map: true, noCache: true });
      warm.push(performance.now() - t);
      const d = process.cpuUsage(c);
      warmCpu.push((d.user + d.system) / 1000);
    }
    transformAd(source, path, { map: true });
    const mem: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      transformAd(source, path, { map: true });
      mem.push(performance.now() - t);
    }
    const f = (x: number) => `${x.toFixed(2)} ms`;
    console.log(
      `bench:ad — expanding a generated .ad.ts file: ${lines} lines, ${cold[0].functions} ad functions (${cold[0].functions / 2} nested), with a hires source map`,
    );
    // Wall time suffers from other processes on a shared machine; CPU time (user + system of this
    // process; includes any GC/JIT threads) is the steadier figure.
    const min = (xs: number[]) => Math.min(...xs);
    console.log(`                                                       wall (median)   CPU (median)   wall (best)`);
    console.log(
      `  cold   (first expansion in a fresh process, ×${repeats})    ${f(median(cold.map((c) => c.t))).padStart(10)}   ${f(median(cold.map((c) => c.cpu))).padStart(10)}   ${f(min(cold.map((c) => c.t))).padStart(10)}   [target < 20 ms]`,
    );
    console.log(
      `  next file (cold process, a 2nd different file, ×${repeats}) ${f(median(cold.map((c) => c.tNext))).padStart(10)}                ${f(min(cold.map((c) => c.tNext))).padStart(10)}`,
    );
    console.log(`  warm   (repeated, cache bypassed, ×${warm.length})          ${f(median(warm)).padStart(10)}   ${f(median(warmCpu)).padStart(10)}`);
    console.log(`  cached (in memory, ×${mem.length})                        ${f(median(mem)).padStart(10)}`);
    console.log(
      `  cached (on disk, fresh process, ×${repeats})              ${f(median(disk.map((d) => d.t))).padStart(10)}   ${f(median(disk.map((d) => d.cpu))).padStart(10)}`,
    );
    console.log(
      `  loading the passes (oxc-parser's native binding, magic-string), once per process, before the cold expansion: ${f(median(cold.map((c) => c.tLoad)))} median, ${f(min(cold.map((c) => c.tLoad)))} best (a disk-cache hit never loads them)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv[3], process.argv[4], process.argv[5]);
else if (import.meta.main) await main();
