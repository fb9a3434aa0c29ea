// Training steps inside a MemoryPool (as the trainer runs them): the same loss and gradients, bit
// for bit, as without the pool; no new memory after the first step; and each block's backward
// temporaries go back to the pool as soon as its pullback returns.
import { expect, test } from "bun:test";
import { MemoryPool, Rng, type Tensor } from "@pullback/tensor";
import { createModel, presets, type GPT2Params } from "../src/index.ts";

const config = { ...presets.tiny, layers: 3, dropout: 0.1 };
const model = createModel(config);
const B = 4,
  T = 16;
const rng = new Rng(5);
const batch = {
  tokens: Int32Array.from({ length: B * T }, () => rng.int(config.vocab)),
  targets: Int32Array.from({ length: B * T }, () => rng.int(config.vocab)),
  batch: B,
  context: T,
};
const params = model.initParams(new Rng(1));

function flat(tree: GPT2Params): number[][] {
  const out: number[][] = [];
  const walk = (x: unknown) => {
    if (x && typeof x === "object" && "data" in x) out.push(Array.from((x as Tensor).data));
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") Object.values(x).forEach(walk);
  };
  walk(tree);
  return out;
}

const step = (seed: number): [number, number[][]] => {
  const [loss, grads] = model.lossAndGrads(params, batch, { dropoutSeed: seed, train: true });
  return [loss, flat(grads)];
};

test("a step inside a MemoryPool gives the same loss and gradients as outside, and reuses all its memory", () => {
  const pool = new MemoryPool();
  const outside = [step(1), step(2)];
  const inside = [pool.run(() => step(1))];
  const fresh = pool.stats().fresh;
  inside.push(pool.run(() => step(2)));
  expect(inside).toEqual(outside);
  expect(pool.stats().fresh).toBe(fresh);
  expect(pool.stats().reused).toBeGreaterThan(0);
});

test("each block's backward temporaries are released when its pullback returns", () => {
  // With block pullbacks as memory scopes, a step holds one block's backward temporaries at a
  // time: adding layers grows the pool by the forward activations, not by every block's backward.
  const bytesFor = (layers: number) => {
    const m = createModel({ ...config, layers });
    const p = m.initParams(new Rng(1));
    const pool = new MemoryPool();
    let taken = 0;
    pool.run(() => {
      m.lossAndGrads(p, batch, { dropoutSeed: 1, train: true });
      taken = pool.stats().fresh;
    });
    return { owned: pool.stats().bytes, buffersTaken: taken, reusedWithinStep: pool.stats().reused };
  };
  const two = bytesFor(2),
    four = bytesFor(4);
  // temporaries of one block's backward are reused by the next block's
  expect(four.reusedWithinStep).toBeGreaterThan(two.reusedWithinStep);
  expect(four.owned).toBeLessThan(2 * two.owned);
});
