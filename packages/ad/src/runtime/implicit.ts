// @pullback/ad/implicit — what code the loader generates calls: rule registration and lookup
// (`explicit` registers an expanded `ad(…)` function), cotangent accumulation over structures
// (null is a zero of any shape), rules for number arithmetic and Math functions, and the rules
// of the @pullback/tensor ops (`ops`, from its op table).
import { releasingTemporaries, Tensor } from "@pullback/tensor";
import { DualNumber, withoutTangents } from "@pullback/tensor/dual";
import { dualNumbers, numbers, type Num } from "./number_frules.ts";
import { acc, at } from "./tree.ts";
import { defineRrule, explicitRule, opRules, ruleOf, registerGeneratedRule, type Rule } from "./registry.ts";
import { arrayOf, ownKeys, withFrule, type Frule } from "./forward.ts";

export { acc, at, defineRrule, ruleOf };
export const explicit = explicitRule;
export const ops: Readonly<Record<string, Rule>> = opRules;

/** A tracked value read where no derivative flows (a test, an index): its value without tangents (dual.ts). */
export const primalOf = withoutTangents;
// Forward mode (jvp): what generated forward rules call.
export { withFrule, fruleOf, farrayMap, farrayReduce, fobjectSpread, fobjectOf, forwardRules, tpath, tslice } from "./forward.ts";
export { fnum, fmath } from "./number_frules.ts";
export { fopOf } from "./op_frules.ts";

/** Registers the generated rule of `f` (named `name` when f is anonymous), and its forward rule when given; returns f. */
export function withRule<F extends Function>(f: F, rule: Rule, name?: string, frule?: Frule): F {
  if (frule) withFrule(f, frule);
  return registerGeneratedRule(f, rule, name);
}

/**
 * Registers the generated rule of a module-level function. Inside a MemoryPool.run, its pullback
 * runs as a nested memory scope: the cotangents of its intermediate values go back to the pool
 * when it returns (only the cotangents it returns are kept), so a model's backward pass holds one
 * block's temporaries at a time instead of every block's.
 */
export function withModuleRule<F extends Function>(f: F, rule: Rule, name?: string, frule?: Frule): F {
  const scopedRule: Rule = (...args) => {
    const [y, pullback] = rule(...args);
    return [y, (dy) => releasingTemporaries(() => pullback(dy))];
  };
  return withRule(f, scopedRule, name, frule);
}

/** The cotangent of a container after reading `key` with cotangent `v`: d + {key: v}. */
export function accAt(d: any, key: string | number, v: any): any {
  if (v === null || v === undefined) return d;
  let out: any;
  if (d === null || d === undefined) out = typeof key === "number" ? [] : {};
  else out = Array.isArray(d) ? d.slice() : { ...d };
  out[key] = acc(out[key], v);
  return out;
}

/** The cotangent of a container after reading `d[k1][k2]…` with cotangent `v`. */
export function accPath(d: any, keys: (string | number)[], v: any): any {
  if (v === null || v === undefined) return d;
  let nested = v;
  for (let i = keys.length - 1; i > 0; i--) nested = accAt(null, keys[i], nested);
  return accAt(d, keys[0], nested);
}

/** Elements [start, start + n) of an array cotangent (the part of `[...xs]` that belongs to xs). */
export function sliceCotangent(d: any, start: number, n: number): any[] | null {
  if (d === null || d === undefined) return null;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = at(d, start + i);
  return out;
}

/** Cotangent of `xs` after `[, , ...rest] = xs` (rest starts at `start`): d + [0…, ...drest]. */
export function restCotangent(d: any, start: number, drest: any): any {
  if (drest === null || drest === undefined) return d;
  const add: any[] = new Array(start).fill(null);
  for (let i = 0; i < drest.length; i++) add.push(drest[i] ?? null);
  return acc(d, add);
}

/** One cotangent per rest argument (`...args` parameters). */
export function restCotangents(d: any, n: number): any[] {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = at(d, i);
  return out;
}

/**
 * The rule of `xs.map(f)` over a tracked array: f's rule runs on each element (with its index);
 * the pullback runs each element's pullback. Cotangents of values f captures reach their owner
 * through f's own rule.
 */
export function arrayMap(xs: unknown, f: unknown): [unknown[], (dys: any) => any[]] {
  const list = arrayOf("map", xs);
  const rule = ruleOf(f);
  const pullbacks: ((dy: any) => any[])[] = [];
  const ys = list.map((x, i) => {
    const [y, pb] = rule(x, i);
    pullbacks.push(pb);
    return y;
  });
  return [
    ys,
    function map_pullback(dys: any) {
      const dxs = pullbacks.map((pb, i) => {
        const dy = at(dys, i);
        return dy === null ? null : at(pb(dy), 0);
      });
      return [dxs, null];
    },
  ];
}

/**
 * The rule of `xs.reduce(f)` / `xs.reduce(f, init)` over tracked values: f's rule runs per element
 * as `f(acc, x, i, xs)`, from init (or xs[0], starting at index 1). The pullback runs the element
 * pullbacks last to first, passing the accumulator's cotangent back through the chain: each gives
 * d(acc), d(xs[i]) and d(xs); what reaches the start goes to init (or to xs[0]).
 */
export function arrayReduce(xs0: unknown, f: unknown, ...init: unknown[]): [unknown, (dy: any) => any[]] {
  const xs = arrayOf("reduce", xs0);
  const seeded = init.length > 0;
  if (!seeded && xs.length === 0) throw new TypeError("reduce of an empty array with no initial value");
  const rule = ruleOf(f);
  const first = seeded ? 0 : 1;
  let y = seeded ? init[0] : xs[0];
  const pullbacks: ((dy: any) => any[])[] = [];
  for (let i = first; i < xs.length; i++) {
    const [next, pb] = rule(y, xs[i], i, xs);
    pullbacks.push(pb);
    y = next;
  }
  return [
    y,
    function reduce_pullback(dy: any) {
      const dxs: any[] = new Array(xs.length).fill(null);
      let dxsWhole: any = null;
      let dacc = dy === undefined ? null : dy;
      for (let j = pullbacks.length - 1; j >= 0 && dacc !== null; j--) {
        const g = pullbacks[j](dacc);
        dacc = at(g, 0);
        dxs[first + j] = acc(dxs[first + j], at(g, 1));
        dxsWhole = acc(dxsWhole, at(g, 3));
      }
      if (!seeded) dxs[0] = acc(dxs[0], dacc);
      const dArray = acc(dxs, dxsWhole);
      return seeded ? [dArray, null, dacc] : [dArray, null];
    },
  ];
}

/**
 * The rule of an object literal with spreads of tracked values, `{ ...p, c: x, ...q }`, called as
 * `objectSpread(p, { c: x }, q)`: the parts are spread in order, a later key overriding an
 * earlier one. The pullback gives each part the cotangents of the keys it put in the result (the
 * keys no later part overrides): an object for an object part, an array for an array part.
 */
export function objectSpread(...parts: unknown[]): [Record<string, unknown>, (dy: any) => any[]] {
  const out: Record<string, unknown> = {};
  for (const part of parts) if (part !== null && part !== undefined) Object.assign(out, part);
  return [
    out,
    function spread_pullback(dy: any) {
      const dparts: any[] = new Array(parts.length).fill(null);
      if (dy === null || dy === undefined) return dparts;
      const owned = new Set<string>();
      for (let i = parts.length - 1; i >= 0; i--) {
        const part = parts[i];
        if (part === null || typeof part !== "object") continue;
        const keys = Object.keys(part).filter((k) => !owned.has(k));
        for (const k of Object.keys(part)) owned.add(k);
        let d: any = null;
        for (const k of keys) {
          const v = at(dy, k);
          if (v === null) continue;
          d ??= Array.isArray(part) ? new Array(part.length).fill(null) : {};
          d[k] = v;
        }
        dparts[i] = d;
      }
      return dparts;
    },
  ];
}

/**
 * Rules of `Object.values`, `Object.entries` and `Object.fromEntries` over tracked values (the
 * keys carry no gradient: `Object.keys` is not differentiated). Pullbacks route each element's
 * cotangent back to the property (or array element, or pair) it came from.
 */
export const objectRules: Record<string, Rule> = {
  values(o: unknown) {
    const keys = ownKeys("Object.values", o);
    return [
      Object.values(o as object),
      function values_pullback(dvs: any) {
        return [keysCotangent(o, keys, (i) => at(dvs, i))];
      },
    ];
  },
  entries(o: unknown) {
    const keys = ownKeys("Object.entries", o);
    return [
      Object.entries(o as object),
      function entries_pullback(des: any) {
        return [keysCotangent(o, keys, (i) => at(at(des, i), 1))];
      },
    ];
  },
  fromEntries(entries: unknown) {
    if (!Array.isArray(entries))
      throw new TypeError(
        `Object.fromEntries of tracked values needs an array of [key, value] pairs, got ${entries === null ? "null" : typeof entries}`,
      );
    const y = Object.fromEntries(entries);
    const keys = entries.map((e) => String(e[0]));
    return [
      y,
      function fromEntries_pullback(dy: any) {
        // A key given twice keeps its last value: only that pair gets the cotangent.
        const last = new Map(keys.map((k, i) => [k, i]));
        return [
          entries.map((e, i) => {
            const v = last.get(keys[i]) === i ? at(dy, keys[i]) : null;
            return v === null ? null : [null, v];
          }),
        ];
      },
    ];
  },
};

/** The cotangent of `o` whose key i (of `keys`) gets `d(i)`: an array for an array, else an object. */
function keysCotangent(o: unknown, keys: string[], d: (i: number) => any): any {
  let out: any = null;
  keys.forEach((k, i) => {
    const v = d(i);
    if (v === null) return;
    out ??= Array.isArray(o) ? new Array(o.length).fill(null) : {};
    out[k] = v;
  });
  return out;
}

/**
 * The pullback of a closure over tracked values of `outer` ran outside `outer`'s pullback: the
 * closure escaped (e.g. it was returned) and is differentiated by a caller. Its cotangents for the
 * captured values go to variables of `outer`'s rule that only count while that pullback runs.
 */
export function escapedClosure(name: string, outer: string): never {
  throw new Error(
    `${name}: a function capturing tracked values of ${outer} was differentiated outside ${outer} (it escaped, e.g. as a return value, ` +
      `or was given to grad/valueAndGrad inside ${outer}); the gradient to the values it captures cannot reach ${outer}'s pullback. ` +
      `Call it inside ${outer}, or pass the values it captures as arguments (grad(f, { argnums }) for several).`,
  );
}

// ---- numbers ------------------------------------------------------------------------------

type NumRule = (...xs: Num[]) => [Num, (dy: Num) => (Num | null)[]];
const N = dualNumbers;
const p = (x: Num): number => withoutTangents(x) as number;

// The rules below compute with N (number_frules.ts), JavaScript's arithmetic on numbers that also
// carries the tangents of DualNumbers: their pullbacks are differentiated too (hvp, hessian).

/** Rules of + − × ÷ ** % and unary − on numbers (the generated code calls them for tracked numbers). */
export const num: Record<string, NumRule> = {
  add(a, b) {
    numbers("+", a, b);
    return [
      N.add(a, b),
      function add_pullback(dy) {
        return [dy, dy];
      },
    ];
  },
  sub(a, b) {
    numbers("-", a, b);
    return [
      N.sub(a, b),
      function sub_pullback(dy) {
        return [dy, N.neg(dy)];
      },
    ];
  },
  mul(a, b) {
    numbers("*", a, b);
    return [
      N.mul(a, b),
      function mul_pullback(dy) {
        return [N.mul(dy, b), N.mul(dy, a)];
      },
    ];
  },
  div(a, b) {
    numbers("/", a, b);
    const y = N.div(a, b);
    return [
      y,
      function div_pullback(dy) {
        // ∂a = dy / b, ∂b = −dy·a / b² = −(dy / b)·y
        const da = N.div(dy, b);
        return [da, N.neg(N.mul(da, y))];
      },
    ];
  },
  pow(a, b) {
    numbers("**", a, b);
    const y = N.pow(a, b);
    return [
      y,
      function pow_pullback(dy) {
        // ∂a = dy·b·a^(b−1), ∂b = dy·y·ln a (for a > 0)
        return [N.mul(N.mul(dy, b), N.pow(a, N.sub(b, 1))), p(a) > 0 ? N.mul(N.mul(dy, y), N.log(a)) : null];
      },
    ];
  },
  mod(a, b) {
    // a % b = a − b·trunc(a/b): slope 1 in a, −trunc(a/b) in b (between the jumps).
    numbers("%", a, b);
    return [
      N.mod(a, b),
      function mod_pullback(dy) {
        return [dy, N.mul(N.neg(dy), Math.trunc(p(a) / p(b)))];
      },
    ];
  },
  neg(a) {
    numbers("unary -", a);
    return [
      N.neg(a),
      function neg_pullback(dy) {
        return [N.neg(dy)];
      },
    ];
  },
};

/** Rules of the differentiable Math functions. */
export const math: Record<string, NumRule> = {
  exp(x) {
    numbers("Math.exp", x);
    const y = N.exp(x);
    return [
      y,
      function exp_pullback(dy) {
        return [N.mul(dy, y)];
      },
    ];
  },
  log(x) {
    numbers("Math.log", x);
    return [
      N.log(x),
      function log_pullback(dy) {
        return [N.div(dy, x)];
      },
    ];
  },
  log1p(x) {
    numbers("Math.log1p", x);
    return [
      N.log1p(x),
      function log1p_pullback(dy) {
        return [N.div(dy, N.add(1, x))];
      },
    ];
  },
  expm1(x) {
    numbers("Math.expm1", x);
    return [
      N.expm1(x),
      function expm1_pullback(dy) {
        return [N.mul(dy, N.exp(x))];
      },
    ];
  },
  sqrt(x) {
    numbers("Math.sqrt", x);
    const y = N.sqrt(x);
    return [
      y,
      function sqrt_pullback(dy) {
        return [N.div(dy, N.mul(2, y))];
      },
    ];
  },
  cbrt(x) {
    numbers("Math.cbrt", x);
    const y = N.cbrt(x);
    return [
      y,
      function cbrt_pullback(dy) {
        return [N.div(dy, N.mul(3, N.mul(y, y)))];
      },
    ];
  },
  tanh(x) {
    numbers("Math.tanh", x);
    const y = N.tanh(x);
    return [
      y,
      function tanh_pullback(dy) {
        return [N.mul(dy, N.sub(1, N.mul(y, y)))];
      },
    ];
  },
  sinh(x) {
    numbers("Math.sinh", x);
    return [
      N.sinh(x),
      function sinh_pullback(dy) {
        return [N.mul(dy, N.cosh(x))];
      },
    ];
  },
  cosh(x) {
    numbers("Math.cosh", x);
    return [
      N.cosh(x),
      function cosh_pullback(dy) {
        return [N.mul(dy, N.sinh(x))];
      },
    ];
  },
  sin(x) {
    numbers("Math.sin", x);
    return [
      N.sin(x),
      function sin_pullback(dy) {
        return [N.mul(dy, N.cos(x))];
      },
    ];
  },
  cos(x) {
    numbers("Math.cos", x);
    return [
      N.cos(x),
      function cos_pullback(dy) {
        return [N.neg(N.mul(dy, N.sin(x)))];
      },
    ];
  },
  atan(x) {
    numbers("Math.atan", x);
    return [
      N.atan(x),
      function atan_pullback(dy) {
        return [N.div(dy, N.add(1, N.mul(x, x)))];
      },
    ];
  },
  abs(x) {
    numbers("Math.abs", x);
    const v = p(x);
    return [
      N.abs(x),
      function abs_pullback(dy) {
        return [v > 0 ? dy : v < 0 ? N.neg(dy) : 0];
      },
    ];
  },
  pow(a, b) {
    return num.pow(a, b);
  },
  max(...xs) {
    numbers("Math.max", ...xs);
    const y = N.max(...xs);
    const i = xs.map(p).indexOf(p(y));
    return [
      y,
      function max_pullback(dy) {
        return xs.map((_, j) => (j === i ? dy : null));
      },
    ];
  },
  min(...xs) {
    numbers("Math.min", ...xs);
    const y = N.min(...xs);
    const i = xs.map(p).indexOf(p(y));
    return [
      y,
      function min_pullback(dy) {
        return xs.map((_, j) => (j === i ? dy : null));
      },
    ];
  },
};
