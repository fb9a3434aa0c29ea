// Corpus: loops — for, for…of over tensors and over parameter objects, while, do…while, nested.
import { add, gelu, linear, matmul, mul, mulScalar, tanh, type Tensor } from "@pullback/tensor";

/** A counted for loop applying an op n times. */
export function repeat(x: Tensor, n: number): Tensor {
  for (let i = 0; i < n; i++) {
    x = tanh(x);
  }
  return x;
}

/** for…of over an array of tensors: a running product-sum. */
export function sumOfProducts(xs: Tensor[], w: Tensor): Tensor {
  let acc = mul(xs[0], w);
  for (const x of xs) {
    acc = add(acc, mul(x, w));
  }
  return acc;
}

/** for…of over a list of parameter objects (an MLP stack). */
export function stack(x: Tensor, layers: { w: Tensor; b: Tensor }[]): Tensor {
  let h = x;
  for (const layer of layers) {
    h = gelu(linear(h, layer.w, layer.b));
  }
  return h;
}

/** A while loop with a counter (inactive) and a tracked accumulator. */
export function whileLoop(x: Tensor, steps: number): Tensor {
  let i = 0;
  let y = x;
  while (i < steps) {
    y = add(mulScalar(y, 0.5), x);
    i++;
  }
  return y;
}

/** do…while: the body runs at least once. */
export function doWhile(x: Tensor, w: Tensor, steps: number): Tensor {
  let y = x;
  let k = 0;
  do {
    y = tanh(matmul(y, w));
    k += 1;
  } while (k < steps);
  return y;
}

/** Nested loops with ops in both levels; the inner one indexes a 2-D array of weights. */
export function nested(x: Tensor, ws: Tensor[][]): Tensor {
  let h = x;
  for (let i = 0; i < ws.length; i++) {
    h = tanh(h);
    for (let j = 0; j < ws[i].length; j++) {
      h = add(h, matmul(h, ws[i][j]));
    }
  }
  return h;
}

/** Indexed reads of tensors of an array in a loop (xs[i] with an inactive index). */
export function indexed(xs: Tensor[]): Tensor {
  let acc = xs[0];
  for (let i = 1; i < xs.length; i++) acc = mul(acc, xs[i]);
  return acc;
}

/** for…in over the keys of a parameter object (computed reads p[k]). */
export function forIn(p: { a: Tensor; b: Tensor; c: Tensor }): Tensor {
  let acc = mulScalar(p.a, 0);
  for (const k in p) {
    acc = add(acc, mul(p[k as keyof typeof p], p.a));
  }
  return acc;
}

/** for…of with a destructuring pattern over objects with a flag (the flag gets no cotangent). */
export function flaggedLayers(ps: { w: Tensor; on: boolean }[], x: Tensor): Tensor {
  let h = x;
  for (const { w, on } of ps) {
    if (!on) continue;
    h = tanh(mul(h, w));
  }
  return h;
}

/** A closure capturing a variable that the loop reassigns (it reads the current value). */
export function capturedReassigned(x: Tensor, y: Tensor): Tensor {
  let s = y;
  const f = (h: Tensor) => mul(h, s);
  let h = x;
  for (let i = 0; i < 3; i++) {
    s = tanh(s);
    h = f(h);
  }
  return h;
}

/** var declarations in a loop body (function-scoped). */
export function varInLoop(x: Tensor, n: number): Tensor {
  var h = x;
  for (var i = 0; i < n; i++) {
    var t = tanh(h);
    h = add(h, t);
  }
  return h;
}

/** for (;;) left by break. */
export function foreverBreak(x: Tensor): Tensor {
  let h = x;
  let k = 0;
  for (;;) {
    h = tanh(h);
    if (++k === 3) break;
  }
  return h;
}

/** Two counters in a for header (comma expressions). */
export function commaFor(x: Tensor): Tensor {
  let h = x;
  for (let i = 0, j = 4; i < j; i++, j--) h = mul(h, tanh(x));
  return h;
}

/** for…of over Object.keys of a record of tensors (computed reads). */
export function keysLoop(p: Record<string, Tensor>): Tensor {
  let acc: Tensor | null = null;
  for (const k of Object.keys(p)) acc = acc === null ? p[k] : add(acc, mul(p[k], p[k]));
  return acc!;
}
