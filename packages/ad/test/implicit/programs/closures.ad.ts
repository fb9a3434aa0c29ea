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

/** Closures nested two deep, the outer one called in a loop. */
export function nestedClosures(x: Tensor, w: Tensor): Tensor {
  const outer = (h: Tensor) => {
    const inner = (g: Tensor) => mul(g, w);
    return add(inner(h), inner(tanh(h)));
  };
  let h = x;
  for (let i = 0; i < 2; i++) h = outer(h);
  return h;
}

/** A recursive closure capturing a tracked weight. */
export function recursiveClosure(x: Tensor, w: Tensor, n: number): Tensor {
  const go = (h: Tensor, k: number): Tensor => (k === 0 ? h : go(tanh(mul(h, w)), k - 1));
  return go(x, n);
}

/** Recursion over a nested array of tensors. */
export function sumTree(t: Tensor | Tensor[] | Tensor[][]): Tensor {
  if (Array.isArray(t)) {
    let acc: Tensor | null = null;
    for (const c of t) {
      const s = sumTree(c);
      acc = acc === null ? s : add(acc, s);
    }
    return acc!;
  }
  return tanh(t);
}

/** An immediately invoked arrow. */
export function iife(x: Tensor): Tensor {
  const y = ((h: Tensor) => tanh(h))(x);
  return mul(y, x);
}

/** A local higher-order function given a closure over a tracked weight. */
export function localHigherOrder(x: Tensor, w: Tensor): Tensor {
  function apply(f: (h: Tensor) => Tensor, h: Tensor): Tensor {
    return f(f(h));
  }
  return apply((h) => matmul(h, w), x);
}

/** A module-level function expression taking a function. */
const twice = function (f: (h: Tensor) => Tensor, h: Tensor): Tensor {
  return f(f(h));
};
export function moduleHigherOrder(x: Tensor, w: Tensor): Tensor {
  return twice((h) => tanh(matmul(h, w)), x);
}

/** A closure that returns the updated accumulator (instead of assigning the captured variable). */
export function accumulateWithClosure(x: Tensor, a: Tensor, b: Tensor): Tensor {
  let acc = x;
  const addTo = (y: Tensor) => add(acc, mul(y, x));
  acc = addTo(a);
  acc = addTo(b);
  return acc;
}

/** Calls a function declared further down (hoisting). */
export function hoistedUse(x: Tensor): Tensor {
  return later(x);
}

function later(x: Tensor): Tensor {
  return tanh(mul(x, x));
}

/** A function declaration inside a loop body, capturing the loop variable. */
export function declInLoop(xs: Tensor[], w: Tensor): Tensor {
  let h = w;
  for (const x of xs) {
    function step(g: Tensor): Tensor {
      return add(g, mul(x, w));
    }
    h = step(h);
  }
  return h;
}

/** A function expression (not an arrow) passed as an argument. */
export function fnExprArg(x: Tensor, w: Tensor): Tensor {
  return iterate(function (h: Tensor) {
    return tanh(mul(h, w));
  }, x, 2);
}

/** Functions stored in an object, called through it. */
const table = { a: (h: Tensor) => tanh(h), b: (h: Tensor) => exp(h) };
export function fromObject(x: Tensor, k: "a" | "b"): Tensor {
  return mul(table[k](x), table.a(x));
}

/** Functions stored in an array, called by index in a loop. */
const list = [(h: Tensor) => tanh(h), (h: Tensor) => mul(h, h)];
export function fromArray(x: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < list.length; i++) h = list[i](h);
  return h;
}

/** A "module" object with a function property. */
export const model = {
  forward: (x: Tensor, w: Tensor) => tanh(matmul(x, w)),
};
export function usesModel(x: Tensor, w: Tensor): Tensor {
  return model.forward(model.forward(x, w), w);
}

/** Recursion building an array result with spread. */
export function nestedReturnStructures(x: Tensor, depth: number): Tensor[] {
  if (depth === 0) return [x];
  const inner = nestedReturnStructures(tanh(x), depth - 1);
  return [...inner, mul(x, inner[0])];
}

/** Sums the recursive array result. */
export function sumOfNested(x: Tensor): Tensor {
  const parts = nestedReturnStructures(x, 3);
  let acc = parts[0];
  for (const p of parts) acc = add(acc, p);
  return acc;
}
