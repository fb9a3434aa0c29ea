// Forward over reverse, the one engine of second order (hvp, hessian, grad of grad): f's rule
// — the generated reverse code, a customVjp, a checkpoint — runs with its arguments carrying
// tangents (DualTensor, DualNumber of @pullback/tensor/dual). Every op and backward kernel the
// forward pass and the pullback call runs its forward rule from the op table, and the number
// rules compute with tangent-carrying arithmetic, so the gradient comes back carrying its
// directional derivative: ∇f(x) with tangent H·v. Nothing is generated for it: the same code
// computes the gradient, whatever control flow produced it.
import { carryingTangents, primalOf, tangentOf, withTangent } from "@pullback/tensor/dual";
import { Tensor } from "@pullback/tensor";
import type { Rule } from "./registry.ts";
import { completeCotangent, isPlainObject } from "./tree.ts";

export interface SecondOrder {
  /** f's value. */
  value: any;
  /** Its derivative along the tangents, ⟨∇f, v⟩ (null when zero). */
  valueTangent: any;
  /** ∇f, one entry per argument, in the argument's structure (zeros where none). */
  grads: any[];
  /** H·v (the tangent of ∇f), one entry per argument, in the argument's structure (zeros where none). */
  hvps: any[];
}

/** Checks that tangent `t` has the structure and shapes of argument `x` (null: zero). */
function checkTangent(what: string, x: any, t: any, path: string): void {
  if (t === null || t === undefined) return;
  const fail = (msg: string) => {
    throw new TypeError(`${what}: the tangent of argument ${path} ${msg}`);
  };
  if (x instanceof Tensor) {
    if (!(t instanceof Tensor)) fail(`must be a Tensor of shape (${x.shape.join(", ")}), got ${typeof t}`);
    if (t.shape.join() !== x.shape.join()) fail(`has shape (${t.shape.join(", ")}), the argument (${x.shape.join(", ")})`);
    if (t.dtype !== x.dtype) fail(`is ${t.dtype}, the argument ${x.dtype}`);
  } else if (typeof x === "number") {
    if (typeof t !== "number") fail(`must be a number, got ${typeof t}`);
  } else if (Array.isArray(x)) {
    if (!Array.isArray(t) || t.length !== x.length) fail(`must be an array of ${x.length}`);
    x.forEach((xi, i) => checkTangent(what, xi, t[i], `${path}[${i}]`));
  } else if (isPlainObject(x)) {
    if (t === null || typeof t !== "object") fail("must be an object with the argument's keys");
    for (const k of Object.keys(t)) {
      if (!(k in x)) fail(`has the key ${k}, which the argument has not`);
      checkTangent(what, x[k], t[k], `${path}.${k}`);
    }
  } else fail("is given, but the argument holds no Tensor or number");
}

/**
 * Runs `rule(...args)` with `tangents` (one per argument, in its structure; null or missing: zero)
 * flowing, seeds its pullback with `seed(value)`, and returns the value, the gradient and H·v.
 */
export function forwardOverReverse(what: string, rule: Rule, args: any[], tangents: any[], seed: (value: any) => any): SecondOrder {
  if (tangents.length > args.length) throw new TypeError(`${what}: ${tangents.length} tangents for ${args.length} arguments`);
  args.forEach((a, i) => checkTangent(what, a, tangents[i], String(i)));
  return carryingTangents(what, () => {
    // (an argument passed twice with the same tangent is one value carrying it: `xs === ys` holds)
    const duals: any[] = [];
    args.forEach((a, i) => {
      const t = tangents[i] ?? null;
      const j = args.findIndex((b, k) => k < i && b === a && (tangents[k] ?? null) === t);
      duals.push(j >= 0 ? duals[j] : withTangent(a, t));
    });
    const [y, back] = rule(...duals);
    const value = primalOf(y);
    const ds = back(seed(value));
    return {
      value,
      valueTangent: tangentOf(y),
      grads: args.map((a, i) => completeCotangent(primalOf(ds[i] ?? null), a)),
      hvps: args.map((a, i) => completeCotangent(tangentOf(ds[i] ?? null), a)),
    };
  });
}
