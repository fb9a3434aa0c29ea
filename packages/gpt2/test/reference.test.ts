// The JAX reference data (packages/gpt2/reference/, written by tools/reference's Python
// safetensors writer) is what it says: every gradient's shape and norm agree with the JSON
// summary, and the targets are the tokens shifted by one.
import { expect, test } from "bun:test";
import { loadReference, referenceNames } from "../src/index.ts";

for (const name of referenceNames) {
  test(`reference ${name}: read through loadReference, gradients and batch agree with its summary`, () => {
    const { file, info, named, tokens, targets } = loadReference(name);
    expect(file.metadata.generator).toBe("tools/reference/gpt2_reference.py");
    expect(info.names.length).toBe(29);
    for (const n of info.names) {
      expect(file.shapes[n]).toEqual(info.grads[n].shape);
      let sq = 0;
      for (const x of named[`grad.${n}`].data) sq += x * x;
      expect(Math.abs(Math.sqrt(sq) - info.grads[n].norm)).toBeLessThanOrEqual(1e-6 * info.grads[n].norm + 1e-12);
    }
    expect(file.shapes.tokens).toEqual([info.batch.B, info.batch.T]);
    for (let b = 0; b < info.batch.B; b++) {
      for (let t = 0; t + 1 < info.batch.T; t++) expect(targets[b * info.batch.T + t]).toBe(tokens[b * info.batch.T + t + 1]);
    }
  });
}

test("an unknown reference name is an error that lists the known ones", () => {
  expect(() => loadReference("small" as never)).toThrow('gpt2 reference: "small" is not one of tiny, tiny-perturbed');
});
