import { expect, test } from "bun:test";
import { BatchLoader, sequentialBatches, windowUniform } from "../src/batches.ts";

const tokens = Uint16Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 8000);

test("inputs are windows of the stream and targets the next tokens", () => {
  const loader = new BatchLoader(tokens, 4, 16, 12345);
  const { inputs, targets, starts } = loader.next();
  expect(inputs.length).toBe(64);
  expect(inputs).toBeInstanceOf(Int32Array);
  expect(targets).toBeInstanceOf(Int32Array);
  for (let r = 0; r < 4; r++) {
    const s = starts[r];
    expect(Number.isInteger(s) && s >= 0 && s + 16 < tokens.length).toBe(true);
    for (let t = 0; t < 16; t++) {
      expect(inputs[r * 16 + t]).toBe(tokens[s + t]);
      expect(targets[r * 16 + t]).toBe(tokens[s + t + 1]);
    }
  }
});

test("batches are reproducible from the seed and differ between seeds", () => {
  const a = new BatchLoader(tokens, 8, 32, 12345);
  const b = new BatchLoader(tokens, 8, 32, 12345);
  const c = new BatchLoader(tokens, 8, 32, 54321);
  for (let i = 0; i < 5; i++) {
    const x = a.next();
    const y = b.next();
    const z = c.next();
    expect(Array.from(x.inputs)).toEqual(Array.from(y.inputs));
    expect(Array.from(x.starts)).not.toEqual(Array.from(z.starts));
  }
  // consecutive batches differ
  expect(Array.from(a.at(0).starts)).not.toEqual(Array.from(a.at(1).starts));
});

test("resuming from a saved (JSON) state continues the exact sequence", () => {
  const run = new BatchLoader(tokens, 8, 32, 7);
  for (let i = 0; i < 3; i++) run.next();
  const saved = JSON.parse(JSON.stringify(run.getState()));
  expect(saved).toEqual({ seed: 7, step: 3 });
  const rest = [run.next(), run.next()];
  const resumed = new BatchLoader(tokens, 8, 32, saved);
  for (const expected of rest) expect(Array.from(resumed.next().inputs)).toEqual(Array.from(expected.inputs));
  expect(resumed.getState()).toEqual({ seed: 7, step: 5 });
  expect(() => new BatchLoader(tokens, 8, 32, { seed: -1, step: 0 })).toThrow(/invalid state/);
});

test("window starts cover the stream roughly uniformly, including both ends", () => {
  const small = Uint16Array.from({ length: 40 }, (_, i) => i);
  const loader = new BatchLoader(small, 64, 8, 3); // starts in 0..=31
  const seen = new Array(32).fill(0);
  for (let i = 0; i < 200; i++) for (const s of loader.next().starts) seen[s]++;
  expect(seen.every((n) => n > 250 && n < 550)).toBe(true); // expectation 400 each
  for (let i = 0; i < 1000; i++) {
    const u = windowUniform(2 ** 40 + 5, i, i % 7);
    expect(u >= 0 && u < 1).toBe(true);
  }
});

test("too short streams and bad sizes give clear errors", () => {
  expect(() => new BatchLoader(new Uint16Array(8), 1, 8)).toThrow(/shorter than one window of 9 tokens/);
  expect(() => new BatchLoader(tokens, 0, 8)).toThrow(/batch size/);
  expect(() => new BatchLoader(tokens, 2, 1.5)).toThrow(/context/);
});

test("sequential evaluation batches: consecutive non-overlapping windows", () => {
  const bs = [...sequentialBatches(tokens, 4, 100, 3)];
  expect(bs.length).toBe(3);
  expect(Array.from(bs[1].starts)).toEqual([400, 500, 600, 700]);
  expect(bs[2].targets[99]).toBe(tokens[900]); // batch 2, row 0 starts at 800
  expect([...sequentialBatches(tokens, 64, 128)].length).toBe(1); // 78 windows → one full batch of 64
});
