import { expect, test } from "bun:test";
import { philox4x32, philoxUniform } from "../src/reference/philox.ts";
import { philoxUniforms } from "../src/native/philox.ts";

test("TypeScript Philox4x32-10 matches the Random123 known-answer vectors", () => {
  expect(philox4x32([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  expect(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([
    0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
  ]);
  expect(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
    0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
  ]);
});

test("Zig and TypeScript Philox uniforms agree element for element", () => {
  for (const [seed, offset, start, n] of [
    [0, 0, 0, 17],
    [12345, 7, 3, 64],
    [2 ** 40 + 3, 2 ** 33 + 1, 2 ** 34 + 1, 9],
  ]) {
    const native = philoxUniforms(n, seed, offset, start);
    const reference = Array.from({ length: n }, (_, j) => philoxUniform(seed, offset, start + j));
    expect(Array.from(native)).toEqual(reference);
  }
});
