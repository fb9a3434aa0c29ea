// Cotangents returned by hand-written rules (customVjp, defineRrule) are checked against their
// arguments: a cotangent has its argument's structure, shape and dtype (or is null: a zero). A
// wrong one would otherwise come out of valueAndGrad as the gradient. The check runs once per
// pullback call and reads only shapes and structure, never data.
import { fmtShape, Tensor } from "@pullback/tensor";
import { isNumber, isPlainObject } from "./tree.ts";

/** A hand-written rule's pullback returned a cotangent that does not fit its argument. */
export class CotangentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CotangentError";
  }
}

function describe(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.dtype} Tensor of shape ${fmtShape(x.shape)}`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x === null || x === undefined) return String(x);
  if (isPlainObject(x)) return "an object";
  return typeof x === "object" ? `a ${(x as object).constructor?.name ?? "object"}` : `a ${typeof x}`;
}

/** Why `d` is not a cotangent of `x` (the first mismatch, at `path`), or null when it is. */
export function cotangentMismatch(d: unknown, x: unknown, path: string): string | null {
  if (d === null || d === undefined) return null; // a zero of any structure
  if (x instanceof Tensor) {
    if (!(d instanceof Tensor)) return `${path} is ${describe(d)}, its argument ${describe(x)}`;
    if (d.shape.length !== x.shape.length || d.shape.some((n, i) => n !== x.shape[i]) || d.dtype !== x.dtype) {
      return `${path} is ${describe(d)}, its argument ${describe(x)}`;
    }
    return null;
  }
  if (isNumber(x)) return isNumber(d) ? null : `${path} is ${describe(d)}, its argument a number`;
  if (Array.isArray(x)) {
    if (!Array.isArray(d) || d.length > x.length) return `${path} is ${describe(d)}, its argument ${describe(x)}`;
    for (let i = 0; i < d.length; i++) {
      const m = cotangentMismatch(d[i], x[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (isPlainObject(x)) {
    if (!isPlainObject(d)) return `${path} is ${describe(d)}, its argument an object`;
    for (const k of Object.keys(d)) {
      if (!(k in x)) return `${path}.${k} has no argument field ${k}`;
      const m = cotangentMismatch(d[k], x[k], `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  return `${path} is ${describe(d)}, but its argument (${describe(x)}) carries no gradient: return null`;
}

/** Throws a CotangentError naming `rule` unless `ds` (a pullback's result) fits `args`. */
export function checkCotangents(ds: unknown, args: unknown[], rule: string, definedAt: string | undefined, calledAt: string | undefined): void {
  const where = [definedAt && `defined at ${definedAt}`, calledAt && `called at ${calledAt}`].filter(Boolean).join(", ");
  const fail = (what: string) => {
    throw new CotangentError(`the pullback of ${rule}${where ? ` (${where})` : ""} returned a wrong cotangent: ${what}`);
  };
  if (!Array.isArray(ds)) fail(`expected an array of one cotangent per argument, got ${describe(ds)}`);
  const list = ds as unknown[];
  if (list.length > args.length) fail(`${list.length} cotangents for ${args.length} argument${args.length === 1 ? "" : "s"}`);
  for (let i = 0; i < list.length; i++) {
    const m = cotangentMismatch(list[i], args[i], `the cotangent of argument ${i}`);
    if (m) fail(m);
  }
}
