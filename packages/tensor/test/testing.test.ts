// The test utilities themselves: `thrown` returns the error of the expected type and fails
// otherwise, naming what happened.
import { expect, test } from "bun:test";
import { TensorError } from "../src/errors.ts";
import { thrown } from "../src/testing.ts";

test("thrown: the error when it is of the type, a naming error when it is not or nothing is thrown", () => {
  const e = new TensorError("add", "shapes (2) and (3) do not broadcast");
  expect(
    thrown(() => {
      throw e;
    }, TensorError),
  ).toBe(e);
  expect(() =>
    thrown(() => {
      throw new RangeError("out");
    }, TensorError),
  ).toThrow("expected a TensorError to be thrown, got RangeError: out");
  expect(() => thrown(() => 1, TensorError, "case 3")).toThrow("case 3: expected a TensorError to be thrown, nothing was");
});
