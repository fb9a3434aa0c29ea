// Type test (checked by tsc in `bun test`: typecheck.test.ts): gradients are typed like what they
// differentiate. Each `assertType<Equal<…>>()` fails to compile unless the types are identical;
// each `@ts-expect-error` fails to compile unless the line below it is a type error.
import { grad, pullback, valueAndGrad } from "@pullback/ad";
import type { Tensor } from "@pullback/tensor";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Mutually assignable and not any (a mapped tuple type is not `Equal` to its literal spelling). */
type Same<A, B> = 0 extends 1 & A ? false : [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const assertType = <T extends true>(): T | void => undefined;

interface Params {
  w: Tensor;
  layers: { scale: number; b: Tensor }[];
  name: string;
  embed?: Tensor;
}
declare function loss(p: Params, x: Tensor, targets: Int32Array): number;
declare function withAux(p: Params, x: Tensor): [number, Tensor];
declare const p: Params, x: Tensor, t: Int32Array;

// valueAndGrad(f): the gradient of the first argument, in its structure
const [value, g] = valueAndGrad(loss)(p, x, t);
assertType<Equal<typeof value, number>>();
assertType<Equal<typeof g, { w: Tensor; layers: { scale: number; b: Tensor }[]; name: null; embed?: Tensor | null }>>();

// argnums: a tuple of gradients
const [, [gp, gx]] = valueAndGrad(loss, { argnums: [0, 1] })(p, x, t);
assertType<Equal<typeof gp, typeof g>>();
assertType<Equal<typeof gx, Tensor>>();
const gt = grad(loss, { argnums: 2 })(p, x, t); // integer arrays carry no gradient
assertType<Equal<typeof gt, null>>();

// hasAux: [value, aux] comes back whole; grad gives [gradient, aux]
const [[v2, aux], g2] = valueAndGrad(withAux, { hasAux: true })(p, x);
assertType<Equal<typeof v2, number>>();
assertType<Equal<typeof aux, Tensor>>();
assertType<Equal<typeof g2, typeof g>>();
const [g3, aux3] = grad(withAux, { hasAux: true })(p, x);
assertType<Equal<typeof g3, typeof g>>();
assertType<Equal<typeof aux3, Tensor>>();

// pullback: the cotangent function takes the output's type and returns one cotangent per argument
const [y, back] = pullback(loss, p, x, t);
assertType<Equal<typeof y, number>>();
const [dp, dx, dt] = back(1);
assertType<Equal<typeof dp, typeof g>>();
assertType<Equal<typeof dx, Tensor>>();
assertType<Equal<typeof dt, null>>();

// an explicit-mode (rrule) function: the gradient of its first argument
declare function rrule(x: [Tensor, number], n: number): [number, (dy: number) => [Tensor, number]];
const [value4, g4] = valueAndGrad(rrule)([x, 2], 3);
assertType<Equal<typeof value4, number>>();
assertType<Same<typeof g4, [Tensor, number]>>();

// using a gradient as the wrong type is a compile error
// @ts-expect-error — the gradient of a Tensor is a Tensor, not a number
const wrong: number = gx;
// @ts-expect-error — a number's gradient is a number
g.layers[0].scale.shape;
// @ts-expect-error — the arguments are checked too
valueAndGrad(loss)(p, x, [1, 2, 3]);
// @ts-expect-error — the cotangent of a number output is a number
back(x);
void wrong;
