import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsLog, readMetrics, truncateMetrics } from "../src/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-metrics-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("metrics JSONL", () => {
  test("every appended record is one JSON line that parses back", () => {
    const path = join(dir, "a.jsonl");
    const log = new MetricsLog(path);
    for (let s = 1; s <= 5; s++)
      log.append({ type: "train", step: s, loss: 5 - s / 10, lr: 2e-3, gradNorm: 1.5, ms: 300, tokensPerSecond: 27000, time: s * 0.3 });
    log.append({ type: "eval", step: 5, loss: 4.6, time: 1.6 });
    log.append({ type: "sample", step: 5, prompt: "One day,", text: 'One day, "quoted"\nnew line' });
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines.length).toBe(7);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const records = readMetrics(path);
    expect(records[0]).toEqual({ type: "train", step: 1, loss: 4.9, lr: 2e-3, gradNorm: 1.5, ms: 300, tokensPerSecond: 27000, time: 0.3 });
    expect(records[5]).toEqual({ type: "eval", step: 5, loss: 4.6, time: 1.6 });
    expect(records[6]).toMatchObject({ type: "sample", text: 'One day, "quoted"\nnew line' });
  });

  test("non-finite losses survive the round trip", () => {
    const path = join(dir, "nan.jsonl");
    new MetricsLog(path).append({ type: "train", step: 1, loss: NaN, lr: 1, gradNorm: Infinity, ms: 1, tokensPerSecond: 1, time: 0 });
    const [r] = readMetrics(path);
    expect(Number.isNaN((r as { loss: number }).loss)).toBe(true);
    expect((r as { gradNorm: number }).gradNorm).toBe(Infinity);
  });

  test("a torn last line is skipped; a bad line in the middle is an error naming file and line", () => {
    const path = join(dir, "torn.jsonl");
    const log = new MetricsLog(path);
    log.append({ type: "eval", step: 1, loss: 4, time: 0 });
    appendFileSync(path, '{"type":"train","ste');
    expect(readMetrics(path).length).toBe(1);
    // Reopening the log (a resumed run) cuts the torn line off before appending.
    new MetricsLog(path).append({ type: "eval", step: 2, loss: 3, time: 0 });
    expect(readMetrics(path).map((r) => r.step)).toEqual([1, 2]);
    appendFileSync(path, "garbage\n");
    log.append({ type: "eval", step: 3, loss: 3, time: 0 });
    expect(() => readMetrics(path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: line 3 is not valid JSON`));
    expect(readMetrics(join(dir, "missing.jsonl"))).toEqual([]);
  });

  test("truncateMetrics keeps the steps a resumed checkpoint had seen", () => {
    const path = join(dir, "resume.jsonl");
    const log = new MetricsLog(path);
    for (let s = 1; s <= 10; s++) log.append({ type: "eval", step: s, loss: s, time: s });
    expect(truncateMetrics(path, 6).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readMetrics(path).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
