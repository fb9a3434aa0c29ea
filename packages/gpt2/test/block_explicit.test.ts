// The two conventions agree: one GPT-2 block written in proc-macro-gpt's rrule-call convention
// (block_explicit.ad.ts, explicit mode) and the same block as plain TypeScript (model.ad.ts,
// implicit mode) give the same output and the same cotangents for x and every parameter.
import { expect, test } from "bun:test";
import { pullback, treeFlatten, type Tree } from "@pullback/ad";
import { Rng, Tensor } from "@pullback/tensor";
import { block, blockExplicit, initParams, presets, type Step } from "../src/index.ts";

const config = { ...presets.tiny, vocab: 11, context: 8, layers: 1, heads: 2, width: 8, mlp: 16 };

for (const dropout of [0, 0.25]) {
  test(`explicit and implicit blocks: same output and gradients (float64, dropout ${dropout})`, () => {
    const rng = new Rng(4);
    const B = 2,
      T = 5;
    const p = initParams(config, new Rng(9)).blocks[0];
    const toF64 = (t: Tree): Tree =>
      t instanceof Tensor
        ? t.to("float64")
        : Array.isArray(t)
          ? t.map(toF64)
          : t && typeof t === "object"
            ? Object.fromEntries(Object.entries(t).map(([k, v]) => [k, toF64(v as Tree)]))
            : t;
    const params = toF64(p as unknown as Tree) as unknown as typeof p;
    for (const b of [params.ln1.b, params.attn.bqkv, params.mlp.b1]) b.data.forEach((_, i) => (b.data[i] = rng.normal() * 0.1));
    const x = Tensor.randn([B * T, config.width], { rng, dtype: "float64" });
    const dy = Tensor.randn([B * T, config.width], { rng, dtype: "float64" });
    const s: Step = { batch: B, time: T, heads: config.heads, width: config.width, dropout, seed: 3 };

    const [yImplicit, back] = pullback(block, x, params, s, 0);
    const [dxImplicit, dpImplicit] = back(dy);
    const [yExplicit, explicitPullback] = blockExplicit(s, 0)([x, params]);
    const [dxExplicit, dpExplicit] = explicitPullback(dy) as [Tensor, Tree];

    const maxDiff = (a: Tensor, b: Tensor): number => {
      let m = 0;
      for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
      return m;
    };
    expect(maxDiff(yImplicit, yExplicit as Tensor)).toBeLessThan(1e-12);
    expect(maxDiff(dxImplicit, dxExplicit)).toBeLessThan(1e-12);
    const a = treeFlatten(dpImplicit),
      e = treeFlatten(dpExplicit);
    expect(a.paths).toEqual(e.paths);
    expect(a.paths.length).toBe(12);
    a.leaves.forEach((leaf, i) => expect(maxDiff(leaf as Tensor, e.leaves[i] as Tensor)).toBeLessThan(1e-12));
  });
}
