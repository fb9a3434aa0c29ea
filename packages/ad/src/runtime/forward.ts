// Forward mode. A *forward rule* (frule) is ChainRules' frule with the tangents packed like the
// arguments: `frule(args, tangents) → [y, ẏ]`, one tangent per argument, in the argument's
// structure (the structures of cotangents); `null` is a zero tangent of any shape (and NoTangent
// for arguments that carry none), a missing trailing tangent counts as null.
//
// Forward rules are found by function identity, like rules: every function of an implicit `.ad.ts`
// module registers its generated forward rule when it is defined (passes/forward/), the ops and
// backward kernels of @pullback/tensor have theirs in its op table, `defineFrule` registers a
// hand-written one, `nonDifferentiable` one with a zero tangent. `jvp(f, primals, tangents)` runs
// f's forward rule.
import { Tensor } from "@pullback/tensor";
import { loaderMissing, loaderRegistered } from "./marker.ts";
import { nameOf, ruleOrigin } from "./registry.ts";
import { at, completeCotangent } from "./tree.ts";

/** `frule(args, tangents) → [y, ẏ]` (null: a zero tangent). */
export type Frule = (args: any[], tangents: any[]) => [any, any];

const frules = new WeakMap<Function, Frule>();
/** "generated", "custom", "op", "non-differentiable". */
const origins = new WeakMap<Function, string>();

/** No forward rule for a function reached with tangents. */
export class NoForwardRuleError extends Error {
  constructor(
    readonly fn: string,
    readonly site: string | undefined,
    detail: string,
  ) {
    super(`no forward rule for ${fn}${site ? ` (called at ${site})` : ""}: ${detail}`);
    this.name = "NoForwardRuleError";
  }
}

/** Registers a hand-written forward rule for `f` (it wins over a generated one); returns `f`. */
export function defineFrule<F extends Function>(f: F, frule: Frule, origin = "custom"): F {
  if (typeof f !== "function") throw new TypeError(`defineFrule: expected a function, got ${typeof f}`);
  if (typeof frule !== "function")
    throw new TypeError(`defineFrule: the forward rule of ${nameOf(f)} must be a function (args, tangents) => [y, ẏ], got ${typeof frule}`);
  frules.set(f, frule);
  origins.set(f, origin);
  return f;
}

/** Registers the generated forward rule of `f` (generated code calls this); returns `f`. */
export function withFrule<F extends Function>(f: F, frule: Frule): F {
  const o = origins.get(f);
  if (o !== "custom" && o !== "non-differentiable") {
    frules.set(f, frule);
    origins.set(f, "generated");
  }
  return f;
}

/** The forward rule of `f`, or undefined. */
export function findFrule(f: unknown): Frule | undefined {
  return typeof f === "function" ? frules.get(f) : undefined;
}

/** How `f`'s forward rule was defined, or undefined. */
export function fruleOrigin(f: unknown): string | undefined {
  return typeof f === "function" ? origins.get(f) : undefined;
}

function missing(f: unknown, site?: string): NoForwardRuleError {
  const name = nameOf(f);
  const reverse = ruleOrigin(f);
  const detail =
    reverse === "custom"
      ? `it has a hand-written reverse rule (customVjp/defineRrule) and no forward rule. Give it one with defineFrule(${name}, (args, tangents) => [y, ẏ]), or define the function in an .ad.ts file (customVjp then keeps its generated forward rule).`
      : `it was reached with tangents, but it is not defined in an .ad.ts file and has no forward rule. Define it in an .ad.ts file, give it one with defineFrule, mark it nonDifferentiable(…), or pass stopGradient(…) arguments.`;
  return new NoForwardRuleError(name, site, detail);
}

/** The forward rule of `f` for a call made at `site` (`file:line:col`); throws NoForwardRuleError. */
export function fruleOf(f: unknown, site?: string): Frule {
  if (typeof f !== "function") throw new TypeError(`${site ? `${site}: ` : ""}the callee is not a function (got ${f === null ? "null" : typeof f})`);
  const r = frules.get(f);
  if (r) return r;
  throw missing(f, site);
}

// ---- tangents of structures (generated code) ----------------------------------------------

/** `t[k1][k2]…` of a tangent. */
export function tpath(t: any, keys: (string | number)[]): any {
  for (const k of keys) t = at(t, k);
  return t;
}

/** The tangents of `n` elements from `start` (`...rest` of an array, a rest parameter). */
export function tslice(t: any, start: number, n: number): any[] {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = at(t, start + i);
  return out;
}

// ---- jvp ----------------------------------------------------------------------------------

/**
 * `jvp(f, primals, tangents)` → `[y, ẏ]`: f at `primals` and its derivative along `tangents` (one
 * per argument, in the argument's structure; null for a zero tangent), by f's forward rule. ẏ has
 * the structure of y, with explicit zeros (completeCotangent: tangents and cotangents share their structures).
 */
export function jvp<A extends any[], Y>(f: (...args: A) => Y, primals: A, tangents: any[]): [Y, any] {
  if (!Array.isArray(primals) || !Array.isArray(tangents))
    throw new TypeError("jvp(f, primals, tangents): primals and tangents must be arrays (one entry per argument)");
  if (tangents.length > primals.length) throw new TypeError(`jvp: ${tangents.length} tangents for ${primals.length} arguments`);
  const frule = findFrule(f);
  if (!frule) {
    if (!loaderRegistered()) throw loaderMissing("jvp", f);
    throw missing(f);
  }
  const [y, t] = frule(primals, tangents);
  return [y as Y, completeCotangent(t, y)];
}

// ---- the forward rules of array methods and Object functions (the reverse ones: implicit.ts) --

const where = (site: string | undefined) => (site ? `${site}: ` : "");

/** `xs`, checked to be an array (`method` and `site` name the call). */
export function arrayOf(method: string, xs: unknown, site?: string): unknown[] {
  if (!Array.isArray(xs)) throw new TypeError(`${where(site)}${method}: expected an array, got ${xs === null ? "null" : typeof xs}`);
  return xs;
}

/** The forward rule of `xs.map(f)` (called at `site`): f's forward rule per element, with its index. */
export function farrayMap(site?: string): Frule {
  return function map_frule([xs, f], [txs]) {
    const list = arrayOf("map", xs, site);
    const frule = fruleOf(f, site);
    const ys: unknown[] = [];
    const tys: any[] = [];
    list.forEach((x, i) => {
      const [y, ty] = frule([x, i], [at(txs, i), null]);
      ys.push(y);
      tys.push(ty);
    });
    return [ys, tys];
  };
}

/**
 * The forward rule of `xs.reduce(f)` / `xs.reduce(f, init)` (called at `site`): f's forward rule
 * runs per element as `f(acc, x, i, xs)` on (acc, its tangent), from init (or xs[0], starting at
 * index 1); the tangent of the result is the last accumulator's.
 */
export function farrayReduce(site?: string): Frule {
  return function reduce_frule(args, tangents) {
    const [xs0, f] = args;
    const xs = arrayOf("reduce", xs0, site);
    const txs = at(tangents, 0);
    const seeded = args.length > 2;
    if (!seeded && xs.length === 0) throw new TypeError(`${where(site)}reduce of an empty array with no initial value`);
    const frule = fruleOf(f, site);
    let y = seeded ? args[2] : xs[0];
    let ty = seeded ? at(tangents, 2) : at(txs, 0);
    for (let i = seeded ? 0 : 1; i < xs.length; i++) [y, ty] = frule([y, xs[i], i, xs], [ty, at(txs, i), null, txs]);
    return [y, ty];
  };
}

/**
 * The forward rule of an object literal with spreads, `{ ...p, c: x, ...q }` called as
 * `fobjectSpread([p, { c: x }, q], [ṗ, { c: ẋ }, q̇])`: the tangent is the same spread over the
 * parts' tangents, key by key of the parts' values — a later key overrides an earlier one, and a
 * key of a part without a tangent overrides with null (a zero).
 */
export const fobjectSpread: Frule = (parts, tparts) => {
  const out: Record<string, unknown> = {};
  for (const part of parts) if (part !== null && part !== undefined) Object.assign(out, part);
  if (!tparts.some((t) => t !== null && t !== undefined)) return [out, null];
  const t: Record<string, any> = {};
  parts.forEach((part, i) => {
    if (part === null || part === undefined) return;
    const tpart = at(tparts, i);
    for (const k of Object.keys(part)) t[k] = at(tpart, k);
  });
  return [out, t];
};

/** The forward rules of `Object.values`, `Object.entries`, `Object.fromEntries`: the same function of the tangents (the keys carry none). */
export const objectFrules: Record<string, (site: string | undefined) => Frule> = {
  values:
    (site) =>
    ([o], [to]) => {
      const keys = ownKeys("Object.values", o, site);
      return [Object.values(o as object), to === null || to === undefined ? null : keys.map((k) => at(to, k))];
    },
  entries:
    (site) =>
    ([o], [to]) => {
      const keys = ownKeys("Object.entries", o, site);
      return [Object.entries(o as object), to === null || to === undefined ? null : keys.map((k) => [null, at(to, k)])];
    },
  fromEntries:
    (site) =>
    ([entries], [tentries]) => {
      if (!Array.isArray(entries))
        throw new TypeError(
          `${where(site)}Object.fromEntries of tracked values needs an array of [key, value] pairs, got ${entries === null ? "null" : typeof entries}`,
        );
      const y = Object.fromEntries(entries);
      if (tentries === null || tentries === undefined) return [y, null];
      // a key given twice keeps its last value, and that pair's tangent
      const t: Record<string, any> = {};
      entries.forEach((e, i) => (t[String(e[0])] = at(at(tentries, i), 1)));
      return [y, t];
    },
};

/** The forward rule of `Object.<name>` called at `site`. */
export function fobjectOf(name: string, site?: string): Frule {
  const r = objectFrules[name];
  if (!r) throw new NoForwardRuleError(`Object.${name}`, site, `forward rules exist for Object.${Object.keys(objectFrules).join(", Object.")}.`);
  return r(site);
}

/** The keys of `o`, checked to be an object (`fn` and `site` name the call). */
export function ownKeys(fn: string, o: unknown, site?: string): string[] {
  if (o === null || o === undefined) throw new TypeError(`${where(site)}${fn}: expected an object, got ${o === null ? "null" : "undefined"}`);
  return Object.keys(o);
}

// ---- the forward rules of a module, generated on first use (passes/forward/emit.ts) --------

export interface ModuleForwardRules {
  /** The forward rule `name` (a module-level function's): loads the module's forward rules on its first call. */
  rule(name: string): Frule;
  /** The forward rule or factory `name`, loading them now. */
  get(name: string): any;
}

/**
 * The handle of an implicit module's forward rules (its `__registerRules`, called on line 1, makes it): on
 * first use, the file at `path` — which must still hash to `hash`, the source the module was
 * loaded from — is expanded in forward mode and the rules are evaluated by `evaluate`, an `eval`
 * in the module's scope.
 */
export function forwardRules(path: string, hash: string, evaluate: (code: string) => any): ModuleForwardRules {
  let table: Record<string, any> | null = null;
  const load = (): Record<string, any> => {
    if (table) return table;
    let source: string;
    try {
      source = require("node:fs").readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(
        `the forward rules of ${path} are generated from its source on first use, which cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (Bun.hash(source).toString(16) !== hash)
      throw new Error(
        `${path} changed on disk since it was loaded: its forward rules are generated from the source on first use; restart the process`,
      );
    const { transformAd } = require("../transform.ts") as typeof import("../transform.ts");
    const { defaultCacheDir } = require("../plugin.ts") as typeof import("../plugin.ts");
    const r = transformAd(source, path, { forward: true, cacheDir: defaultCacheDir() });
    const js = new Bun.Transpiler({ loader: "ts" }).transformSync(r.code);
    table = evaluate(`(() => {\n${js}\nreturn { ${(r.forwardRules ?? []).join(", ")} };\n})()\n//# sourceURL=${path}.forward.ts`) as Record<
      string,
      any
    >;
    return table;
  };
  return {
    rule(name: string): Frule {
      const short = name.replace(/__frule$/, "");
      return { [`${short}_frule`]: (args: any[], tangents: any[]) => load()[name](args, tangents) }[`${short}_frule`];
    },
    get(name: string): any {
      return load()[name];
    },
  };
}
