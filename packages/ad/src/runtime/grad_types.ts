// The types of gradients: a gradient has the structure of what it differentiates. A Tensor's
// cotangent is a Tensor, a number's a number; arrays, tuples and objects map element by element;
// leaves that carry no gradient (integer arrays, strings, booleans, functions) come back as null —
// as completeCotangent builds them at run time. `any` stays `any`.
import type { Tensor } from "@pullback/tensor";

/** The cotangent (gradient) type of a value of type T. */
export type Cotangent<T> = 0 extends 1 & T
  ? any // an untyped value (any): an untyped gradient
  : unknown extends T
    ? any // unknown, likewise
    : T extends Tensor
      ? Tensor
      : T extends number
        ? number
        : T extends ArrayBufferView | string | boolean | bigint | symbol | Function | null | undefined
          ? null
          : T extends readonly unknown[]
            ? { -readonly [K in keyof T]: Cotangent<T[K]> }
            : T extends object
              ? { -readonly [K in keyof T]: Cotangent<T[K]> }
              : null;

/** The cotangents of arguments `A` selected by `argnums` N: one (a number N) or a tuple (N an array). */
export type GradsOf<A extends readonly unknown[], N> = N extends readonly number[]
  ? { -readonly [I in keyof N]: Cotangent<A[N[I] & number]> }
  : N extends number
    ? Cotangent<A[N]>
    : never;

/** The aux part of an output `[value, aux]` (hasAux). */
export type AuxOf<Y> = Y extends readonly [unknown, infer Aux] ? Aux : never;

/** Options of valueAndGrad and grad, typed by the argnums they select. */
export interface TypedGradOptions<N extends number | readonly number[], H extends boolean> {
  /** f's output is `[value, aux]`: differentiate `value` only; aux is returned alongside (its cotangent is zero). */
  hasAux?: H;
  /** Implicit mode: which arguments to differentiate (default 0); an array gives a tuple of gradients. */
  argnums?: N;
}

/** An explicit-mode (rrule) function `f(x, ...rest) → [y, pullback]`: differentiated in x. */
type RRuleLike = (x: any, ...rest: any[]) => [unknown, (dy: never) => unknown];

/**
 * The type of `valueAndGrad(f, { argnums: N })`: for an rrule `f(x, …) → [y, pullback]`,
 * `(x, …) → [y, dx]`; for any other function (a rule of implicit mode), `(…args) → [f's output,
 * the gradients of the arguments N]`.
 */
export type ValueAndGradOf<F extends (...args: any[]) => any, N> = F extends RRuleLike
  ? (x: Parameters<F>[0], ...rest: any[]) => [ReturnType<F>[0], Cotangent<Parameters<F>[0]>]
  : (...args: Parameters<F>) => [ReturnType<F>, GradsOf<Parameters<F>, N>];

/** The type of `grad(f, { argnums: N, hasAux: H })`: the gradients, with aux beside them when H. */
export type GradOf<F extends (...args: any[]) => any, N, H> = F extends RRuleLike
  ? (x: Parameters<F>[0], ...rest: any[]) => H extends true ? [Cotangent<Parameters<F>[0]>, AuxOf<ReturnType<F>[0]>] : Cotangent<Parameters<F>[0]>
  : (...args: Parameters<F>) => H extends true ? [GradsOf<Parameters<F>, N>, AuxOf<ReturnType<F>>] : GradsOf<Parameters<F>, N>;
