import { describe, expect, test } from "bun:test";
import { formatDuration } from "@pullback/corpus";
import { eta, formatProgress, StepProgress } from "../src/progress.ts";

function capture(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s), isTTY, columns: 200 } };
}

describe("progress", () => {
  test("a line holds step, loss, lr, tokens/s, ms/step and ETA", () => {
    const line = formatProgress({ step: 7, loss: 3.14159, lr: 2e-3, tokens: 8192, ms: 350 }, 2000, 350, 700);
    expect(line).toBe("step    7/2000 | loss 3.1416 | lr 2.00e-3 | 23,406 tok/s | 350 ms/step | ETA 11m40s");
  });

  test("durations and ETA (capped by the time budget)", () => {
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(61)).toBe("1m01s");
    expect(formatDuration(3720)).toBe("1h02m");
    expect(formatDuration(NaN)).toBe("?");
    expect(formatDuration(-1)).toBe("?");
    expect(eta(100, 500)).toBe(50);
    expect(eta(100, 500, 20)).toBe(20);
  });

  test("on a TTY one line is rewritten in place; log() prints above it", () => {
    const { out, stream } = capture(true);
    const p = new StepProgress({ totalSteps: 10, stream });
    p.update({ step: 1, loss: 5, lr: 1e-3, tokens: 100, ms: 10 });
    p.update({ step: 2, loss: 4, lr: 1e-3, tokens: 100, ms: 10 });
    p.log("sample: hello");
    p.finish();
    expect(out[0].startsWith("\r\x1b[2Kstep  1/10")).toBe(true);
    expect(out[1].startsWith("\r\x1b[2Kstep  2/10")).toBe(true);
    expect(out.slice(2)).toEqual(["\r\x1b[2K", "sample: hello\n"]);
    expect(out.join("")).not.toContain("\n\n");
  });

  test("without a TTY: plain lines, every N steps plus the first and last", () => {
    const { out, stream } = capture(false);
    const p = new StepProgress({ totalSteps: 25, stream, plainEvery: 10 });
    for (let s = 1; s <= 25; s++) p.update({ step: s, loss: 1, lr: 1, tokens: 1, ms: 20 });
    p.finish();
    expect(out.map((l) => l.split(" |")[0])).toEqual(["step  1/25", "step 10/25", "step 20/25", "step 25/25"]);
    expect(out.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
  });

  test("ms/step is smoothed", () => {
    const { stream } = capture(false);
    const p = new StepProgress({ totalSteps: 5, stream });
    p.update({ step: 1, loss: 1, lr: 1, tokens: 1, ms: 100 });
    p.update({ step: 2, loss: 1, lr: 1, tokens: 1, ms: 200 });
    expect(p.msPerStep).toBeCloseTo(110, 9);
  });
});
