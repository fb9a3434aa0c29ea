// Rules of elementwise arithmetic: broadcasting binary ops, ops with a number, unary maps.
// Broadcasting's backward sums the cotangent over the broadcast axes (`sumToShape`).
import * as ops from "../ops/elementwise.ts";
import { sum } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";
import { defineOp } from "./define.ts";

/** ⟨dy, x⟩ (a number). */
const dot = (dy: Tensor, x: Tensor): number => sum(ops.mul(dy, x));

/** y = a + b. ∂a = dy, ∂b = dy (each summed to its operand's shape). */
export const add = defineOp({
  op: ops.add, differentiable: 2, kernels: [ops.sumToShape],
  rule: (a: Tensor, b: Tensor) => [ops.add(a, b), (dy: Tensor) => [ops.sumToShape(dy, a.shape), ops.sumToShape(dy, b.shape)]],
});

/** y = a − b. ∂a = dy, ∂b = −dy. */
export const sub = defineOp({
  op: ops.sub, differentiable: 2, kernels: [ops.sumToShape],
  rule: (a: Tensor, b: Tensor) => [ops.sub(a, b), (dy: Tensor) => [ops.sumToShape(dy, a.shape), ops.mulScalar(ops.sumToShape(dy, b.shape), -1)]],
});

/** y = a ⊙ b. ∂a = dy ⊙ b, ∂b = dy ⊙ a. */
export const mul = defineOp({
  op: ops.mul, differentiable: 2, kernels: [ops.sumToShape],
  rule: (a: Tensor, b: Tensor) => [ops.mul(a, b), (dy: Tensor) => [ops.sumToShape(ops.mul(dy, b), a.shape), ops.sumToShape(ops.mul(dy, a), b.shape)]],
});

/** y = a / b. ∂a = dy / b, ∂b = −dy ⊙ a / b² = −dy ⊙ y / b. */
export const div = defineOp({
  op: ops.div, differentiable: 2, kernels: [ops.sumToShape],
  rule: (a: Tensor, b: Tensor) => {
    const y = ops.div(a, b);
    return [y, (dy: Tensor) => {
      const da = ops.div(dy, b);
      const db = ops.mulScalar(ops.mul(da, y), -1);
      return [ops.sumToShape(da, a.shape), ops.sumToShape(db, b.shape)];
    }];
  },
});

/** y = x + s. ∂x = dy, ∂s = Σ dy. */
export const addScalar = defineOp({
  op: ops.addScalar, differentiable: 2, explicit: 1, kernels: [],
  rule: (x: Tensor, s: number) => [ops.addScalar(x, s), (dy: Tensor) => [dy, sum(dy)]],
});

/** y = s·x. ∂x = s·dy, ∂s = ⟨dy, x⟩. */
export const mulScalar = defineOp({
  op: ops.mulScalar, differentiable: 2, explicit: 1, kernels: [],
  rule: (x: Tensor, s: number) => [ops.mulScalar(x, s), (dy: Tensor) => [ops.mulScalar(dy, s), dot(dy, x)]],
});

/** y = x / s. ∂x = dy / s, ∂s = −⟨dy, x⟩ / s². */
export const divScalar = defineOp({
  op: ops.divScalar, differentiable: 2, explicit: 1, kernels: [],
  rule: (x: Tensor, s: number) => [ops.divScalar(x, s), (dy: Tensor) => [ops.divScalar(dy, s), -dot(dy, x) / (s * s)]],
});

/** y = √x. ∂x = dy / (2y). */
export const sqrt = defineOp({
  op: ops.sqrt, differentiable: 1, kernels: [ops.sqrtBackward],
  rule: (x: Tensor) => {
    const y = ops.sqrt(x);
    return [y, (dy: Tensor) => [ops.sqrtBackward(y, dy)]];
  },
});

/** y = x². ∂x = 2x·dy. */
export const square = defineOp({
  op: ops.square, differentiable: 1, kernels: [ops.squareBackward],
  rule: (x: Tensor) => [ops.square(x), (dy: Tensor) => [ops.squareBackward(x, dy)]],
});

/** y = eˣ. ∂x = y·dy. */
export const exp = defineOp({
  op: ops.exp, differentiable: 1, kernels: [ops.expBackward],
  rule: (x: Tensor) => {
    const y = ops.exp(x);
    return [y, (dy: Tensor) => [ops.expBackward(y, dy)]];
  },
});

/** y = ln x. ∂x = dy / x. */
export const log = defineOp({
  op: ops.log, differentiable: 1, kernels: [ops.logBackward],
  rule: (x: Tensor) => [ops.log(x), (dy: Tensor) => [ops.logBackward(x, dy)]],
});

/** y = tanh x. ∂x = (1 − y²)·dy. */
export const tanh = defineOp({
  op: ops.tanh, differentiable: 1, kernels: [ops.tanhBackward],
  rule: (x: Tensor) => {
    const y = ops.tanh(x);
    return [y, (dy: Tensor) => [ops.tanhBackward(y, dy)]];
  },
});

/** GPT-2's GELU (tanh approximation); the backward differentiates the approximation exactly. */
export const gelu = defineOp({
  op: ops.gelu, differentiable: 1, kernels: [ops.geluBackward],
  rule: (x: Tensor) => [ops.gelu(x), (dy: Tensor) => [ops.geluBackward(x, dy)]],
});
