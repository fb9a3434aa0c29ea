// Second derivatives: hvp (Hessian-vector products, in the structure of the arguments) and
// hessian (dense, for small inputs), forward over reverse (forward_over_reverse.ts). Nested grad
// — grad of a function calling grad(f)(x) — is the rule grad.ts gives every grad(f).
import { Tensor } from "@pullback/tensor";
import { forwardOverReverse } from "./forward_over_reverse.ts";
import { ruleFor, seedFor } from "./grad.ts";

/**
 * `hvp(f, primals, v)` → H·v, one entry per argument in its structure, where H is the Hessian of
 * the scalar f over all its arguments and v holds one tangent per argument (null or missing: zero).
 * f's reverse code runs once with tangents flowing through every op: a few gradients' time and memory
 * (`bun run bench:hvp`: about 3.3× for an MLP, 4.3–4.9× for the tiny GPT-2).
 */
export function hvp<A extends any[]>(f: (...args: A) => any, primals: A, v: any[]): { -readonly [I in keyof A]: A[I] } {
  if (!Array.isArray(primals) || !Array.isArray(v)) throw new TypeError("hvp(f, primals, v): primals and v must be arrays (one entry per argument)");
  const rule = ruleFor(f, "hvp");
  return forwardOverReverse("hvp", rule, primals, v, (value) => seedFor(value, "hvp")).hvps as any;
}

/**
 * `hessian(f)(x, ...rest)` → the dense Hessian of the scalar f in its first argument x (the others
 * held constant): a Tensor of shape `x.shape ++ x.shape` with H[i…, j…] = ∂²f/∂xᵢ∂xⱼ, or a number
 * when x is a number. One hvp per element of x (column j is H·eⱼ): for small inputs.
 */
export function hessian<X extends Tensor | number>(f: (x: X, ...rest: any[]) => any): (x: X, ...rest: any[]) => X extends number ? number : Tensor {
  const rule = ruleFor(f, "hessian");
  const seed = (value: unknown) => seedFor(value, "hessian");
  return function hessianOf(x: X, ...rest: any[]): any {
    if (typeof x === "number") return forwardOverReverse("hessian", rule, [x, ...rest], [1], seed).hvps[0];
    if (!(x instanceof Tensor)) {
      throw new TypeError(
        `hessian: x must be a Tensor or a number, got ${x === null ? "null" : typeof x} (for a structure of parameters, use hvp along directions)`,
      );
    }
    const n = x.size;
    const out = Tensor.zeros([...x.shape, ...x.shape], x.dtype);
    const h = out.data;
    for (let j = 0; j < n; j++) {
      const e = Tensor.zeros(x.shape, x.dtype);
      e.data[j] = 1;
      const column = (forwardOverReverse("hessian", rule, [x, ...rest], [e], seed).hvps[0] as Tensor).data;
      for (let i = 0; i < n; i++) h[i * n + j] = column[i];
    }
    return out;
  };
}
