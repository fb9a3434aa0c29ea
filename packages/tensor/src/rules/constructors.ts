// Forward rules of the Tensor constructors the rules call (Tensor.zeros, Tensor.ones, Tensor.full).
// Tensor is classified as building constants (NON_DIFFERENTIABLE_EXPORTS): these are no ops of
// the table, but a value built from a tangent-carrying number (`Tensor.full(shape, ds)` in sum's
// pullback) has a tangent.
import { Tensor } from "../tensor.ts";
import { defineKernel } from "./define.ts";
import { isZero } from "./tangents.ts";
import type { KernelRule } from "./types.ts";

export const tensorConstructors: readonly KernelRule[] = [
  defineKernel({ op: Tensor.zeros, name: "Tensor.zeros", frule: (args) => [Tensor.zeros(...(args as [any, any])), null] }),
  defineKernel({ op: Tensor.ones, name: "Tensor.ones", frule: (args) => [Tensor.ones(...(args as [any, any])), null] }),
  defineKernel({
    op: Tensor.full,
    name: "Tensor.full",
    frule: ([shape, value, dtype], [, tvalue]) => {
      const y = Tensor.full(shape, value, dtype);
      return [y, isZero(tvalue) ? null : Tensor.full(shape, tvalue, dtype)];
    },
  }),
];
