// GPT-2 (`tiny` preset, dropout off) against the independent JAX reference of tools/reference
// (llm.c's test_gpt2 in spirit): the loss, EVERY parameter gradient, and the losses of 5 Adam
// steps, on fixed weights and a fixed batch. Prints the max abs/rel difference per tensor.
import { expect, test } from "bun:test";
import { createModel, presets, referenceNames } from "@pullback/gpt2";
import { checkParity } from "../src/parity.ts";

const model = createModel(presets.tiny);

for (const name of referenceNames) {
  test(`GPT-2 matches the JAX reference (${name}): loss, every gradient, 5 Adam steps`, () => {
    const report = checkParity(model, { name });
    console.log(`parity ${name}:\n  ${report.lines.join("\n  ")}`);
    expect(report.grads.length).toBe(29);
    expect(report.loss.rel).toBeLessThan(1e-4);
    for (const g of report.grads) expect({ name: g.name, relToMax: g.relToMax < 1e-4 }).toEqual({ name: g.name, relToMax: true });
    expect(report.adam.maxRel).toBeLessThan(1e-4);
    expect(report.ok).toBe(true);
  });
}
