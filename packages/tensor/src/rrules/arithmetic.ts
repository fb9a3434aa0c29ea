// rrules of elementwise arithmetic: broadcasting binary ops, ops with a scalar, unary maps.
// Broadcasting's backward sums the cotangent over the broadcast axes (`sumToShape`).
import * as ops from "../ops/elementwise.ts";
import type { Tensor } from "../tensor.ts";
import { watched } from "./anomaly.ts";
import type { RruleResult } from "./types.ts";

type Pair = [Tensor, Tensor];

/** y = a + b. ∂a = dy, ∂b = dy (each summed to its operand's shape). */
export function add([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = ops.add(a, b);
  return watched("add", [y, function add_pullback(dy) {
    return [ops.sumToShape(dy, a.shape), ops.sumToShape(dy, b.shape)];
  }]);
}

/** y = a − b. ∂a = dy, ∂b = −dy. */
export function sub([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = ops.sub(a, b);
  return watched("sub", [y, function sub_pullback(dy) {
    return [ops.sumToShape(dy, a.shape), ops.mulScalar(ops.sumToShape(dy, b.shape), -1)];
  }]);
}

/** y = a ⊙ b. ∂a = dy ⊙ b, ∂b = dy ⊙ a. */
export function mul([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = ops.mul(a, b);
  return watched("mul", [y, function mul_pullback(dy) {
    return [ops.sumToShape(ops.mul(dy, b), a.shape), ops.sumToShape(ops.mul(dy, a), b.shape)];
  }]);
}

/** y = a / b. ∂a = dy / b, ∂b = −dy ⊙ a / b² = −dy ⊙ y / b. */
export function div([a, b]: Pair): RruleResult<Tensor, Tensor, Pair> {
  const y = ops.div(a, b);
  return watched("div", [y, function div_pullback(dy) {
    const da = ops.div(dy, b);
    const db = ops.mulScalar(ops.mul(da, y), -1);
    return [ops.sumToShape(da, a.shape), ops.sumToShape(db, b.shape)];
  }]);
}

/** y = x + s. ∂x = dy. */
export function addScalar(x: Tensor, s: number): RruleResult<Tensor, Tensor, Tensor> {
  return watched("addScalar", [ops.addScalar(x, s), function addScalar_pullback(dy) {
    return dy;
  }]);
}

/** y = s·x. ∂x = s·dy. */
export function mulScalar(x: Tensor, s: number): RruleResult<Tensor, Tensor, Tensor> {
  return watched("mulScalar", [ops.mulScalar(x, s), function mulScalar_pullback(dy) {
    return ops.mulScalar(dy, s);
  }]);
}

/** y = x / s. ∂x = dy / s. */
export function divScalar(x: Tensor, s: number): RruleResult<Tensor, Tensor, Tensor> {
  return watched("divScalar", [ops.divScalar(x, s), function divScalar_pullback(dy) {
    return ops.divScalar(dy, s);
  }]);
}

/** y = √x. ∂x = dy / (2y). */
export function sqrt(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  const y = ops.sqrt(x);
  return watched("sqrt", [y, function sqrt_pullback(dy) {
    return ops.sqrtBackward(y, dy);
  }]);
}

/** y = x². ∂x = 2x·dy. */
export function square(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  return watched("square", [ops.square(x), function square_pullback(dy) {
    return ops.squareBackward(x, dy);
  }]);
}

/** y = eˣ. ∂x = y·dy. */
export function exp(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  const y = ops.exp(x);
  return watched("exp", [y, function exp_pullback(dy) {
    return ops.expBackward(y, dy);
  }]);
}

/** y = ln x. ∂x = dy / x. */
export function log(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  return watched("log", [ops.log(x), function log_pullback(dy) {
    return ops.logBackward(x, dy);
  }]);
}

/** y = tanh x. ∂x = (1 − y²)·dy. */
export function tanh(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  const y = ops.tanh(x);
  return watched("tanh", [y, function tanh_pullback(dy) {
    return ops.tanhBackward(y, dy);
  }]);
}

/** GPT-2's GELU (tanh approximation); the backward differentiates the approximation exactly. */
export function gelu(x: Tensor): RruleResult<Tensor, Tensor, Tensor> {
  return watched("gelu", [ops.gelu(x), function gelu_pullback(dy) {
    return ops.geluBackward(x, dy);
  }]);
}
