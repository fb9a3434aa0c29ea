// The GPT-2 of model.ad.ts: gradcheck of a 2-layer tiny model against central finite
// differences (float64, reference backend, dropout on and off), the same in forward mode (jvp
// against the gradient and central differences), shapes of the gradient tree, and bad input.
import { describe, expect, test } from "bun:test";
import { gradcheckFunction, jvp, jvpcheck, randomTangent, treeMap, valueAndGrad } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { createModel, initParams, loss, presets, type GPT2Params } from "../src/index.ts";
import { treeDot } from "../../ad/test/forward/check.ts";

const config = { ...presets.tiny, vocab: 23, context: 8, layers: 2, heads: 2, width: 8, mlp: 16 };
const B = 2,
  T = 5;
const rng = new Rng(3);
const tokens = Int32Array.from({ length: B * T }, () => rng.int(config.vocab));
const targets = Int32Array.from({ length: B * T }, () => rng.int(config.vocab));
const positions = Int32Array.from({ length: T }, (_, i) => i);

/** Parameters with non-trivial biases and LayerNorm gains, so that every term matters. */
function params(): GPT2Params {
  const p = initParams(config, new Rng(11));
  const r = new Rng(12);
  const perturb = (t: Tensor, s: number) => t.data.forEach((x, i) => (t.data[i] = x + s * r.normal()));
  for (const b of p.blocks) {
    for (const t of [b.ln1.w, b.ln1.b, b.ln2.w, b.ln2.b]) perturb(t, 0.1);
    for (const t of [b.attn.bqkv, b.attn.bo, b.mlp.b1, b.mlp.b2]) perturb(t, 0.1);
    for (const t of [b.attn.wqkv, b.attn.wo, b.mlp.w1, b.mlp.w2]) perturb(t, 0.3);
  }
  perturb(p.wte, 0.5);
  perturb(p.head.w, 0.3);
  return p;
}

describe("GPT-2 gradients", () => {
  for (const dropout of [0, 0.3]) {
    test(`a 2-layer model passes gradcheck (float64, dropout ${dropout})`, () => {
      const step = { batch: B, time: T, heads: config.heads, width: config.width, dropout, seed: 7 };
      const report = gradcheckFunction(loss, [params(), step, tokens, positions, targets], { argnums: [0], samples: 12, seed: 5 });
      const worst = report.entries.reduce((a, e) => (e.maxRel > a.maxRel ? e : a));
      console.log(
        `gradcheck GPT-2 (dropout ${dropout}): ${report.entries.length} tensors, max rel err ${worst.maxRel.toExponential(2)} (${worst.input})`,
      );
      expect(report.entries.length).toBe(4 + 12 * config.layers + 1);
      expect(report.entries[0].input).toBe("0.wte");
      expect(report.ok).toBe(true);
    }, 60_000);
  }

  for (const dropout of [0, 0.3]) {
    test(`forward mode: jvp equals ⟨grad, v⟩ and central differences (float64, dropout ${dropout})`, () => {
      const step = { batch: B, time: T, heads: config.heads, width: config.width, dropout, seed: 7 };
      const p = treeMap(params() as any, (t) => (t as Tensor).clone("float64")) as unknown as GPT2Params;
      const v = randomTangent(p, new Rng(21));
      const [y, dy] = jvp(loss, [p, step, tokens, positions, targets], [v]);
      const [value, grads] = valueAndGrad(loss)(p, step, tokens, positions, targets);
      expect(y).toBe(value);
      const reverse = treeDot(grads, v);
      expect(Math.abs(dy - reverse) / Math.abs(reverse)).toBeLessThan(1e-10);
      expect(jvpcheck(loss, [p, step, tokens, positions, targets], { tangents: [v] }).ok).toBe(true);
    }, 60_000);
  }

  test("gradients come back in the structure of the parameters, float32, finite", () => {
    const model = createModel(config);
    const p = model.initParams(new Rng(1));
    const [value, grads] = model.lossAndGrads(p, { tokens, targets, batch: B, context: T }, { dropoutSeed: 1, train: true });
    expect(Number.isFinite(value)).toBe(true);
    expect(Math.abs(value - Math.log(config.vocab))).toBeLessThan(0.5); // near-uniform predictions at init
    expect(grads.blocks.length).toBe(config.layers);
    expect(grads.wte.shape).toEqual([config.vocab, config.width]);
    expect(grads.blocks[1].mlp.w2.shape).toEqual([config.mlp, config.width]);
    expect(grads.head.w.dtype).toBe("float32");
    expect(grads.head.w.data.every(Number.isFinite)).toBe(true);
    // Positions ≥ T get no gradient; a position < T does.
    const rowNorm = (t: Tensor, r: number) => Array.from(t.data.slice(r * config.width, (r + 1) * config.width)).reduce((s, x) => s + x * x, 0);
    expect(rowNorm(grads.wpe, T)).toBe(0);
    expect(rowNorm(grads.wpe, 0)).toBeGreaterThan(0);
  });

  test("bad batches give a clear error", () => {
    const model = createModel(config);
    const p = model.initParams(new Rng(1));
    expect(() => model.loss(p, { tokens, targets, batch: B, context: 9 })).toThrow(/9 tokens per sequence exceed the context of 8/);
    expect(() => model.loss(p, { tokens: tokens.subarray(1), targets, batch: B, context: T })).toThrow(/expected 2·5 = 10 tokens, got 9/);
    const bad = tokens.slice();
    bad[3] = config.vocab;
    expect(() => model.loss(p, { tokens: bad, targets, batch: B, context: T })).toThrow(/take: .*23/);
    expect(() => createModel({ ...config, heads: 3 })).toThrow(/width 8 is not divisible by heads 3/);
  });
});
