import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { downsample, niceTicks, renderLossChart, writeLossChart, type Point } from "../src/chart.ts";
import type { MetricRecord } from "../src/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "pullback-chart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function checkXml(svg: string): void {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    expect(text).not.toMatch(/&(?!(lt|gt|amp|quot|apos);)/);
    last = tag.lastIndex;
    if (m[0] === "<" || m[0] === ">") throw new Error(`stray "${m[0]}" at ${m.index}: ${body.slice(m.index - 40, m.index + 40)}`);
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[4]) stack.push(m[2]);
  }
  expect(stack).toEqual([]);
  expect(body.trim().startsWith("<svg")).toBe(true);
}

function points(attr: string, svg: string): number[][] {
  const m = new RegExp(`<polyline class="${attr}"[^>]* points="([^"]*)"`).exec(svg);
  expect(m).not.toBeNull();
  return m![1].trim() === ""
    ? []
    : m![1]
        .trim()
        .split(" ")
        .map((p) => p.split(",").map(Number));
}

describe("loss chart", () => {
  const train: Point[] = Array.from({ length: 300 }, (_, i) => [i + 1, 9 * Math.exp(-i / 80) + 1 + 0.1 * Math.sin(i)]);
  const valid: Point[] = [
    [100, 3.2],
    [200, 2.1],
    [300, 1.6],
  ];

  test("well-formed SVG with both polylines, axes, labels, ticks and a legend", () => {
    const svg = renderLossChart(train, valid, { title: "run <a> & b" });
    checkXml(svg);
    expect(points("train", svg).length).toBe(300);
    expect(points("valid", svg).length).toBe(3);
    expect(svg).toContain(">step</text>");
    expect(svg).toContain(">loss</text>");
    expect(svg).toContain("run &lt;a&gt; &amp; b");
    expect(svg).toContain(">validation (last 1.6)</text>");
    expect((svg.match(/<circle/g) ?? []).length).toBe(3);
    // Every point is inside the plot area; lower loss is drawn higher up (smaller y).
    for (const [x, y] of [...points("train", svg), ...points("valid", svg)]) {
      expect(x).toBeGreaterThanOrEqual(64 - 1e-9);
      expect(x).toBeLessThanOrEqual(800 - 24 + 1e-9);
      expect(y).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(y).toBeLessThanOrEqual(450 - 52 + 1e-9);
    }
    const v = points("valid", svg);
    expect(v[2][1]).toBeGreaterThan(v[0][1]);
  });

  test("edge cases: no data, one point, non-finite losses, long runs are downsampled", () => {
    checkXml(renderLossChart([], []));
    expect(renderLossChart([], [])).toContain("no data yet");
    checkXml(renderLossChart([[1, 5]], []));
    const svg = renderLossChart(
      [
        [1, 5],
        [2, NaN],
        [3, Infinity],
        [4, 4],
      ],
      [],
    );
    checkXml(svg);
    expect(points("train", svg).length).toBe(2);
    const long: Point[] = Array.from({ length: 20000 }, (_, i) => [i, 5 - i / 5000]);
    expect(points("train", renderLossChart(long, [])).length).toBeLessThanOrEqual(800);
  });

  test("niceTicks and downsample", () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(1.3, 4.9, 6)).toEqual([2, 3, 4]);
    expect(niceTicks(0.013, 0.05, 4)).toEqual([0.02, 0.03, 0.04, 0.05]);
    expect(
      downsample(
        [
          [0, 0],
          [1, 2],
          [2, 4],
          [3, 6],
        ],
        2,
      ),
    ).toEqual([
      [0.5, 1],
      [2.5, 5],
    ]);
  });

  test("writeLossChart writes the run's metrics atomically", () => {
    const records: MetricRecord[] = [
      { type: "train", step: 1, loss: 5, lr: 1, gradNorm: 1, ms: 1, tokensPerSecond: 1, time: 0 },
      { type: "train", step: 2, loss: 4, lr: 1, gradNorm: 1, ms: 1, tokensPerSecond: 1, time: 0 },
      { type: "eval", step: 2, loss: 4.5, time: 0 },
      { type: "sample", step: 2, prompt: "a", text: "ab" },
    ];
    const path = join(dir, "loss.svg");
    writeLossChart(path, records);
    const svg = readFileSync(path, "utf8");
    checkXml(svg);
    expect(points("train", svg).length).toBe(2);
    expect(points("valid", svg).length).toBe(1);
    expect(readdirSync(dir)).toEqual(["loss.svg"]);
  });
});
