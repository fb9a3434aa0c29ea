// A custom rule: softplus(x) = log(1 + eˣ), whose derivative is the logistic function
// σ(x) = 1 / (1 + e⁻ˣ). customVjp replaces the rule the loader would generate by a hand-written
// one — rule(...args) → [y, pullback], one cotangent per argument.
import { customVjp } from "@pullback/ad";
import { addScalar, div, exp, log, mul, mulScalar, sum, Tensor } from "@pullback/tensor";

export const softplus = customVjp(
  (x: Tensor): Tensor => log(addScalar(exp(x), 1)),
  (x: Tensor) => {
    const y = log(addScalar(exp(x), 1));
    const sigmoid = div(Tensor.ones(x.shape, x.dtype), addScalar(exp(mulScalar(x, -1)), 1));
    return [
      y,
      function softplus_pullback(dy: Tensor) {
        return [mul(dy, sigmoid)];
      },
    ];
  },
);

/** A loss that uses the custom rule inside generated code. */
export function energy(x: Tensor): number {
  return sum(mul(softplus(x), x));
}
