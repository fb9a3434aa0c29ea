// The parity harness itself (the GPT-2 is not here yet): a stand-in model that replays the
// reference's loss and gradients passes; one with a slightly wrong gradient fails and is named.
import { describe, expect, test } from "bun:test";
import { Tensor } from "@pullback/tensor";
import { loadReference, presets, type ParamTree, type ReferenceName, type TrainableModel } from "@pullback/gpt2";
import { checkParity } from "../src/parity.ts";
import { mapTree } from "../src/params.ts";

function replayModel(name: ReferenceName, corrupt?: string): TrainableModel {
  const { file, info } = loadReference(name);
  const tree: Record<string, ParamTree> = {};
  for (const n of info.names as string[]) {
    const parts = n.split(".");
    let node = tree as Record<string, ParamTree>;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, ParamTree>;
    node[parts.at(-1)!] = Tensor.zeros(file.shapes[n]);
  }
  let call = 0;
  return {
    config: presets.tiny,
    initParams: () => mapTree(tree, (t) => Tensor.zeros(t.shape)),
    lossAndGrads: (params) => {
      // Replays the reference: its loss sequence, and its initial gradients.
      const loss = call === 0 ? info.loss : info.adam.losses[(call - 1) % info.adam.steps];
      call++;
      const grads = mapTree(params, (_, n) => (file.tensors[`grad.${n}`] as Tensor).clone());
      if (corrupt) mapTree(grads, (g, n) => (n === corrupt && (g.data[0] += 1e-3 * Math.max(...g.data.map(Math.abs))), g));
      return [loss, grads];
    },
    loss: () => info.loss,
    logits: () => Tensor.zeros([1, 128]),
  };
}

describe("parity harness", () => {
  test("a model that reproduces the reference passes, and every tensor is reported", () => {
    const r = checkParity(replayModel("tiny"));
    expect(r.ok).toBe(true);
    expect(r.grads.length).toBe(29);
    expect(r.grads.every((d) => d.maxAbs === 0)).toBe(true);
    expect(r.lines[0]).toMatch(/^loss 4\.867826\d+ vs 4\.867826\d+/);
  });

  test("a gradient off by 1e-3 of its scale fails, and is the one that shows it", () => {
    const r = checkParity(replayModel("tiny-perturbed", "blocks.1.mlp.b1"), { name: "tiny-perturbed" });
    expect(r.ok).toBe(false);
    const bad = r.grads.filter((d) => d.relToMax > 1e-4).map((d) => d.name);
    expect(bad).toEqual(["blocks.1.mlp.b1"]);
  });
});
