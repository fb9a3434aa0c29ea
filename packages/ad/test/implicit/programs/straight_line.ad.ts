// Corpus: straight-line tensor code (no control flow: the rule reverses its units statically).
import { add, addScalar, concat, divScalar, exp, gelu, layerNorm, linear, log, matmul, mul, mulScalar, permute, reshape, softmax, splitAt, sqrt, square, sub, sum, sumAlong, tanh, Tensor } from "@pullback/tensor";

/** x·w + b. */
export function affine(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return add(matmul(x, w), b);
}

/** Two layers with different activations; the bias of the second goes through linear. */
export function twoLayer(x: Tensor, p: { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor }): Tensor {
  const h = gelu(linear(x, p.w1, p.b1));
  const z = tanh(linear(h, p.w2, p.b2));
  return z;
}

/** layerNorm then softmax over rows. */
export function normSoftmax(x: Tensor, g: Tensor, b: Tensor): Tensor {
  const n = layerNorm(x, g, b);
  return softmax(n);
}

/** Data movement: reshape, permute, a reduction along an axis. */
export function movement(x: Tensor): Tensor {
  const r = reshape(x, [2, 3, 2]);
  const p = permute(r, [2, 0, 1]);
  return sumAlong(exp(p), 1);
}

/** splitAt into two halves, combined differently, then concat. */
export function splitJoin(x: Tensor): Tensor {
  const [left, right] = splitAt(x, 1, 2);
  const l = square(left);
  const r = tanh(right);
  return concat([r, l, right], 1);
}

/** Ops with a number that is itself differentiated (s is an argument). */
export function scalarOps(x: Tensor, s: number): Tensor {
  const a = mulScalar(x, s);
  const b = addScalar(a, s);
  const c = divScalar(b, s + 2);
  return sub(c, log(sqrt(addScalar(square(x), 1))));
}

/** Block scopes and shadowing: an inner `x` and a loop-body `y` shadow the parameters. */
export function shadowing(x: Tensor, y: Tensor): Tensor {
  let h = mul(x, y);
  {
    const h2 = tanh(h);
    let x = h2;
    x = add(x, y);
    h = mul(h, x);
  }
  for (let i = 0; i < 2; i++) {
    const y = tanh(h);
    h = add(h, y);
  }
  return h;
}

/** A return from inside a nested block. */
export function returnsInBlock(x: Tensor): Tensor {
  const a = tanh(x);
  {
    const t = mul(a, x);
    return t;
  }
}

/** The identity: the cotangent is passed through. */
export function identity(x: Tensor): Tensor {
  return x;
}

/** A constant result: every gradient is zero. */
export function constantResult(x: Tensor): Tensor {
  void x;
  return Tensor.zeros([2], "float64");
}

/** A chain of matmuls reduced to a number. */
export function matmulChain(a: Tensor, b: Tensor, c: Tensor): number {
  return sum(matmul(matmul(a, b), c));
}

/** concat with a constant piece. */
export function concatConst(x: Tensor): Tensor {
  return concat([x, Tensor.zeros(x.shape, "float64"), tanh(x)], 0);
}

/** Indexing the result of splitAt directly. */
export function splitIndex(x: Tensor): Tensor {
  return mul(splitAt(x, 0, 1)[1], splitAt(x, 0, 2)[0]);
}

/** A generic function with a cast. */
export function generic<T extends Tensor>(x: T): Tensor {
  const y = x as Tensor;
  return mul(y, y);
}

/** A non-null assertion on an optional parameter field. */
export function nonNull(p: { w?: Tensor }, x: Tensor): Tensor {
  return mul(p.w!, x);
}

/** Names that clash with generated ones: a function f_pullback called by f. */
export function f(x: Tensor): Tensor {
  return f_pullback(x);
}
function f_pullback(x: Tensor): Tensor {
  return tanh(x);
}

/** Names that clash with generated cotangent names. */
export function d_clash(x: Tensor, d_x: Tensor): Tensor {
  const d_x_1 = mul(x, d_x);
  return add(d_x_1, x);
}
