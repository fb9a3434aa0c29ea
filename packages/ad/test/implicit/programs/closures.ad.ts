// Corpus: closures — nested functions, closures capturing tracked values (called in loops too),
// functions passed as arguments, calls across .ad.ts modules, recursion.
import { add, exp, matmul, mul, sub, tanh, type Tensor } from "@pullback/tensor";
import { halve, iterate, residualLayer } from "./closures_lib.ad.ts";

/** A nested function that uses only its own arguments. */
export function nestedFunction(x: Tensor, y: Tensor): Tensor {
  function combine(a: Tensor, b: Tensor): Tensor {
    return mul(a, tanh(b));
  }
  return add(combine(x, y), combine(y, x));
}

/** A closure capturing a tracked parameter (w), called twice. */
export function capturesParam(x: Tensor, w: Tensor): Tensor {
  const layer = (h: Tensor) => tanh(matmul(h, w));
  return layer(layer(x));
}

/** A closure capturing a tracked local, called inside a loop. */
export function capturesInLoop(x: Tensor, w: Tensor, n: number): Tensor {
  const scale = exp(w);
  const step = (h: Tensor): Tensor => add(h, mul(h, scale));
  let h = x;
  for (let i = 0; i < n; i++) h = step(h);
  return h;
}

/** A closure defined inside the loop body, capturing the loop variable's tensor. */
export function closureInLoop(xs: Tensor[], y: Tensor): Tensor {
  let acc = y;
  for (const x of xs) {
    const addX = (h: Tensor) => add(h, mul(x, h));
    acc = addX(acc);
  }
  return acc;
}

/** Passing a local closure (capturing w) to a function of another module. */
export function passesClosure(x: Tensor, w: Tensor): Tensor {
  return iterate((h) => residualLayer(h, w), x, 3);
}

/** Passing a module-level function of another module as an argument. */
export function passesImported(x: Tensor): Tensor {
  return iterate(halve, tanh(x), 2);
}

/** Calling functions of another .ad.ts module directly. */
export function crossModule(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  return halve(residualLayer(residualLayer(x, w1), w2));
}

/** Recursion: depth-n repeated application. */
export function recurse(x: Tensor, w: Tensor, depth: number): Tensor {
  if (depth === 0) return x;
  return recurse(tanh(matmul(x, w)), w, depth - 1);
}

/** Mutual recursion between two functions, alternating ops. */
export function even(x: Tensor, n: number): Tensor {
  return n === 0 ? x : odd(tanh(x), n - 1);
}
export function odd(x: Tensor, n: number): Tensor {
  return n === 0 ? x : even(mul(x, x), n - 1);
}

/** A function returning a closure over a tracked argument (a closure as a value). */
export function makeShift(s: Tensor): (h: Tensor) => Tensor {
  return (h) => sub(h, s);
}
/** Uses the returned closure: the shift's gradient reaches s. */
export function usesMadeClosure(x: Tensor, s: Tensor): Tensor {
  const shift = makeShift(s);
  return shift(tanh(shift(x)));
}
