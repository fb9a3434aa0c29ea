// Rules of elementwise arithmetic: broadcasting binary ops, ops with a number, unary maps.
// Broadcasting's backward sums the cotangent over the broadcast axes (`sumToShape`). A unary map
// has a diagonal Jacobian: its forward rule applies the op's backward kernel to the tangent. A
// backward kernel is linear in its cotangent: its forward rule is the kernel applied to the
// cotangent's tangent plus the derivative in the other argument, written from the math.
import * as ops from "../ops/elementwise.ts";
import { sum } from "../ops/reduce.ts";
import { Tensor } from "../tensor.ts";
import { defineKernel, defineOp } from "./define.ts";
import { isZero, plus } from "./tangents.ts";

/** ⟨dy, x⟩ (a number). */
const dot = (dy: Tensor, x: Tensor): number => sum(ops.mul(dy, x));

const sumToShape = defineKernel({ op: ops.sumToShape, frule: "linear", noRule: "the broadcasting backward of add/sub/mul/div; use sumAlong" });

/** y = a + b. ∂a = dy, ∂b = dy (each summed to its operand's shape). */
export const add = defineOp({
  op: ops.add,
  differentiable: 2,
  frule: "linear",
  kernels: [sumToShape],
  rule: (a: Tensor, b: Tensor) => [ops.add(a, b), (dy: Tensor) => [ops.sumToShape(dy, a.shape), ops.sumToShape(dy, b.shape)]],
});

/** y = a − b. ∂a = dy, ∂b = −dy. */
export const sub = defineOp({
  op: ops.sub,
  differentiable: 2,
  frule: "linear",
  kernels: [sumToShape],
  rule: (a: Tensor, b: Tensor) => [ops.sub(a, b), (dy: Tensor) => [ops.sumToShape(dy, a.shape), ops.mulScalar(ops.sumToShape(dy, b.shape), -1)]],
});

/** y = a ⊙ b. ∂a = dy ⊙ b, ∂b = dy ⊙ a. */
export const mul = defineOp({
  op: ops.mul,
  differentiable: 2,
  kernels: [sumToShape],
  rule: (a: Tensor, b: Tensor) => [ops.mul(a, b), (dy: Tensor) => [ops.sumToShape(ops.mul(dy, b), a.shape), ops.sumToShape(ops.mul(dy, a), b.shape)]],
  frule: ([a, b], [ta, tb]) => [ops.mul(a, b), plus(isZero(ta) ? null : ops.mul(ta, b), isZero(tb) ? null : ops.mul(a, tb))],
});

/** y = a / b. ∂a = dy / b, ∂b = −dy ⊙ a / b² = −dy ⊙ y / b. */
export const div = defineOp({
  op: ops.div,
  differentiable: 2,
  kernels: [sumToShape],
  rule: (a: Tensor, b: Tensor) => {
    const y = ops.div(a, b);
    return [
      y,
      (dy: Tensor) => {
        const da = ops.div(dy, b);
        const db = ops.mulScalar(ops.mul(da, y), -1);
        return [ops.sumToShape(da, a.shape), ops.sumToShape(db, b.shape)];
      },
    ];
  },
  frule: ([a, b], [ta, tb]) => {
    const y = ops.div(a, b);
    return [y, plus(isZero(ta) ? null : ops.div(ta, b), isZero(tb) ? null : ops.mulScalar(ops.mul(y, ops.div(tb, b)), -1))];
  },
});

/** y = x + s. ∂x = dy, ∂s = Σ dy. */
export const addScalar = defineOp({
  op: ops.addScalar,
  differentiable: 2,
  explicit: 1,
  kernels: [],
  rule: (x: Tensor, s: number) => [ops.addScalar(x, s), (dy: Tensor) => [dy, sum(dy)]],
  frule: ([x, s], [tx, ts]) => {
    const y = ops.addScalar(x, s);
    return [y, plus(isZero(tx) ? null : tx, isZero(ts) ? null : Tensor.full(y.shape, ts, y.dtype))];
  },
});

/** y = s·x. ∂x = s·dy, ∂s = ⟨dy, x⟩. */
export const mulScalar = defineOp({
  op: ops.mulScalar,
  differentiable: 2,
  explicit: 1,
  kernels: [],
  rule: (x: Tensor, s: number) => [ops.mulScalar(x, s), (dy: Tensor) => [ops.mulScalar(dy, s), dot(dy, x)]],
  frule: ([x, s], [tx, ts]) => [ops.mulScalar(x, s), plus(isZero(tx) ? null : ops.mulScalar(tx, s), isZero(ts) ? null : ops.mulScalar(x, ts))],
});

/** y = x / s. ∂x = dy / s, ∂s = −⟨dy, x⟩ / s² = −⟨∂x, y⟩ (in ops, so that s may carry a tangent). */
export const divScalar = defineOp({
  op: ops.divScalar,
  differentiable: 2,
  explicit: 1,
  kernels: [],
  rule: (x: Tensor, s: number) => {
    const y = ops.divScalar(x, s);
    return [
      y,
      (dy: Tensor) => {
        const dx = ops.divScalar(dy, s);
        return [dx, dot(ops.mulScalar(dx, -1), y)];
      },
    ];
  },
  frule: ([x, s], [tx, ts]) => {
    const y = ops.divScalar(x, s);
    return [y, plus(isZero(tx) ? null : ops.divScalar(tx, s), isZero(ts) ? null : ops.mulScalar(y, -ts / s))];
  },
});

/** y = √x. ∂x = dy / (2y). */
export const sqrt = defineOp({
  op: ops.sqrt,
  differentiable: 1,
  rule: (x: Tensor) => {
    const y = ops.sqrt(x);
    return [y, (dy: Tensor) => [ops.sqrtBackward(y, dy)]];
  },
  frule: ([x], [tx]) => {
    const y = ops.sqrt(x);
    return [y, isZero(tx) ? null : ops.sqrtBackward(y, tx)];
  },
  kernels: [
    defineKernel({
      op: ops.sqrtBackward,
      frule: ([y, dy], [ty, tdy]) => [
        ops.sqrtBackward(y, dy),
        plus(isZero(tdy) ? null : ops.sqrtBackward(y, tdy), isZero(ty) ? null : ops.mulScalar(ops.div(ops.mul(dy, ty), ops.square(y)), -0.5)),
      ],
    }),
  ],
});

/** y = x². ∂x = 2x·dy. */
export const square = defineOp({
  op: ops.square,
  differentiable: 1,
  rule: (x: Tensor) => [ops.square(x), (dy: Tensor) => [ops.squareBackward(x, dy)]],
  frule: ([x], [tx]) => [ops.square(x), isZero(tx) ? null : ops.squareBackward(x, tx)],
  kernels: [
    defineKernel({
      op: ops.squareBackward,
      frule: ([x, dy], [tx, tdy]) => [
        ops.squareBackward(x, dy),
        plus(isZero(tdy) ? null : ops.squareBackward(x, tdy), isZero(tx) ? null : ops.squareBackward(tx, dy)),
      ],
    }),
  ],
});

/** y = eˣ. ∂x = y·dy. */
export const exp = defineOp({
  op: ops.exp,
  differentiable: 1,
  rule: (x: Tensor) => {
    const y = ops.exp(x);
    return [y, (dy: Tensor) => [ops.expBackward(y, dy)]];
  },
  frule: ([x], [tx]) => {
    const y = ops.exp(x);
    return [y, isZero(tx) ? null : ops.expBackward(y, tx)];
  },
  kernels: [
    defineKernel({
      op: ops.expBackward,
      frule: ([y, dy], [ty, tdy]) => [
        ops.expBackward(y, dy),
        plus(isZero(tdy) ? null : ops.expBackward(y, tdy), isZero(ty) ? null : ops.mul(ty, dy)),
      ],
    }),
  ],
});

/** y = ln x. ∂x = dy / x. */
export const log = defineOp({
  op: ops.log,
  differentiable: 1,
  rule: (x: Tensor) => [ops.log(x), (dy: Tensor) => [ops.logBackward(x, dy)]],
  frule: ([x], [tx]) => [ops.log(x), isZero(tx) ? null : ops.logBackward(x, tx)],
  kernels: [
    defineKernel({
      op: ops.logBackward,
      frule: ([x, dy], [tx, tdy]) => [
        ops.logBackward(x, dy),
        plus(isZero(tdy) ? null : ops.logBackward(x, tdy), isZero(tx) ? null : ops.mulScalar(ops.div(ops.mul(dy, tx), ops.square(x)), -1)),
      ],
    }),
  ],
});

/** y = tanh x. ∂x = (1 − y²)·dy. */
export const tanh = defineOp({
  op: ops.tanh,
  differentiable: 1,
  rule: (x: Tensor) => {
    const y = ops.tanh(x);
    return [y, (dy: Tensor) => [ops.tanhBackward(y, dy)]];
  },
  frule: ([x], [tx]) => {
    const y = ops.tanh(x);
    return [y, isZero(tx) ? null : ops.tanhBackward(y, tx)];
  },
  kernels: [
    defineKernel({
      op: ops.tanhBackward,
      frule: ([y, dy], [ty, tdy]) => [
        ops.tanhBackward(y, dy),
        plus(isZero(tdy) ? null : ops.tanhBackward(y, tdy), isZero(ty) ? null : ops.mulScalar(ops.mul(ops.mul(y, ty), dy), -2)),
      ],
    }),
  ],
});

/** GPT-2's GELU (tanh approximation); the backward differentiates the approximation exactly. */
export const gelu = defineOp({
  op: ops.gelu,
  differentiable: 1,
  rule: (x: Tensor) => [ops.gelu(x), (dy: Tensor) => [ops.geluBackward(x, dy)]],
  frule: ([x], [tx]) => [ops.gelu(x), isZero(tx) ? null : ops.geluBackward(x, tx)],
  kernels: [
    defineKernel({
      op: ops.geluBackward,
      frule: ([x, dy], [tx, tdy]) => [
        ops.geluBackward(x, dy),
        plus(isZero(tdy) ? null : ops.geluBackward(x, tdy), isZero(tx) ? null : ops.geluSecondBackward(x, ops.mul(dy, tx))),
      ],
    }),
  ],
});
