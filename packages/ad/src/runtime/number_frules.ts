// Forward rules of number arithmetic (+ − × ÷ ** % and unary −) and of the differentiable Math
// functions: `frule([a, b], [ȧ, ḃ]) → [y, ẏ]`, a null tangent is a zero. The reverse rules are
// `num` and `math` in implicit.ts; test/forward/op_frules.test.ts checks both tables have the same keys.
// `dualNumbers` lifts them to numbers carrying tangents, for the reverse rules' own arithmetic.
import { Tensor } from "@pullback/tensor";
import { DualNumber, primalOf, tangentOf } from "@pullback/tensor/dual";
import type { Frule } from "./forward.ts";

/** Throws unless every x is a number (or a number carrying a tangent): the operands of the number rules, reverse and forward. */
export function numbers(op: string, ...xs: unknown[]): void {
  for (const x of xs) {
    if (typeof x !== "number" && !(x instanceof DualNumber)) {
      const what = x instanceof Tensor ? `a Tensor of shape (${x.shape.join(", ")})` : x === null ? "null" : typeof x;
      throw new TypeError(
        `the operator ${op} on tracked values needs numbers, got ${what}${x instanceof Tensor ? ` — use the op of @pullback/tensor (add, sub, mul, div) for tensors` : ""}`,
      );
    }
  }
}

/** ȧ·ka + ḃ·kb with null tangents as zeros (null when both are). */
function combine(ta: number | null | undefined, ka: number, tb?: number | null, kb = 0): number | null {
  const hasA = ta !== null && ta !== undefined;
  const hasB = tb !== null && tb !== undefined;
  if (!hasA && !hasB) return null;
  return (hasA ? ta * ka : 0) + (hasB ? tb * kb : 0);
}

/** Forward rules of + − × ÷ ** % and unary − on numbers (keys as the reverse rules of `num`). */
export const fnum: Record<string, Frule> = {
  add([a, b], [ta, tb]) {
    numbers("+", a, b);
    return [a + b, combine(ta, 1, tb, 1)];
  },
  sub([a, b], [ta, tb]) {
    numbers("-", a, b);
    return [a - b, combine(ta, 1, tb, -1)];
  },
  mul([a, b], [ta, tb]) {
    numbers("*", a, b);
    return [a * b, combine(ta, b, tb, a)];
  },
  div([a, b], [ta, tb]) {
    numbers("/", a, b);
    const y = a / b;
    return [y, combine(ta, 1 / b, tb, -y / b)];
  },
  pow([a, b], [ta, tb]) {
    numbers("**", a, b);
    const y = a ** b;
    // The slope in b is y·ln a, defined for a > 0 (the reverse rule gives b no cotangent otherwise).
    return [y, combine(ta, b * a ** (b - 1), tb, a > 0 ? y * Math.log(a) : 0)];
  },
  mod([a, b], [ta, tb]) {
    numbers("%", a, b);
    return [a % b, combine(ta, 1, tb, -Math.trunc(a / b))];
  },
  neg([a], [ta]) {
    numbers("unary -", a);
    return [-a, combine(ta, -1)];
  },
};

/** y = f(x), ẏ = f'(x, y)·ẋ. */
function unary(name: string, f: (x: number) => number, slope: (x: number, y: number) => number): Frule {
  return ([x], [tx]) => {
    numbers(`Math.${name}`, x);
    const y = f(x);
    return [y, combine(tx, slope(x, y))];
  };
}

/** The tangent of the argument Math.max / Math.min picked (the first of equal ones, as the reverse rule). */
function pick(name: string, f: (...xs: number[]) => number): Frule {
  return (xs, txs) => {
    numbers(`Math.${name}`, ...xs);
    const y = f(...xs);
    return [y, combine(txs[xs.indexOf(y)], 1)];
  };
}

/** Forward rules of the differentiable Math functions (keys as the reverse rules of `math`). */
export const fmath: Record<string, Frule> = {
  exp: unary("exp", Math.exp, (_x, y) => y),
  log: unary("log", Math.log, (x) => 1 / x),
  log1p: unary("log1p", Math.log1p, (x) => 1 / (1 + x)),
  expm1: unary("expm1", Math.expm1, (x) => Math.exp(x)),
  sqrt: unary("sqrt", Math.sqrt, (_x, y) => 1 / (2 * y)),
  cbrt: unary("cbrt", Math.cbrt, (_x, y) => 1 / (3 * y * y)),
  tanh: unary("tanh", Math.tanh, (_x, y) => 1 - y * y),
  sinh: unary("sinh", Math.sinh, (x) => Math.cosh(x)),
  cosh: unary("cosh", Math.cosh, (x) => Math.sinh(x)),
  sin: unary("sin", Math.sin, (x) => Math.cos(x)),
  cos: unary("cos", Math.cos, (x) => -Math.sin(x)),
  atan: unary("atan", Math.atan, (x) => 1 / (1 + x * x)),
  abs: unary("abs", Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  pow: (args, tangents) => fnum.pow(args, tangents),
  max: pick("max", Math.max),
  min: pick("min", Math.min),
};

export type Num = number | DualNumber;

/** JavaScript's own operators, by the keys of `fnum` (the Math functions are Math's): the plain path. */
const OPERATORS: Record<string, (...xs: number[]) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  mod: (a, b) => a % b,
  neg: (a) => -a,
};

/**
 * A forward rule as arithmetic on numbers that may carry tangents: plain numbers take JavaScript's
 * own operator or Math function (the first-order path: no array, no tuple); a DualNumber among
 * them, the forward rule on primals and tangents.
 */
function lift(name: string, frule: Frule): (...xs: Num[]) => Num {
  const plain = OPERATORS[name] ?? (Math as unknown as Record<string, (...xs: number[]) => number>)[name];
  return function (a: Num, b?: Num): Num {
    if (arguments.length === 1 && typeof a === "number") return plain(a);
    if (arguments.length === 2 && typeof a === "number" && typeof b === "number") return plain(a, b);
    const xs: Num[] = Array.from(arguments);
    if (xs.every((x) => typeof x === "number")) return plain(...(xs as number[]));
    const [y, t] = frule(xs.map(primalOf), xs.map(tangentOf));
    return t === null ? y : new DualNumber(y, t);
  };
}

/**
 * + − × ÷ ** % unary − and the Math functions on numbers or DualNumbers (keys as `fnum` and
 * `fmath`): the reverse number rules compute with these, so that their pullbacks carry tangents
 * while a second derivative is taken (hvp, hessian, grad of grad).
 */
export const dualNumbers: Record<string, (...xs: Num[]) => Num> = Object.fromEntries(
  [...Object.entries(fnum), ...Object.entries(fmath)].map(([k, frule]) => [k, lift(k, frule)]),
);
