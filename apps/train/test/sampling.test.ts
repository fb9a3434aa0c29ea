import { describe, expect, test } from "bun:test";
import { Rng, Tensor } from "@pullback/tensor";
import { argmax, generate, samplingDistribution, sampleToken } from "../src/sampling.ts";
import { bigramModel } from "./fixtures/bigram.ts";

const logits = [1.0, 3.0, 2.0, -1.0, 2.5, 0.0];

describe("sampling", () => {
  test("greedy is argmax (first on ties, NaN never picked), whatever the rng", () => {
    expect(argmax(logits)).toBe(1);
    expect(argmax([2, 5, 5, 1])).toBe(1);
    expect(argmax([NaN, -3, NaN])).toBe(1);
    expect(argmax([-Infinity, -Infinity])).toBe(0);
    expect(() => argmax([NaN])).toThrow(/NaN/);
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) expect(sampleToken(logits, { temperature: 0 }, rng)).toBe(1);
  });

  test("the distribution is softmax(logits / temperature)", () => {
    const p = samplingDistribution(logits, { temperature: 2 });
    const e = logits.map((x) => Math.exp(x / 2));
    const z = e.reduce((a, b) => a + b);
    e.forEach((x, i) => expect(p[i]).toBeCloseTo(x / z, 12));
  });

  test("top-k keeps exactly the k largest logits", () => {
    const p = samplingDistribution(logits, { temperature: 1, topK: 3 });
    expect([...p].map((x) => x > 0)).toEqual([false, true, true, false, true, false]);
    expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    const e = [3, 2, 2.5].map(Math.exp),
      z = e[0] + e[1] + e[2];
    expect(p[1]).toBeCloseTo(e[0] / z, 12);
  });

  test("top-p keeps the smallest set of most likely tokens reaching p", () => {
    const row = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    expect([...samplingDistribution(row, { temperature: 1, topP: 0.5 })].map((x) => x > 0)).toEqual([true, false, false, false]);
    expect([...samplingDistribution(row, { temperature: 1, topP: 0.6 })].map((x) => x > 0)).toEqual([true, true, false, false]);
    const p = samplingDistribution(row, { temperature: 1, topP: 0.9 });
    expect([...p].map((x) => x > 0)).toEqual([true, true, true, false]);
    expect(p[0]).toBeCloseTo(0.5 / 0.95, 12);
    expect(samplingDistribution(row, { temperature: 1, topP: 1e-9 }).filter((x) => x > 0).length).toBe(1);
  });

  test("draws follow the distribution (chi-square-ish check) and never pick excluded tokens", () => {
    const rng = new Rng(42);
    const o = { temperature: 1, topK: 4, topP: 0.95 };
    const p = samplingDistribution(logits, o);
    const counts = new Array(logits.length).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, o, rng)]++;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === 0) expect(counts[i]).toBe(0);
      else expect(Math.abs(counts[i] / n - p[i])).toBeLessThan(4 * Math.sqrt((p[i] * (1 - p[i])) / n) + 1e-3);
    }
  });

  test("sampling is reproducible from the seed", () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 30 }, () => sampleToken(logits, { temperature: 1.5 }, rng));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  test("generate feeds at most the context and stops at the stop token", () => {
    const model = bigramModel(5);
    // emb makes token t predict (t + 1) % 5.
    const emb = Tensor.zeros([5, 5]);
    for (let t = 0; t < 5; t++) emb.data[t * 5 + ((t + 1) % 5)] = 10;
    const params = { emb, out: { bias: Tensor.zeros([5]) } };
    const seen: number[] = [];
    const spy = { ...model, logits: (p: typeof params, tokens: Int32Array, b: number, t: number) => (seen.push(t), model.logits(p, tokens, b, t)) };
    expect(generate(spy, params, [0], { maxTokens: 20, temperature: 0, rng: new Rng(0) })).toEqual([
      1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0,
    ]);
    expect(Math.max(...seen)).toBe(model.config.context);
    expect(generate(model, params, [1], { maxTokens: 20, temperature: 0, rng: new Rng(0), stopToken: 4 })).toEqual([2, 3]);
    expect(() => generate(model, params, [], { maxTokens: 1, temperature: 0, rng: new Rng(0) })).toThrow(/no tokens/);
  });
});
