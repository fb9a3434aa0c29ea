import * as __ad from "@pullback/ad/implicit"; const __ops = __ad.ops; __ad.withModuleRule(nestedFunction, nestedFunction__rrule); __ad.withModuleRule(capturesParam, capturesParam__rrule); __ad.withModuleRule(capturesInLoop, capturesInLoop__rrule); __ad.withModuleRule(closureInLoop, closureInLoop__rrule); __ad.withModuleRule(passesClosure, passesClosure__rrule); __ad.withModuleRule(passesImported, passesImported__rrule); __ad.withModuleRule(crossModule, crossModule__rrule); __ad.withModuleRule(recurse, recurse__rrule); __ad.withModuleRule(even, even__rrule); __ad.withModuleRule(odd, odd__rrule); __ad.withModuleRule(makeShift, makeShift__rrule); __ad.withModuleRule(usesMadeClosure, usesMadeClosure__rrule); __ad.withModuleRule(nestedClosures, nestedClosures__rrule); __ad.withModuleRule(recursiveClosure, recursiveClosure__rrule); __ad.withModuleRule(sumTree, sumTree__rrule); __ad.withModuleRule(iife, iife__rrule); __ad.withModuleRule(localHigherOrder, localHigherOrder__rrule); __ad.withModuleRule(moduleHigherOrder, moduleHigherOrder__rrule); __ad.withModuleRule(accumulateWithClosure, accumulateWithClosure__rrule); __ad.withModuleRule(hoistedUse, hoistedUse__rrule); __ad.withModuleRule(later, later__rrule); __ad.withModuleRule(declInLoop, declInLoop__rrule); __ad.withModuleRule(fnExprArg, fnExprArg__rrule); __ad.withModuleRule(fromObject, fromObject__rrule); __ad.withModuleRule(fromArray, fromArray__rrule); __ad.withModuleRule(usesModel, usesModel__rrule); __ad.withModuleRule(nestedReturnStructures, nestedReturnStructures__rrule); __ad.withModuleRule(sumOfNested, sumOfNested__rrule); // Corpus: closures — nested functions, closures capturing tracked values (called in loops too),
// functions passed as arguments, calls across .ad.ts modules, recursion.
import { add, exp, matmul, mul, sub, tanh, type Tensor } from "@pullback/tensor";
import { halve, iterate, residualLayer } from "./closures_lib.ad.ts";

/** A nested function that uses only its own arguments. */
export function nestedFunction(x: Tensor, y: Tensor): Tensor { __ad.withRule(combine, (...__args: any[]) => combine__rrule_in(combine)(...__args));
  function combine(a: Tensor, b: Tensor): Tensor {
    return mul(a, tanh(b));
  }
  return add(combine(x, y), combine(y, x));
}

/** A closure capturing a tracked parameter (w), called twice. */
export function capturesParam(x: Tensor, w: Tensor): Tensor {
  const layer = __ad.withRule((h: Tensor) => tanh(matmul(h, w)), (...__args: any[]) => layer__rrule_in(w)(...__args), "layer");
  return layer(layer(x));
}

/** A closure capturing a tracked local, called inside a loop. */
export function capturesInLoop(x: Tensor, w: Tensor, n: number): Tensor {
  const scale = exp(w);
  const step = __ad.withRule((h: Tensor): Tensor => add(h, mul(h, scale)), (...__args: any[]) => step__rrule_in(scale)(...__args), "step");
  let h = x;
  for (let i = 0; i < n; i++) h = step(h);
  return h;
}

/** A closure defined inside the loop body, capturing the loop variable's tensor. */
export function closureInLoop(xs: Tensor[], y: Tensor): Tensor {
  let acc = y;
  for (const x of xs) {
    const addX = __ad.withRule((h: Tensor) => add(h, mul(x, h)), (...__args: any[]) => addX__rrule_in(x)(...__args), "addX");
    acc = addX(acc);
  }
  return acc;
}

/** Passing a local closure (capturing w) to a function of another module. */
export function passesClosure(x: Tensor, w: Tensor): Tensor {
  return iterate(__ad.withRule((h) => residualLayer(h, w), (...__args: any[]) => anonymous_41__rrule_in(w)(...__args), "the function at packages/ad/test/implicit/programs/closures.ad.ts:41:18"), x, 3);
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
  return __ad.withRule((h) => sub(h, s), (...__args: any[]) => anonymous_70__rrule_in(s)(...__args), "the function at packages/ad/test/implicit/programs/closures.ad.ts:70:10");
}
/** Uses the returned closure: the shift's gradient reaches s. */
export function usesMadeClosure(x: Tensor, s: Tensor): Tensor {
  const shift = makeShift(s);
  return shift(tanh(shift(x)));
}

/** Closures nested two deep, the outer one called in a loop. */
export function nestedClosures(x: Tensor, w: Tensor): Tensor {
  const outer = __ad.withRule((h: Tensor) => {
    const inner = __ad.withRule((g: Tensor) => mul(g, w), (...__args: any[]) => inner__rrule_in(w)(...__args), "inner");
    return add(inner(h), inner(tanh(h)));
  }, (...__args: any[]) => outer__rrule_in(w)(...__args), "outer");
  let h = x;
  for (let i = 0; i < 2; i++) h = outer(h);
  return h;
}

/** A recursive closure capturing a tracked weight. */
export function recursiveClosure(x: Tensor, w: Tensor, n: number): Tensor {
  const go = __ad.withRule((h: Tensor, k: number): Tensor => (k === 0 ? h : go(tanh(mul(h, w)), k - 1)), (...__args: any[]) => go__rrule_in(w, go)(...__args), "go");
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
  const y = (__ad.withRule((h: Tensor) => tanh(h), (...__args: any[]) => anonymous_110__rrule_in()(...__args), "the function at packages/ad/test/implicit/programs/closures.ad.ts:110:14"))(x);
  return mul(y, x);
}

/** A local higher-order function given a closure over a tracked weight. */
export function localHigherOrder(x: Tensor, w: Tensor): Tensor { __ad.withRule(apply, (...__args: any[]) => apply__rrule_in(apply)(...__args));
  function apply(f: (h: Tensor) => Tensor, h: Tensor): Tensor {
    return f(f(h));
  }
  return apply(__ad.withRule((h) => matmul(h, w), (...__args: any[]) => anonymous_119__rrule_in(w)(...__args), "the function at packages/ad/test/implicit/programs/closures.ad.ts:119:16"), x);
}

/** A module-level function expression taking a function. */
const twice = __ad.withModuleRule(function (f: (h: Tensor) => Tensor, h: Tensor): Tensor {
  return f(f(h));
}, twice__rrule, "twice");
export function moduleHigherOrder(x: Tensor, w: Tensor): Tensor {
  return twice(__ad.withRule((h) => tanh(matmul(h, w)), (...__args: any[]) => anonymous_127__rrule_in(w)(...__args), "the function at packages/ad/test/implicit/programs/closures.ad.ts:127:16"), x);
}

/** A closure that returns the updated accumulator (instead of assigning the captured variable). */
export function accumulateWithClosure(x: Tensor, a: Tensor, b: Tensor): Tensor {
  let acc = x;
  const addTo = __ad.withRule((y: Tensor) => add(acc, mul(y, x)), (...__args: any[]) => addTo__rrule_in(x, acc)(...__args), "addTo");
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
  for (const x of xs) { __ad.withRule(step, (...__args: any[]) => step__rrule_in2(w, x, step)(...__args));
    function step(g: Tensor): Tensor {
      return add(g, mul(x, w));
    }
    h = step(h);
  }
  return h;
}

/** A function expression (not an arrow) passed as an argument. */
export function fnExprArg(x: Tensor, w: Tensor): Tensor {
  return iterate(__ad.withRule(function (h: Tensor) {
    return tanh(mul(h, w));
  }, (...__args: any[]) => anonymous_162__rrule_in(w)(...__args), "the function at packages/ad/test/implicit/programs/closures.ad.ts:162:18"), x, 2);
}

/** Functions stored in an object, called through it. */
const table = { a: __ad.withModuleRule((h: Tensor) => tanh(h), a__rrule, "a"), b: __ad.withModuleRule((h: Tensor) => exp(h), b__rrule, "b") };
export function fromObject(x: Tensor, k: "a" | "b"): Tensor {
  return mul(table[k](x), table.a(x));
}

/** Functions stored in an array, called by index in a loop. */
const list = [__ad.withModuleRule((h: Tensor) => tanh(h), anonymous_174__rrule, "the function at packages/ad/test/implicit/programs/closures.ad.ts:174:15"), __ad.withModuleRule((h: Tensor) => mul(h, h), anonymous_174__rrule2, "the function at packages/ad/test/implicit/programs/closures.ad.ts:174:39")];
export function fromArray(x: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < list.length; i++) h = list[i](h);
  return h;
}

/** A "module" object with a function property. */
export const model = {
  forward: __ad.withModuleRule((x: Tensor, w: Tensor) => tanh(matmul(x, w)), forward__rrule, "forward"),
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
// ---- generated by the pullback loader: the rule (forward + pullback) of every function above ----

function nestedFunction__rrule(x: Tensor, y: Tensor) {
  let d_x = null, d_y = null;
  __ad.withRule(combine, function combine__rrule(a: Tensor, b: Tensor) {
    let d_a = null, d_b = null;
    const [__v1, __pb2] = __ops.tanh(b);
    const [__v3, __pb4] = __ops.mul(a, __v1);
    return [__v3, combine_pullback];
    function combine_pullback(__dy: any): any[] {
      d_a = d_b = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: return mul(a, tanh(b)); (line 9)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_a = __ad.acc(d_a, __g4[0]); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_b = __ad.acc(d_b, __g2[0]); }
      }
      return [d_a, d_b];
    }
  });
  function combine(a: Tensor, b: Tensor): Tensor {
    return mul(a, tanh(b));
  }
  const [__v1, __pb2] = __ad.ruleOf(combine, "packages/ad/test/implicit/programs/closures.ad.ts:11:14")(x, y);
  const [__v3, __pb4] = __ad.ruleOf(combine, "packages/ad/test/implicit/programs/closures.ad.ts:11:29")(y, x);
  const [__v5, __pb6] = __ops.add(__v1, __v3);
  return [__v5, nestedFunction_pullback];
  function nestedFunction_pullback(__dy: any): any[] {
    d_x = d_y = null;
    let __d1: any = null, __d3: any = null, __d5: any = null;
    { // pullback of: return add(combine(x, y), combine(y, x)); (line 11)
      __d5 = __dy;
      if (__d5 !== null) { const __g6 = __pb6(__d5); __d1 = __g6[0]; __d3 = __g6[1]; }
      if (__d3 !== null) { const __g4 = __pb4(__d3); d_y = __ad.acc(d_y, __g4[0]); d_x = __ad.acc(d_x, __g4[1]); }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x = __ad.acc(d_x, __g2[0]); d_y = __ad.acc(d_y, __g2[1]); }
    }
    return [d_x, d_y];
  }
}

// the rule of `combine` (line 8), given the variables it captures
function combine__rrule_in(combine: any) {
  return function combine__rrule(a: Tensor, b: Tensor) {
    let d_a = null, d_b = null;
    const [__v1, __pb2] = __ops.tanh(b);
    const [__v3, __pb4] = __ops.mul(a, __v1);
    return [__v3, combine_pullback];
    function combine_pullback(__dy: any): any[] {
      d_a = d_b = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: return mul(a, tanh(b)); (line 9)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_a = __ad.acc(d_a, __g4[0]); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_b = __ad.acc(d_b, __g2[0]); }
      }
      return [d_a, d_b];
    }
  }
}

function capturesParam__rrule(x: Tensor, w: Tensor) {
  let d_x_1 = null, d_w = null;
  let __reversing = false;
  const layer = __ad.withRule((h: Tensor) => tanh(matmul(h, w)), function layer__rrule(h: Tensor) {
    let d_h = null;
    const [__v1, __pb2] = __ops.matmul(h, w);
    const [__v3, __pb4] = __ops.tanh(__v1);
    return [__v3, layer_pullback];
    function layer_pullback(__dy: any): any[] {
      if (!(__reversing)) __ad.escapedClosure("layer (packages/ad/test/implicit/programs/closures.ad.ts:16:17)", "capturesParam");
      d_h = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: tanh(matmul(h, w)) (line 16)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h = __ad.acc(d_h, __g2[0]); d_w = __ad.acc(d_w, __g2[1]); }
      }
      return [d_h];
    }
  });
  const [__v1, __pb2] = __ad.ruleOf(layer, "packages/ad/test/implicit/programs/closures.ad.ts:17:16")(x);
  const [__v3, __pb4] = __ad.ruleOf(layer, "packages/ad/test/implicit/programs/closures.ad.ts:17:10")(__v1);
  return [__v3, capturesParam_pullback];
  function capturesParam_pullback(__dy: any): any[] {
    __reversing = true;
    d_x_1 = d_w = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: return layer(layer(x)); (line 17)
      __d3 = __dy;
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_1 = __ad.acc(d_x_1, __g2[0]); }
    }
    __reversing = false;
    return [d_x_1, d_w];
  }
}

// the rule of `layer` (line 16), given the variables it captures
function layer__rrule_in(w: any) {
  return function layer__rrule(h: Tensor) {
    let d_h = null;
    const [__v1, __pb2] = __ops.matmul(h, w);
    const [__v3, __pb4] = __ops.tanh(__v1);
    return [__v3, layer_pullback];
    function layer_pullback(__dy: any): any[] {
      d_h = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: tanh(matmul(h, w)) (line 16)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h = __ad.acc(d_h, __g2[0]); }
      }
      return [d_h];
    }
  }
}

function capturesInLoop__rrule(x: Tensor, w: Tensor, n: number) {
  let d_x_2 = null, d_w_1 = null, d_scale = null, d_h_1 = null;
  const __tape: unknown[] = [];
  let __reversing1 = false;
  const [scale, __pb1] = __ops.exp(w);
  __tape.push(__pb1, 1);
  const step = __ad.withRule((h: Tensor): Tensor => add(h, mul(h, scale)), function step__rrule(h: Tensor) {
    let d_h_2 = null;
    const [__v1, __pb2] = __ops.mul(h, scale);
    const [__v3, __pb4] = __ops.add(h, __v1);
    return [__v3, step_pullback];
    function step_pullback(__dy: any): any[] {
      if (!(__reversing1)) __ad.escapedClosure("step (packages/ad/test/implicit/programs/closures.ad.ts:23:16)", "capturesInLoop");
      d_h_2 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: add(h, mul(h, scale)) (line 23)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_h_2 = __ad.acc(d_h_2, __g4[0]); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_2 = __ad.acc(d_h_2, __g2[0]); d_scale = __ad.acc(d_scale, __g2[1]); }
      }
      return [d_h_2];
    }
  });
  let h = x;
  __tape.push(2);
  for (let i = 0; i < n; i++) {
    const [__v2, __pb3] = __ad.ruleOf(step, "packages/ad/test/implicit/programs/closures.ad.ts:25:35")(h);
    h = __v2;
    __tape.push(__pb3, 3);
  }
  __tape.push(4);
  return [h, capturesInLoop_pullback];
  function capturesInLoop_pullback(__dy: any): any[] {
    __reversing1 = true;
    d_x_2 = d_w_1 = d_scale = d_h_1 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: const scale = exp(w); (line 22)
          const __pb1 = __tape[--__t] as any;
          const __o_d_scale = d_scale;
          d_scale = null;
          if (__o_d_scale !== null) { const __g1 = __pb1(__o_d_scale); d_w_1 = __ad.acc(d_w_1, __g1[0]); }
          break;
        }
        case 2: { // pullback of: let h = x; (line 24)
          const __o_d_h_1 = d_h_1;
          d_h_1 = null;
          d_x_2 = __ad.acc(d_x_2, __o_d_h_1);
          break;
        }
        case 3: { // pullback of: h = step(h); (line 25)
          const __pb3 = __tape[--__t] as any;
          let __d2: any = null;
          const __o_d_h_1 = d_h_1;
          d_h_1 = null;
          __d2 = __o_d_h_1;
          if (__d2 !== null) { const __g3 = __pb3(__d2); d_h_1 = __ad.acc(d_h_1, __g3[0]); }
          break;
        }
        case 4: { // pullback of: return h; (line 26)
          d_h_1 = __ad.acc(d_h_1, __dy);
          break;
        }
      }
    }
    __reversing1 = false;
    return [d_x_2, d_w_1, null];
  }
}

// the rule of `step` (line 23), given the variables it captures
function step__rrule_in(scale: any) {
  return function step__rrule(h: Tensor) {
    let d_h_2 = null;
    const [__v1, __pb2] = __ops.mul(h, scale);
    const [__v3, __pb4] = __ops.add(h, __v1);
    return [__v3, step_pullback];
    function step_pullback(__dy: any): any[] {
      d_h_2 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: add(h, mul(h, scale)) (line 23)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_h_2 = __ad.acc(d_h_2, __g4[0]); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_2 = __ad.acc(d_h_2, __g2[0]); }
      }
      return [d_h_2];
    }
  }
}

function closureInLoop__rrule(xs: Tensor[], y: Tensor) {
  let d_xs = null, d_y_1 = null, d_acc = null, d_x_3 = null, __dxs1 = null;
  const __tape: unknown[] = [];
  let __reversing2 = false;
  let acc = y;
  __tape.push(1);
  const __xs1 = xs;
  __tape.push(2);
  for (let __i2 = 0; __i2 < __xs1.length; __i2++) {
    const __v3 = __xs1[__i2];
    const x = __v3;
    __tape.push(__i2, 3);
    const addX = __ad.withRule((h: Tensor) => add(h, mul(x, h)), function addX__rrule(h: Tensor) {
      let d_h_3 = null;
      const [__v1, __pb2] = __ops.mul(x, h);
      const [__v3, __pb4] = __ops.add(h, __v1);
      return [__v3, addX_pullback];
      function addX_pullback(__dy: any): any[] {
        if (!(__reversing2)) __ad.escapedClosure("addX (packages/ad/test/implicit/programs/closures.ad.ts:33:18)", "closureInLoop");
        d_h_3 = null;
        let __d1: any = null, __d3: any = null;
        { // pullback of: add(h, mul(x, h)) (line 33)
          __d3 = __dy;
          if (__d3 !== null) { const __g4 = __pb4(__d3); d_h_3 = __ad.acc(d_h_3, __g4[0]); __d1 = __g4[1]; }
          if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_3 = __ad.acc(d_x_3, __g2[0]); d_h_3 = __ad.acc(d_h_3, __g2[1]); }
        }
        return [d_h_3];
      }
    });
    const [__v4, __pb5] = __ad.ruleOf(addX, "packages/ad/test/implicit/programs/closures.ad.ts:34:11")(acc);
    acc = __v4;
    __tape.push(__pb5, 4);
  }
  __tape.push(5);
  return [acc, closureInLoop_pullback];
  function closureInLoop_pullback(__dy: any): any[] {
    __reversing2 = true;
    d_xs = d_y_1 = d_acc = d_x_3 = __dxs1 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: let acc = y; (line 31)
          const __o_d_acc = d_acc;
          d_acc = null;
          d_y_1 = __ad.acc(d_y_1, __o_d_acc);
          break;
        }
        case 2: { // pullback of: for (const x of xs) { const addX = (h: Tensor) => add(h, mul(x, h)); acc = addX… (line 32)
          const __o___dxs1 = __dxs1;
          __dxs1 = null;
          d_xs = __ad.acc(d_xs, __o___dxs1);
          break;
        }
        case 3: { // pullback of: for (const x of xs) { const addX = (h: Tensor) => add(h, mul(x, h)); acc = addX… (line 32)
          const __i2 = __tape[--__t] as any;
          let __d3: any = null;
          const __o_d_x_3 = d_x_3;
          d_x_3 = null;
          __d3 = __o_d_x_3;
          __dxs1 = __ad.accAt(__dxs1, __i2, __d3);
          break;
        }
        case 4: { // pullback of: acc = addX(acc); (line 34)
          const __pb5 = __tape[--__t] as any;
          let __d4: any = null;
          const __o_d_acc = d_acc;
          d_acc = null;
          __d4 = __o_d_acc;
          if (__d4 !== null) { const __g5 = __pb5(__d4); d_acc = __ad.acc(d_acc, __g5[0]); }
          break;
        }
        case 5: { // pullback of: return acc; (line 36)
          d_acc = __ad.acc(d_acc, __dy);
          break;
        }
      }
    }
    __reversing2 = false;
    return [d_xs, d_y_1];
  }
}

// the rule of `addX` (line 33), given the variables it captures
function addX__rrule_in(x: any) {
  return function addX__rrule(h: Tensor) {
    let d_h_3 = null;
    const [__v1, __pb2] = __ops.mul(x, h);
    const [__v3, __pb4] = __ops.add(h, __v1);
    return [__v3, addX_pullback];
    function addX_pullback(__dy: any): any[] {
      d_h_3 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: add(h, mul(x, h)) (line 33)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_h_3 = __ad.acc(d_h_3, __g4[0]); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_3 = __ad.acc(d_h_3, __g2[1]); }
      }
      return [d_h_3];
    }
  }
}

function passesClosure__rrule(x: Tensor, w: Tensor) {
  let d_x_4 = null, d_w_2 = null;
  let __reversing3 = false;
  const [__v1, __pb2] = __ad.ruleOf(iterate, "packages/ad/test/implicit/programs/closures.ad.ts:41:10")(__ad.withRule((h) => residualLayer(h, w), function anonymous_41__rrule(h) {
    let d_h_4 = null;
    const [__v1, __pb2] = __ad.ruleOf(residualLayer, "packages/ad/test/implicit/programs/closures.ad.ts:41:25")(h, w);
    return [__v1, anonymous_41_pullback];
    function anonymous_41_pullback(__dy: any): any[] {
      if (!(__reversing3)) __ad.escapedClosure("the function at packages/ad/test/implicit/programs/closures.ad.ts:41:18", "passesClosure");
      d_h_4 = null;
      let __d1: any = null;
      { // pullback of: residualLayer(h, w) (line 41)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_4 = __ad.acc(d_h_4, __g2[0]); d_w_2 = __ad.acc(d_w_2, __g2[1]); }
      }
      return [d_h_4];
    }
  }), x, 3);
  return [__v1, passesClosure_pullback];
  function passesClosure_pullback(__dy: any): any[] {
    __reversing3 = true;
    d_x_4 = d_w_2 = null;
    let __d1: any = null;
    { // pullback of: return iterate((h) => residualLayer(h, w), x, 3); (line 41)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_4 = __ad.acc(d_x_4, __g2[1]); }
    }
    __reversing3 = false;
    return [d_x_4, d_w_2];
  }
}

// the rule of `anonymous_41` (line 41), given the variables it captures
function anonymous_41__rrule_in(w: any) {
  return function anonymous_41__rrule(h) {
    let d_h_4 = null;
    const [__v1, __pb2] = __ad.ruleOf(residualLayer, "packages/ad/test/implicit/programs/closures.ad.ts:41:25")(h, w);
    return [__v1, anonymous_41_pullback];
    function anonymous_41_pullback(__dy: any): any[] {
      d_h_4 = null;
      let __d1: any = null;
      { // pullback of: residualLayer(h, w) (line 41)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_4 = __ad.acc(d_h_4, __g2[0]); }
      }
      return [d_h_4];
    }
  }
}

function passesImported__rrule(x: Tensor) {
  let d_x_5 = null;
  const [__v1, __pb2] = __ops.tanh(x);
  const [__v3, __pb4] = __ad.ruleOf(iterate, "packages/ad/test/implicit/programs/closures.ad.ts:46:10")(halve, __v1, 2);
  return [__v3, passesImported_pullback];
  function passesImported_pullback(__dy: any): any[] {
    d_x_5 = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: return iterate(halve, tanh(x), 2); (line 46)
      __d3 = __dy;
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[1]; }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_5 = __ad.acc(d_x_5, __g2[0]); }
    }
    return [d_x_5];
  }
}

function crossModule__rrule(x: Tensor, w1: Tensor, w2: Tensor) {
  let d_x_6 = null, d_w1 = null, d_w2 = null;
  const [__v1, __pb2] = __ad.ruleOf(residualLayer, "packages/ad/test/implicit/programs/closures.ad.ts:51:30")(x, w1);
  const [__v3, __pb4] = __ad.ruleOf(residualLayer, "packages/ad/test/implicit/programs/closures.ad.ts:51:16")(__v1, w2);
  const [__v5, __pb6] = __ad.ruleOf(halve, "packages/ad/test/implicit/programs/closures.ad.ts:51:10")(__v3);
  return [__v5, crossModule_pullback];
  function crossModule_pullback(__dy: any): any[] {
    d_x_6 = d_w1 = d_w2 = null;
    let __d1: any = null, __d3: any = null, __d5: any = null;
    { // pullback of: return halve(residualLayer(residualLayer(x, w1), w2)); (line 51)
      __d5 = __dy;
      if (__d5 !== null) { const __g6 = __pb6(__d5); __d3 = __g6[0]; }
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; d_w2 = __ad.acc(d_w2, __g4[1]); }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_6 = __ad.acc(d_x_6, __g2[0]); d_w1 = __ad.acc(d_w1, __g2[1]); }
    }
    return [d_x_6, d_w1, d_w2];
  }
}

function recurse__rrule(x: Tensor, w: Tensor, depth: number) {
  let d_x_7 = null, d_w_3 = null, d_depth = null;
  const __tape: unknown[] = [];
  if (depth === 0) {
    __tape.push(1);
    return [x, recurse_pullback];
  }
  const [__v1, __pb2] = __ops.matmul(x, w);
  const [__v3, __pb4] = __ops.tanh(__v1);
  const [__v5, __pb6] = __ad.num.sub(depth, 1);
  const [__v7, __pb8] = __ad.ruleOf(recurse, "packages/ad/test/implicit/programs/closures.ad.ts:57:10")(__v3, w, __v5);
  __tape.push(__pb2, __pb4, __pb6, __pb8, 2);
  return [__v7, recurse_pullback];
  function recurse_pullback(__dy: any): any[] {
    d_x_7 = d_w_3 = d_depth = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return x; (line 56)
          d_x_7 = __ad.acc(d_x_7, __dy);
          break;
        }
        case 2: { // pullback of: return recurse(tanh(matmul(x, w)), w, depth - 1); (line 57)
          const __pb8 = __tape[--__t] as any;
          const __pb6 = __tape[--__t] as any;
          const __pb4 = __tape[--__t] as any;
          const __pb2 = __tape[--__t] as any;
          let __d1: any = null, __d3: any = null, __d5: any = null, __d7: any = null;
          __d7 = __dy;
          if (__d7 !== null) { const __g8 = __pb8(__d7); __d3 = __g8[0]; d_w_3 = __ad.acc(d_w_3, __g8[1]); __d5 = __g8[2]; }
          if (__d5 !== null) { const __g6 = __pb6(__d5); d_depth = __ad.acc(d_depth, __g6[0]); }
          if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
          if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_7 = __ad.acc(d_x_7, __g2[0]); d_w_3 = __ad.acc(d_w_3, __g2[1]); }
          break;
        }
      }
    }
    return [d_x_7, d_w_3, d_depth];
  }
}

function even__rrule(x: Tensor, n: number) {
  let d_x_8 = null, d_n_1 = null, __dc1 = null;
  const __tape: unknown[] = [];
  let __c1;
  if (n === 0) {
    __c1 = x;
    __tape.push(1);
  } else {
    const [__v2, __pb3] = __ops.tanh(x);
    const [__v4, __pb5] = __ad.num.sub(n, 1);
    const [__v6, __pb7] = __ad.ruleOf(odd, "packages/ad/test/implicit/programs/closures.ad.ts:62:24")(__v2, __v4);
    __c1 = __v6;
    __tape.push(__pb3, __pb5, __pb7, 2);
  }
  __tape.push(3);
  return [__c1, even_pullback];
  function even_pullback(__dy: any): any[] {
    d_x_8 = d_n_1 = __dc1 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
          const __o___dc1 = __dc1;
          __dc1 = null;
          d_x_8 = __ad.acc(d_x_8, __o___dc1);
          break;
        }
        case 2: { // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
          const __pb7 = __tape[--__t] as any;
          const __pb5 = __tape[--__t] as any;
          const __pb3 = __tape[--__t] as any;
          let __d2: any = null, __d4: any = null, __d6: any = null;
          const __o___dc1 = __dc1;
          __dc1 = null;
          __d6 = __o___dc1;
          if (__d6 !== null) { const __g7 = __pb7(__d6); __d2 = __g7[0]; __d4 = __g7[1]; }
          if (__d4 !== null) { const __g5 = __pb5(__d4); d_n_1 = __ad.acc(d_n_1, __g5[0]); }
          if (__d2 !== null) { const __g3 = __pb3(__d2); d_x_8 = __ad.acc(d_x_8, __g3[0]); }
          break;
        }
        case 3: { // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
          __dc1 = __ad.acc(__dc1, __dy);
          break;
        }
      }
    }
    return [d_x_8, d_n_1];
  }
}

function odd__rrule(x: Tensor, n: number) {
  let d_x_9 = null, d_n_2 = null, __dc1 = null;
  const __tape: unknown[] = [];
  let __c1;
  if (n === 0) {
    __c1 = x;
    __tape.push(1);
  } else {
    const [__v2, __pb3] = __ops.mul(x, x);
    const [__v4, __pb5] = __ad.num.sub(n, 1);
    const [__v6, __pb7] = __ad.ruleOf(even, "packages/ad/test/implicit/programs/closures.ad.ts:65:24")(__v2, __v4);
    __c1 = __v6;
    __tape.push(__pb3, __pb5, __pb7, 2);
  }
  __tape.push(3);
  return [__c1, odd_pullback];
  function odd_pullback(__dy: any): any[] {
    d_x_9 = d_n_2 = __dc1 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
          const __o___dc1 = __dc1;
          __dc1 = null;
          d_x_9 = __ad.acc(d_x_9, __o___dc1);
          break;
        }
        case 2: { // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
          const __pb7 = __tape[--__t] as any;
          const __pb5 = __tape[--__t] as any;
          const __pb3 = __tape[--__t] as any;
          let __d2: any = null, __d4: any = null, __d6: any = null;
          const __o___dc1 = __dc1;
          __dc1 = null;
          __d6 = __o___dc1;
          if (__d6 !== null) { const __g7 = __pb7(__d6); __d2 = __g7[0]; __d4 = __g7[1]; }
          if (__d4 !== null) { const __g5 = __pb5(__d4); d_n_2 = __ad.acc(d_n_2, __g5[0]); }
          if (__d2 !== null) { const __g3 = __pb3(__d2); d_x_9 = __ad.acc(d_x_9, __g3[0]); d_x_9 = __ad.acc(d_x_9, __g3[1]); }
          break;
        }
        case 3: { // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
          __dc1 = __ad.acc(__dc1, __dy);
          break;
        }
      }
    }
    return [d_x_9, d_n_2];
  }
}

function makeShift__rrule(s: Tensor) {
  let d_s = null;
  let __reversing4 = false;
  return [__ad.withRule((h) => sub(h, s), function anonymous_70__rrule(h) {
    let d_h_5 = null;
    const [__v1, __pb2] = __ops.sub(h, s);
    return [__v1, anonymous_70_pullback];
    function anonymous_70_pullback(__dy: any): any[] {
      if (!(__reversing4)) __ad.escapedClosure("the function at packages/ad/test/implicit/programs/closures.ad.ts:70:10", "makeShift");
      d_h_5 = null;
      let __d1: any = null;
      { // pullback of: sub(h, s) (line 70)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_5 = __ad.acc(d_h_5, __g2[0]); d_s = __ad.acc(d_s, __g2[1]); }
      }
      return [d_h_5];
    }
  }), makeShift_pullback];
  function makeShift_pullback(__dy: any): any[] {
    __reversing4 = true;
    d_s = null;
    __reversing4 = false;
    return [d_s];
  }
}

// the rule of `anonymous_70` (line 70), given the variables it captures
function anonymous_70__rrule_in(s: any) {
  return function anonymous_70__rrule(h) {
    let d_h_5 = null;
    const [__v1, __pb2] = __ops.sub(h, s);
    return [__v1, anonymous_70_pullback];
    function anonymous_70_pullback(__dy: any): any[] {
      d_h_5 = null;
      let __d1: any = null;
      { // pullback of: sub(h, s) (line 70)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_5 = __ad.acc(d_h_5, __g2[0]); }
      }
      return [d_h_5];
    }
  }
}

function usesMadeClosure__rrule(x: Tensor, s: Tensor) {
  let d_x_10 = null, d_s_1 = null, d_shift = null;
  const [shift, __pb1] = __ad.ruleOf(makeShift, "packages/ad/test/implicit/programs/closures.ad.ts:74:17")(s);
  const [__v2, __pb3] = __ad.ruleOf(shift, "packages/ad/test/implicit/programs/closures.ad.ts:75:21")(x);
  const [__v4, __pb5] = __ops.tanh(__v2);
  const [__v6, __pb7] = __ad.ruleOf(shift, "packages/ad/test/implicit/programs/closures.ad.ts:75:10")(__v4);
  return [__v6, usesMadeClosure_pullback];
  function usesMadeClosure_pullback(__dy: any): any[] {
    d_x_10 = d_s_1 = d_shift = null;
    let __d2: any = null, __d4: any = null, __d6: any = null;
    { // pullback of: return shift(tanh(shift(x))); (line 75)
      __d6 = __dy;
      if (__d6 !== null) { const __g7 = __pb7(__d6); __d4 = __g7[0]; }
      if (__d4 !== null) { const __g5 = __pb5(__d4); __d2 = __g5[0]; }
      if (__d2 !== null) { const __g3 = __pb3(__d2); d_x_10 = __ad.acc(d_x_10, __g3[0]); }
    }
    { // pullback of: const shift = makeShift(s); (line 74)
      const __o_d_shift = d_shift;
      d_shift = null;
      if (__o_d_shift !== null) { const __g1 = __pb1(__o_d_shift); d_s_1 = __ad.acc(d_s_1, __g1[0]); }
    }
    return [d_x_10, d_s_1];
  }
}

function nestedClosures__rrule(x: Tensor, w: Tensor) {
  let d_x_11 = null, d_w_4 = null, d_h_6 = null;
  const __tape: unknown[] = [];
  let __reversing5 = false;
  const outer = __ad.withRule((h: Tensor) => {
    const inner = __ad.withRule((g: Tensor) => mul(g, w), (...__args: any[]) => inner__rrule_in(w)(...__args), "inner");
    return add(inner(h), inner(tanh(h)));
  }, function outer__rrule(h: Tensor) {
    let d_h_7 = null;
    const inner = __ad.withRule((g: Tensor) => mul(g, w), function inner__rrule(g: Tensor) {
    let d_g = null;
    const [__v1, __pb2] = __ops.mul(g, w);
    return [__v1, inner_pullback];
    function inner_pullback(__dy: any): any[] {
      if (!(__reversing5)) __ad.escapedClosure("inner (packages/ad/test/implicit/programs/closures.ad.ts:81:19)", "nestedClosures");
      d_g = null;
      let __d1: any = null;
      { // pullback of: mul(g, w) (line 81)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_g = __ad.acc(d_g, __g2[0]); d_w_4 = __ad.acc(d_w_4, __g2[1]); }
      }
      return [d_g];
    }
  });
    const [__v1, __pb2] = __ad.ruleOf(inner, "packages/ad/test/implicit/programs/closures.ad.ts:82:16")(h);
    const [__v3, __pb4] = __ops.tanh(h);
    const [__v5, __pb6] = __ad.ruleOf(inner, "packages/ad/test/implicit/programs/closures.ad.ts:82:26")(__v3);
    const [__v7, __pb8] = __ops.add(__v1, __v5);
    return [__v7, outer_pullback];
    function outer_pullback(__dy: any): any[] {
      if (!(__reversing5)) __ad.escapedClosure("outer (packages/ad/test/implicit/programs/closures.ad.ts:80:17)", "nestedClosures");
      d_h_7 = null;
      let __d1: any = null, __d3: any = null, __d5: any = null, __d7: any = null;
      { // pullback of: return add(inner(h), inner(tanh(h))); (line 82)
        __d7 = __dy;
        if (__d7 !== null) { const __g8 = __pb8(__d7); __d1 = __g8[0]; __d5 = __g8[1]; }
        if (__d5 !== null) { const __g6 = __pb6(__d5); __d3 = __g6[0]; }
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_h_7 = __ad.acc(d_h_7, __g4[0]); }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_7 = __ad.acc(d_h_7, __g2[0]); }
      }
      return [d_h_7];
    }
  });
  let h = x;
  __tape.push(1);
  for (let i = 0; i < 2; i++) {
    const [__v1, __pb2] = __ad.ruleOf(outer, "packages/ad/test/implicit/programs/closures.ad.ts:85:35")(h);
    h = __v1;
    __tape.push(__pb2, 2);
  }
  __tape.push(3);
  return [h, nestedClosures_pullback];
  function nestedClosures_pullback(__dy: any): any[] {
    __reversing5 = true;
    d_x_11 = d_w_4 = d_h_6 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: let h = x; (line 84)
          const __o_d_h_6 = d_h_6;
          d_h_6 = null;
          d_x_11 = __ad.acc(d_x_11, __o_d_h_6);
          break;
        }
        case 2: { // pullback of: h = outer(h); (line 85)
          const __pb2 = __tape[--__t] as any;
          let __d1: any = null;
          const __o_d_h_6 = d_h_6;
          d_h_6 = null;
          __d1 = __o_d_h_6;
          if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_6 = __ad.acc(d_h_6, __g2[0]); }
          break;
        }
        case 3: { // pullback of: return h; (line 86)
          d_h_6 = __ad.acc(d_h_6, __dy);
          break;
        }
      }
    }
    __reversing5 = false;
    return [d_x_11, d_w_4];
  }
}

// the rule of `outer` (line 80), given the variables it captures
function outer__rrule_in(w: any) {
  return function outer__rrule(h: Tensor) {
    let d_h_7 = null;
    const inner = __ad.withRule((g: Tensor) => mul(g, w), function inner__rrule(g: Tensor) {
    let d_g = null;
    const [__v1, __pb2] = __ops.mul(g, w);
    return [__v1, inner_pullback];
    function inner_pullback(__dy: any): any[] {
      d_g = null;
      let __d1: any = null;
      { // pullback of: mul(g, w) (line 81)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_g = __ad.acc(d_g, __g2[0]); }
      }
      return [d_g];
    }
  });
    const [__v1, __pb2] = __ad.ruleOf(inner, "packages/ad/test/implicit/programs/closures.ad.ts:82:16")(h);
    const [__v3, __pb4] = __ops.tanh(h);
    const [__v5, __pb6] = __ad.ruleOf(inner, "packages/ad/test/implicit/programs/closures.ad.ts:82:26")(__v3);
    const [__v7, __pb8] = __ops.add(__v1, __v5);
    return [__v7, outer_pullback];
    function outer_pullback(__dy: any): any[] {
      d_h_7 = null;
      let __d1: any = null, __d3: any = null, __d5: any = null, __d7: any = null;
      { // pullback of: return add(inner(h), inner(tanh(h))); (line 82)
        __d7 = __dy;
        if (__d7 !== null) { const __g8 = __pb8(__d7); __d1 = __g8[0]; __d5 = __g8[1]; }
        if (__d5 !== null) { const __g6 = __pb6(__d5); __d3 = __g6[0]; }
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_h_7 = __ad.acc(d_h_7, __g4[0]); }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_7 = __ad.acc(d_h_7, __g2[0]); }
      }
      return [d_h_7];
    }
  }
}

// the rule of `inner` (line 81), given the variables it captures
function inner__rrule_in(w: any) {
  return function inner__rrule(g: Tensor) {
    let d_g = null;
    const [__v1, __pb2] = __ops.mul(g, w);
    return [__v1, inner_pullback];
    function inner_pullback(__dy: any): any[] {
      d_g = null;
      let __d1: any = null;
      { // pullback of: mul(g, w) (line 81)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_g = __ad.acc(d_g, __g2[0]); }
      }
      return [d_g];
    }
  }
}

function recursiveClosure__rrule(x: Tensor, w: Tensor, n: number) {
  let d_x_12 = null, d_w_5 = null, d_n_3 = null;
  let __reversing6 = false;
  const go = __ad.withRule((h: Tensor, k: number): Tensor => (k === 0 ? h : go(tanh(mul(h, w)), k - 1)), function go__rrule(h: Tensor, k: number) {
    let d_h_8 = null, d_k = null, __dc1 = null;
    const __tape: unknown[] = [];
    let __c1;
    if (k === 0) {
      __c1 = h;
      __tape.push(1);
    } else {
      const [__v2, __pb3] = __ops.mul(h, w);
      const [__v4, __pb5] = __ops.tanh(__v2);
      const [__v6, __pb7] = __ad.num.sub(k, 1);
      const [__v8, __pb9] = __ad.ruleOf(go, "packages/ad/test/implicit/programs/closures.ad.ts:91:63")(__v4, __v6);
      __c1 = __v8;
      __tape.push(__pb3, __pb5, __pb7, __pb9, 2);
    }
    __tape.push(3);
    return [__c1, go_pullback];
    function go_pullback(__dy: any): any[] {
      if (!(__reversing6)) __ad.escapedClosure("go (packages/ad/test/implicit/programs/closures.ad.ts:91:14)", "recursiveClosure");
      d_h_8 = d_k = __dc1 = null;
      // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
      for (let __t = __tape.length; __t > 0; ) {
        switch (__tape[--__t]) {
          case 1: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            const __o___dc1 = __dc1;
            __dc1 = null;
            d_h_8 = __ad.acc(d_h_8, __o___dc1);
            break;
          }
          case 2: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            const __pb9 = __tape[--__t] as any;
            const __pb7 = __tape[--__t] as any;
            const __pb5 = __tape[--__t] as any;
            const __pb3 = __tape[--__t] as any;
            let __d2: any = null, __d4: any = null, __d6: any = null, __d8: any = null;
            const __o___dc1 = __dc1;
            __dc1 = null;
            __d8 = __o___dc1;
            if (__d8 !== null) { const __g9 = __pb9(__d8); __d4 = __g9[0]; __d6 = __g9[1]; }
            if (__d6 !== null) { const __g7 = __pb7(__d6); d_k = __ad.acc(d_k, __g7[0]); }
            if (__d4 !== null) { const __g5 = __pb5(__d4); __d2 = __g5[0]; }
            if (__d2 !== null) { const __g3 = __pb3(__d2); d_h_8 = __ad.acc(d_h_8, __g3[0]); d_w_5 = __ad.acc(d_w_5, __g3[1]); }
            break;
          }
          case 3: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            __dc1 = __ad.acc(__dc1, __dy);
            break;
          }
        }
      }
      return [d_h_8, d_k];
    }
  });
  const [__v1, __pb2] = __ad.ruleOf(go, "packages/ad/test/implicit/programs/closures.ad.ts:92:10")(x, n);
  return [__v1, recursiveClosure_pullback];
  function recursiveClosure_pullback(__dy: any): any[] {
    __reversing6 = true;
    d_x_12 = d_w_5 = d_n_3 = null;
    let __d1: any = null;
    { // pullback of: return go(x, n); (line 92)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_12 = __ad.acc(d_x_12, __g2[0]); d_n_3 = __ad.acc(d_n_3, __g2[1]); }
    }
    __reversing6 = false;
    return [d_x_12, d_w_5, d_n_3];
  }
}

// the rule of `go` (line 91), given the variables it captures
function go__rrule_in(w: any, go: any) {
  return function go__rrule(h: Tensor, k: number) {
    let d_h_8 = null, d_k = null, __dc1 = null;
    const __tape: unknown[] = [];
    let __c1;
    if (k === 0) {
      __c1 = h;
      __tape.push(1);
    } else {
      const [__v2, __pb3] = __ops.mul(h, w);
      const [__v4, __pb5] = __ops.tanh(__v2);
      const [__v6, __pb7] = __ad.num.sub(k, 1);
      const [__v8, __pb9] = __ad.ruleOf(go, "packages/ad/test/implicit/programs/closures.ad.ts:91:63")(__v4, __v6);
      __c1 = __v8;
      __tape.push(__pb3, __pb5, __pb7, __pb9, 2);
    }
    __tape.push(3);
    return [__c1, go_pullback];
    function go_pullback(__dy: any): any[] {
      d_h_8 = d_k = __dc1 = null;
      // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
      for (let __t = __tape.length; __t > 0; ) {
        switch (__tape[--__t]) {
          case 1: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            const __o___dc1 = __dc1;
            __dc1 = null;
            d_h_8 = __ad.acc(d_h_8, __o___dc1);
            break;
          }
          case 2: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            const __pb9 = __tape[--__t] as any;
            const __pb7 = __tape[--__t] as any;
            const __pb5 = __tape[--__t] as any;
            const __pb3 = __tape[--__t] as any;
            let __d2: any = null, __d4: any = null, __d6: any = null, __d8: any = null;
            const __o___dc1 = __dc1;
            __dc1 = null;
            __d8 = __o___dc1;
            if (__d8 !== null) { const __g9 = __pb9(__d8); __d4 = __g9[0]; __d6 = __g9[1]; }
            if (__d6 !== null) { const __g7 = __pb7(__d6); d_k = __ad.acc(d_k, __g7[0]); }
            if (__d4 !== null) { const __g5 = __pb5(__d4); __d2 = __g5[0]; }
            if (__d2 !== null) { const __g3 = __pb3(__d2); d_h_8 = __ad.acc(d_h_8, __g3[0]); }
            break;
          }
          case 3: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            __dc1 = __ad.acc(__dc1, __dy);
            break;
          }
        }
      }
      return [d_h_8, d_k];
    }
  }
}

function sumTree__rrule(t: Tensor | Tensor[] | Tensor[][]) {
  let d_t = null, d_acc_1 = null, d_c = null, d_s_2 = null, __dxs1 = null, __dc5 = null;
  const __tape: unknown[] = [];
  if (Array.isArray(t)) {
    let acc: Tensor | null = null;
    __tape.push(1);
    const __xs1 = t;
    __tape.push(2);
    for (let __i2 = 0; __i2 < __xs1.length; __i2++) {
      const __v3 = __xs1[__i2];
      const c = __v3;
      __tape.push(__i2, 3);
      const [s, __pb4] = __ad.ruleOf(sumTree, "packages/ad/test/implicit/programs/closures.ad.ts:100:17")(c);
      __tape.push(__pb4, 4);
      let __c5;
      if (acc === null) {
        __c5 = s;
        __tape.push(5);
      } else {
        const [__v6, __pb7] = __ops.add(acc, s);
        __c5 = __v6;
        __tape.push(__pb7, 6);
      }
      acc = __c5;
      __tape.push(7);
    }
    __tape.push(8);
    return [acc, sumTree_pullback];
  }
  const [__v8, __pb9] = __ops.tanh(t);
  __tape.push(__pb9, 9);
  return [__v8, sumTree_pullback];
  function sumTree_pullback(__dy: any): any[] {
    d_t = d_acc_1 = d_c = d_s_2 = __dxs1 = __dc5 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: let acc: Tensor | null = null; (line 98)
          d_acc_1 = null;
          break;
        }
        case 2: { // pullback of: for (const c of t) { const s = sumTree(c); acc = acc === null ? s : add(acc, s)… (line 99)
          const __o___dxs1 = __dxs1;
          __dxs1 = null;
          d_t = __ad.acc(d_t, __o___dxs1);
          break;
        }
        case 3: { // pullback of: for (const c of t) { const s = sumTree(c); acc = acc === null ? s : add(acc, s)… (line 99)
          const __i2 = __tape[--__t] as any;
          let __d3: any = null;
          const __o_d_c = d_c;
          d_c = null;
          __d3 = __o_d_c;
          __dxs1 = __ad.accAt(__dxs1, __i2, __d3);
          break;
        }
        case 4: { // pullback of: const s = sumTree(c); (line 100)
          const __pb4 = __tape[--__t] as any;
          const __o_d_s_2 = d_s_2;
          d_s_2 = null;
          if (__o_d_s_2 !== null) { const __g4 = __pb4(__o_d_s_2); d_c = __ad.acc(d_c, __g4[0]); }
          break;
        }
        case 5: { // pullback of: acc = acc === null ? s : add(acc, s); (line 101)
          const __o___dc5 = __dc5;
          __dc5 = null;
          d_s_2 = __ad.acc(d_s_2, __o___dc5);
          break;
        }
        case 6: { // pullback of: acc = acc === null ? s : add(acc, s); (line 101)
          const __pb7 = __tape[--__t] as any;
          let __d6: any = null;
          const __o___dc5 = __dc5;
          __dc5 = null;
          __d6 = __o___dc5;
          if (__d6 !== null) { const __g7 = __pb7(__d6); d_acc_1 = __ad.acc(d_acc_1, __g7[0]); d_s_2 = __ad.acc(d_s_2, __g7[1]); }
          break;
        }
        case 7: { // pullback of: acc = acc === null ? s : add(acc, s); (line 101)
          const __o_d_acc_1 = d_acc_1;
          d_acc_1 = null;
          __dc5 = __ad.acc(__dc5, __o_d_acc_1);
          break;
        }
        case 8: { // pullback of: return acc!; (line 103)
          d_acc_1 = __ad.acc(d_acc_1, __dy);
          break;
        }
        case 9: { // pullback of: return tanh(t); (line 105)
          const __pb9 = __tape[--__t] as any;
          let __d8: any = null;
          __d8 = __dy;
          if (__d8 !== null) { const __g9 = __pb9(__d8); d_t = __ad.acc(d_t, __g9[0]); }
          break;
        }
      }
    }
    return [d_t];
  }
}

function iife__rrule(x: Tensor) {
  let d_x_13 = null, d_y_2 = null;
  const [y, __pb1] = __ad.ruleOf(__ad.withRule((h: Tensor) => tanh(h), function anonymous_110__rrule(h: Tensor) {
    let d_h_9 = null;
    const [__v1, __pb2] = __ops.tanh(h);
    return [__v1, anonymous_110_pullback];
    function anonymous_110_pullback(__dy: any): any[] {
      d_h_9 = null;
      let __d1: any = null;
      { // pullback of: tanh(h) (line 110)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_9 = __ad.acc(d_h_9, __g2[0]); }
      }
      return [d_h_9];
    }
  }), "packages/ad/test/implicit/programs/closures.ad.ts:110:14")(x);
  const [__v2, __pb3] = __ops.mul(y, x);
  return [__v2, iife_pullback];
  function iife_pullback(__dy: any): any[] {
    d_x_13 = d_y_2 = null;
    let __d2: any = null;
    { // pullback of: return mul(y, x); (line 111)
      __d2 = __dy;
      if (__d2 !== null) { const __g3 = __pb3(__d2); d_y_2 = __ad.acc(d_y_2, __g3[0]); d_x_13 = __ad.acc(d_x_13, __g3[1]); }
    }
    { // pullback of: const y = ((h: Tensor) => tanh(h))(x); (line 110)
      const __o_d_y_2 = d_y_2;
      d_y_2 = null;
      if (__o_d_y_2 !== null) { const __g1 = __pb1(__o_d_y_2); d_x_13 = __ad.acc(d_x_13, __g1[0]); }
    }
    return [d_x_13];
  }
}

// the rule of `anonymous_110` (line 110), given the variables it captures
function anonymous_110__rrule_in() {
  return function anonymous_110__rrule(h: Tensor) {
    let d_h_9 = null;
    const [__v1, __pb2] = __ops.tanh(h);
    return [__v1, anonymous_110_pullback];
    function anonymous_110_pullback(__dy: any): any[] {
      d_h_9 = null;
      let __d1: any = null;
      { // pullback of: tanh(h) (line 110)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_9 = __ad.acc(d_h_9, __g2[0]); }
      }
      return [d_h_9];
    }
  }
}

function localHigherOrder__rrule(x: Tensor, w: Tensor) {
  let d_x_14 = null, d_w_6 = null;
  let __reversing7 = false;
  __ad.withRule(apply, function apply__rrule(f: (h: Tensor) => Tensor, h: Tensor) {
    let d_h_10 = null;
    const [__v1, __pb2] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/closures.ad.ts:117:14")(h);
    const [__v3, __pb4] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/closures.ad.ts:117:12")(__v1);
    return [__v3, apply_pullback];
    function apply_pullback(__dy: any): any[] {
      d_h_10 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: return f(f(h)); (line 117)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_10 = __ad.acc(d_h_10, __g2[0]); }
      }
      return [null, d_h_10];
    }
  });
  function apply(f: (h: Tensor) => Tensor, h: Tensor): Tensor {
    return f(f(h));
  }
  const [__v1, __pb2] = __ad.ruleOf(apply, "packages/ad/test/implicit/programs/closures.ad.ts:119:10")(__ad.withRule((h) => matmul(h, w), function anonymous_119__rrule(h) {
    let d_h_11 = null;
    const [__v1, __pb2] = __ops.matmul(h, w);
    return [__v1, anonymous_119_pullback];
    function anonymous_119_pullback(__dy: any): any[] {
      if (!(__reversing7)) __ad.escapedClosure("the function at packages/ad/test/implicit/programs/closures.ad.ts:119:16", "localHigherOrder");
      d_h_11 = null;
      let __d1: any = null;
      { // pullback of: matmul(h, w) (line 119)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_11 = __ad.acc(d_h_11, __g2[0]); d_w_6 = __ad.acc(d_w_6, __g2[1]); }
      }
      return [d_h_11];
    }
  }), x);
  return [__v1, localHigherOrder_pullback];
  function localHigherOrder_pullback(__dy: any): any[] {
    __reversing7 = true;
    d_x_14 = d_w_6 = null;
    let __d1: any = null;
    { // pullback of: return apply((h) => matmul(h, w), x); (line 119)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_14 = __ad.acc(d_x_14, __g2[1]); }
    }
    __reversing7 = false;
    return [d_x_14, d_w_6];
  }
}

// the rule of `apply` (line 116), given the variables it captures
function apply__rrule_in(apply: any) {
  return function apply__rrule(f: (h: Tensor) => Tensor, h: Tensor) {
    let d_h_10 = null;
    const [__v1, __pb2] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/closures.ad.ts:117:14")(h);
    const [__v3, __pb4] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/closures.ad.ts:117:12")(__v1);
    return [__v3, apply_pullback];
    function apply_pullback(__dy: any): any[] {
      d_h_10 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: return f(f(h)); (line 117)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_10 = __ad.acc(d_h_10, __g2[0]); }
      }
      return [null, d_h_10];
    }
  }
}

// the rule of `anonymous_119` (line 119), given the variables it captures
function anonymous_119__rrule_in(w: any) {
  return function anonymous_119__rrule(h) {
    let d_h_11 = null;
    const [__v1, __pb2] = __ops.matmul(h, w);
    return [__v1, anonymous_119_pullback];
    function anonymous_119_pullback(__dy: any): any[] {
      d_h_11 = null;
      let __d1: any = null;
      { // pullback of: matmul(h, w) (line 119)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_11 = __ad.acc(d_h_11, __g2[0]); }
      }
      return [d_h_11];
    }
  }
}

function twice__rrule(f: (h: Tensor) => Tensor, h: Tensor) {
  let d_h_12 = null;
  const [__v1, __pb2] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/closures.ad.ts:124:12")(h);
  const [__v3, __pb4] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/closures.ad.ts:124:10")(__v1);
  return [__v3, twice_pullback];
  function twice_pullback(__dy: any): any[] {
    d_h_12 = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: return f(f(h)); (line 124)
      __d3 = __dy;
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_12 = __ad.acc(d_h_12, __g2[0]); }
    }
    return [null, d_h_12];
  }
}

function moduleHigherOrder__rrule(x: Tensor, w: Tensor) {
  let d_x_15 = null, d_w_7 = null;
  let __reversing8 = false;
  const [__v1, __pb2] = __ad.ruleOf(twice, "packages/ad/test/implicit/programs/closures.ad.ts:127:10")(__ad.withRule((h) => tanh(matmul(h, w)), function anonymous_127__rrule(h) {
    let d_h_13 = null;
    const [__v1, __pb2] = __ops.matmul(h, w);
    const [__v3, __pb4] = __ops.tanh(__v1);
    return [__v3, anonymous_127_pullback];
    function anonymous_127_pullback(__dy: any): any[] {
      if (!(__reversing8)) __ad.escapedClosure("the function at packages/ad/test/implicit/programs/closures.ad.ts:127:16", "moduleHigherOrder");
      d_h_13 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: tanh(matmul(h, w)) (line 127)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_13 = __ad.acc(d_h_13, __g2[0]); d_w_7 = __ad.acc(d_w_7, __g2[1]); }
      }
      return [d_h_13];
    }
  }), x);
  return [__v1, moduleHigherOrder_pullback];
  function moduleHigherOrder_pullback(__dy: any): any[] {
    __reversing8 = true;
    d_x_15 = d_w_7 = null;
    let __d1: any = null;
    { // pullback of: return twice((h) => tanh(matmul(h, w)), x); (line 127)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_15 = __ad.acc(d_x_15, __g2[1]); }
    }
    __reversing8 = false;
    return [d_x_15, d_w_7];
  }
}

// the rule of `anonymous_127` (line 127), given the variables it captures
function anonymous_127__rrule_in(w: any) {
  return function anonymous_127__rrule(h) {
    let d_h_13 = null;
    const [__v1, __pb2] = __ops.matmul(h, w);
    const [__v3, __pb4] = __ops.tanh(__v1);
    return [__v3, anonymous_127_pullback];
    function anonymous_127_pullback(__dy: any): any[] {
      d_h_13 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: tanh(matmul(h, w)) (line 127)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_13 = __ad.acc(d_h_13, __g2[0]); }
      }
      return [d_h_13];
    }
  }
}

function accumulateWithClosure__rrule(x: Tensor, a: Tensor, b: Tensor) {
  let d_x_16 = null, d_a_1 = null, d_b_1 = null, d_acc_2 = null;
  let __reversing9 = false;
  let acc = x;
  const addTo = __ad.withRule((y: Tensor) => add(acc, mul(y, x)), function addTo__rrule(y: Tensor) {
    let d_y_3 = null;
    const [__v1, __pb2] = __ops.mul(y, x);
    const [__v3, __pb4] = __ops.add(acc, __v1);
    return [__v3, addTo_pullback];
    function addTo_pullback(__dy: any): any[] {
      if (!(__reversing9)) __ad.escapedClosure("addTo (packages/ad/test/implicit/programs/closures.ad.ts:133:17)", "accumulateWithClosure");
      d_y_3 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: add(acc, mul(y, x)) (line 133)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); d_acc_2 = __ad.acc(d_acc_2, __g4[0]); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_y_3 = __ad.acc(d_y_3, __g2[0]); d_x_16 = __ad.acc(d_x_16, __g2[1]); }
      }
      return [d_y_3];
    }
  });
  const [__v1, __pb2] = __ad.ruleOf(addTo, "packages/ad/test/implicit/programs/closures.ad.ts:134:9")(a);
  acc = __v1;
  const [__v3, __pb4] = __ad.ruleOf(addTo, "packages/ad/test/implicit/programs/closures.ad.ts:135:9")(b);
  acc = __v3;
  return [acc, accumulateWithClosure_pullback];
  function accumulateWithClosure_pullback(__dy: any): any[] {
    __reversing9 = true;
    d_x_16 = d_a_1 = d_b_1 = d_acc_2 = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: return acc; (line 136)
      d_acc_2 = __ad.acc(d_acc_2, __dy);
    }
    { // pullback of: acc = addTo(b); (line 135)
      const __o_d_acc_2 = d_acc_2;
      d_acc_2 = null;
      __d3 = __o_d_acc_2;
      if (__d3 !== null) { const __g4 = __pb4(__d3); d_b_1 = __ad.acc(d_b_1, __g4[0]); }
    }
    { // pullback of: acc = addTo(a); (line 134)
      const __o_d_acc_2 = d_acc_2;
      d_acc_2 = null;
      __d1 = __o_d_acc_2;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_a_1 = __ad.acc(d_a_1, __g2[0]); }
    }
    { // pullback of: let acc = x; (line 132)
      const __o_d_acc_2 = d_acc_2;
      d_acc_2 = null;
      d_x_16 = __ad.acc(d_x_16, __o_d_acc_2);
    }
    __reversing9 = false;
    return [d_x_16, d_a_1, d_b_1];
  }
}

// the rule of `addTo` (line 133), given the variables it captures
function addTo__rrule_in(x: any, acc: any) {
  return function addTo__rrule(y: Tensor) {
    let d_y_3 = null;
    const [__v1, __pb2] = __ops.mul(y, x);
    const [__v3, __pb4] = __ops.add(acc, __v1);
    return [__v3, addTo_pullback];
    function addTo_pullback(__dy: any): any[] {
      d_y_3 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: add(acc, mul(y, x)) (line 133)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[1]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_y_3 = __ad.acc(d_y_3, __g2[0]); }
      }
      return [d_y_3];
    }
  }
}

function hoistedUse__rrule(x: Tensor) {
  let d_x_17 = null;
  const [__v1, __pb2] = __ad.ruleOf(later, "packages/ad/test/implicit/programs/closures.ad.ts:141:10")(x);
  return [__v1, hoistedUse_pullback];
  function hoistedUse_pullback(__dy: any): any[] {
    d_x_17 = null;
    let __d1: any = null;
    { // pullback of: return later(x); (line 141)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_17 = __ad.acc(d_x_17, __g2[0]); }
    }
    return [d_x_17];
  }
}

function later__rrule(x: Tensor) {
  let d_x_18 = null;
  const [__v1, __pb2] = __ops.mul(x, x);
  const [__v3, __pb4] = __ops.tanh(__v1);
  return [__v3, later_pullback];
  function later_pullback(__dy: any): any[] {
    d_x_18 = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: return tanh(mul(x, x)); (line 145)
      __d3 = __dy;
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_18 = __ad.acc(d_x_18, __g2[0]); d_x_18 = __ad.acc(d_x_18, __g2[1]); }
    }
    return [d_x_18];
  }
}

function declInLoop__rrule(xs: Tensor[], w: Tensor) {
  let d_xs_1 = null, d_w_8 = null, d_h_14 = null, d_x_19 = null, __dxs1 = null;
  const __tape: unknown[] = [];
  let __reversing10 = false;
  let h = w;
  __tape.push(1);
  const __xs1 = xs;
  __tape.push(2);
  for (let __i2 = 0; __i2 < __xs1.length; __i2++) {
    const __v3 = __xs1[__i2];
    const x = __v3;
    __tape.push(__i2, 3);
    __ad.withRule(step, function step__rrule(g: Tensor) {
      let d_g_1 = null;
      const [__v1, __pb2] = __ops.mul(x, w);
      const [__v3, __pb4] = __ops.add(g, __v1);
      return [__v3, step_pullback];
      function step_pullback(__dy: any): any[] {
        if (!(__reversing10)) __ad.escapedClosure("step (packages/ad/test/implicit/programs/closures.ad.ts:152:5)", "declInLoop");
        d_g_1 = null;
        let __d1: any = null, __d3: any = null;
        { // pullback of: return add(g, mul(x, w)); (line 153)
          __d3 = __dy;
          if (__d3 !== null) { const __g4 = __pb4(__d3); d_g_1 = __ad.acc(d_g_1, __g4[0]); __d1 = __g4[1]; }
          if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_19 = __ad.acc(d_x_19, __g2[0]); d_w_8 = __ad.acc(d_w_8, __g2[1]); }
        }
        return [d_g_1];
      }
    });
    function step(g: Tensor): Tensor {
      return add(g, mul(x, w));
    }
    const [__v4, __pb5] = __ad.ruleOf(step, "packages/ad/test/implicit/programs/closures.ad.ts:155:9")(h);
    h = __v4;
    __tape.push(__pb5, 4);
  }
  __tape.push(5);
  return [h, declInLoop_pullback];
  function declInLoop_pullback(__dy: any): any[] {
    __reversing10 = true;
    d_xs_1 = d_w_8 = d_h_14 = d_x_19 = __dxs1 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: let h = w; (line 150)
          const __o_d_h_14 = d_h_14;
          d_h_14 = null;
          d_w_8 = __ad.acc(d_w_8, __o_d_h_14);
          break;
        }
        case 2: { // pullback of: for (const x of xs) { function step(g: Tensor): Tensor { return add(g, mul(x, w… (line 151)
          const __o___dxs1 = __dxs1;
          __dxs1 = null;
          d_xs_1 = __ad.acc(d_xs_1, __o___dxs1);
          break;
        }
        case 3: { // pullback of: for (const x of xs) { function step(g: Tensor): Tensor { return add(g, mul(x, w… (line 151)
          const __i2 = __tape[--__t] as any;
          let __d3: any = null;
          const __o_d_x_19 = d_x_19;
          d_x_19 = null;
          __d3 = __o_d_x_19;
          __dxs1 = __ad.accAt(__dxs1, __i2, __d3);
          break;
        }
        case 4: { // pullback of: h = step(h); (line 155)
          const __pb5 = __tape[--__t] as any;
          let __d4: any = null;
          const __o_d_h_14 = d_h_14;
          d_h_14 = null;
          __d4 = __o_d_h_14;
          if (__d4 !== null) { const __g5 = __pb5(__d4); d_h_14 = __ad.acc(d_h_14, __g5[0]); }
          break;
        }
        case 5: { // pullback of: return h; (line 157)
          d_h_14 = __ad.acc(d_h_14, __dy);
          break;
        }
      }
    }
    __reversing10 = false;
    return [d_xs_1, d_w_8];
  }
}

// the rule of `step` (line 152), given the variables it captures
function step__rrule_in2(w: any, x: any, step: any) {
  return function step__rrule(g: Tensor) {
    let d_g_1 = null;
    const [__v1, __pb2] = __ops.add(g, mul(x, w));
    return [__v1, step_pullback];
    function step_pullback(__dy: any): any[] {
      d_g_1 = null;
      let __d1: any = null;
      { // pullback of: return add(g, mul(x, w)); (line 153)
        __d1 = __dy;
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_g_1 = __ad.acc(d_g_1, __g2[0]); }
      }
      return [d_g_1];
    }
  }
}

function fnExprArg__rrule(x: Tensor, w: Tensor) {
  let d_x_20 = null, d_w_9 = null;
  let __reversing11 = false;
  const [__v1, __pb2] = __ad.ruleOf(iterate, "packages/ad/test/implicit/programs/closures.ad.ts:162:10")(__ad.withRule(function (h: Tensor) {
    return tanh(mul(h, w));
  }, function anonymous_162__rrule(h: Tensor) {
    let d_h_15 = null;
    const [__v1, __pb2] = __ops.mul(h, w);
    const [__v3, __pb4] = __ops.tanh(__v1);
    return [__v3, anonymous_162_pullback];
    function anonymous_162_pullback(__dy: any): any[] {
      if (!(__reversing11)) __ad.escapedClosure("the function at packages/ad/test/implicit/programs/closures.ad.ts:162:18", "fnExprArg");
      d_h_15 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: return tanh(mul(h, w)); (line 163)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_15 = __ad.acc(d_h_15, __g2[0]); d_w_9 = __ad.acc(d_w_9, __g2[1]); }
      }
      return [d_h_15];
    }
  }), x, 2);
  return [__v1, fnExprArg_pullback];
  function fnExprArg_pullback(__dy: any): any[] {
    __reversing11 = true;
    d_x_20 = d_w_9 = null;
    let __d1: any = null;
    { // pullback of: return iterate(function (h: Tensor) { return tanh(mul(h, w)); }, x, 2); (line 162)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_20 = __ad.acc(d_x_20, __g2[1]); }
    }
    __reversing11 = false;
    return [d_x_20, d_w_9];
  }
}

// the rule of `anonymous_162` (line 162), given the variables it captures
function anonymous_162__rrule_in(w: any) {
  return function anonymous_162__rrule(h: Tensor) {
    let d_h_15 = null;
    const [__v1, __pb2] = __ops.mul(h, w);
    const [__v3, __pb4] = __ops.tanh(__v1);
    return [__v3, anonymous_162_pullback];
    function anonymous_162_pullback(__dy: any): any[] {
      d_h_15 = null;
      let __d1: any = null, __d3: any = null;
      { // pullback of: return tanh(mul(h, w)); (line 163)
        __d3 = __dy;
        if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
        if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_15 = __ad.acc(d_h_15, __g2[0]); }
      }
      return [d_h_15];
    }
  }
}

function a__rrule(h: Tensor) {
  let d_h_16 = null;
  const [__v1, __pb2] = __ops.tanh(h);
  return [__v1, a_pullback];
  function a_pullback(__dy: any): any[] {
    d_h_16 = null;
    let __d1: any = null;
    { // pullback of: tanh(h) (line 168)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_16 = __ad.acc(d_h_16, __g2[0]); }
    }
    return [d_h_16];
  }
}

function b__rrule(h: Tensor) {
  let d_h_17 = null;
  const [__v1, __pb2] = __ops.exp(h);
  return [__v1, b_pullback];
  function b_pullback(__dy: any): any[] {
    d_h_17 = null;
    let __d1: any = null;
    { // pullback of: exp(h) (line 168)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_17 = __ad.acc(d_h_17, __g2[0]); }
    }
    return [d_h_17];
  }
}

function fromObject__rrule(x: Tensor, k: "a" | "b") {
  let d_x_21 = null;
  const [__v1, __pb2] = __ad.ruleOf(table[k], "packages/ad/test/implicit/programs/closures.ad.ts:170:14")(x);
  const [__v3, __pb4] = __ad.ruleOf(table.a, "packages/ad/test/implicit/programs/closures.ad.ts:170:27")(x);
  const [__v5, __pb6] = __ops.mul(__v1, __v3);
  return [__v5, fromObject_pullback];
  function fromObject_pullback(__dy: any): any[] {
    d_x_21 = null;
    let __d1: any = null, __d3: any = null, __d5: any = null;
    { // pullback of: return mul(table[k](x), table.a(x)); (line 170)
      __d5 = __dy;
      if (__d5 !== null) { const __g6 = __pb6(__d5); __d1 = __g6[0]; __d3 = __g6[1]; }
      if (__d3 !== null) { const __g4 = __pb4(__d3); d_x_21 = __ad.acc(d_x_21, __g4[0]); }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_21 = __ad.acc(d_x_21, __g2[0]); }
    }
    return [d_x_21, null];
  }
}

function anonymous_174__rrule(h: Tensor) {
  let d_h_18 = null;
  const [__v1, __pb2] = __ops.tanh(h);
  return [__v1, anonymous_174_pullback];
  function anonymous_174_pullback(__dy: any): any[] {
    d_h_18 = null;
    let __d1: any = null;
    { // pullback of: tanh(h) (line 174)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_18 = __ad.acc(d_h_18, __g2[0]); }
    }
    return [d_h_18];
  }
}

function anonymous_174__rrule2(h: Tensor) {
  let d_h_19 = null;
  const [__v1, __pb2] = __ops.mul(h, h);
  return [__v1, anonymous_174_pullback];
  function anonymous_174_pullback(__dy: any): any[] {
    d_h_19 = null;
    let __d1: any = null;
    { // pullback of: mul(h, h) (line 174)
      __d1 = __dy;
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_19 = __ad.acc(d_h_19, __g2[0]); d_h_19 = __ad.acc(d_h_19, __g2[1]); }
    }
    return [d_h_19];
  }
}

function fromArray__rrule(x: Tensor) {
  let d_x_22 = null, d_h_20 = null;
  const __tape: unknown[] = [];
  let h = x;
  __tape.push(1);
  for (let i = 0; i < list.length; i++) {
    const [__v1, __pb2] = __ad.ruleOf(list[i], "packages/ad/test/implicit/programs/closures.ad.ts:177:45")(h);
    h = __v1;
    __tape.push(__pb2, 2);
  }
  __tape.push(3);
  return [h, fromArray_pullback];
  function fromArray_pullback(__dy: any): any[] {
    d_x_22 = d_h_20 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: let h = x; (line 176)
          const __o_d_h_20 = d_h_20;
          d_h_20 = null;
          d_x_22 = __ad.acc(d_x_22, __o_d_h_20);
          break;
        }
        case 2: { // pullback of: h = list[i](h); (line 177)
          const __pb2 = __tape[--__t] as any;
          let __d1: any = null;
          const __o_d_h_20 = d_h_20;
          d_h_20 = null;
          __d1 = __o_d_h_20;
          if (__d1 !== null) { const __g2 = __pb2(__d1); d_h_20 = __ad.acc(d_h_20, __g2[0]); }
          break;
        }
        case 3: { // pullback of: return h; (line 178)
          d_h_20 = __ad.acc(d_h_20, __dy);
          break;
        }
      }
    }
    return [d_x_22];
  }
}

function forward__rrule(x: Tensor, w: Tensor) {
  let d_x_23 = null, d_w_10 = null;
  const [__v1, __pb2] = __ops.matmul(x, w);
  const [__v3, __pb4] = __ops.tanh(__v1);
  return [__v3, forward_pullback];
  function forward_pullback(__dy: any): any[] {
    d_x_23 = d_w_10 = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: tanh(matmul(x, w)) (line 183)
      __d3 = __dy;
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_23 = __ad.acc(d_x_23, __g2[0]); d_w_10 = __ad.acc(d_w_10, __g2[1]); }
    }
    return [d_x_23, d_w_10];
  }
}

function usesModel__rrule(x: Tensor, w: Tensor) {
  let d_x_24 = null, d_w_11 = null;
  const [__v1, __pb2] = __ad.ruleOf(model.forward, "packages/ad/test/implicit/programs/closures.ad.ts:186:24")(x, w);
  const [__v3, __pb4] = __ad.ruleOf(model.forward, "packages/ad/test/implicit/programs/closures.ad.ts:186:10")(__v1, w);
  return [__v3, usesModel_pullback];
  function usesModel_pullback(__dy: any): any[] {
    d_x_24 = d_w_11 = null;
    let __d1: any = null, __d3: any = null;
    { // pullback of: return model.forward(model.forward(x, w), w); (line 186)
      __d3 = __dy;
      if (__d3 !== null) { const __g4 = __pb4(__d3); __d1 = __g4[0]; d_w_11 = __ad.acc(d_w_11, __g4[1]); }
      if (__d1 !== null) { const __g2 = __pb2(__d1); d_x_24 = __ad.acc(d_x_24, __g2[0]); d_w_11 = __ad.acc(d_w_11, __g2[1]); }
    }
    return [d_x_24, d_w_11];
  }
}

function nestedReturnStructures__rrule(x: Tensor, depth: number) {
  let d_x_25 = null, d_depth_1 = null, d_inner_1 = null;
  const __tape: unknown[] = [];
  if (depth === 0) {
    const __v1 = [x];
    __tape.push(1);
    return [__v1, nestedReturnStructures_pullback];
  }
  const [__v2, __pb3] = __ops.tanh(x);
  const [__v4, __pb5] = __ad.num.sub(depth, 1);
  const [inner, __pb6] = __ad.ruleOf(nestedReturnStructures, "packages/ad/test/implicit/programs/closures.ad.ts:192:17")(__v2, __v4);
  __tape.push(__pb3, __pb5, __pb6, 2);
  const __n7 = inner.length;
  const __v8 = inner[0];
  const [__v9, __pb10] = __ops.mul(x, __v8);
  const __v11 = [...inner, __v9];
  __tape.push(__n7, __pb10, 3);
  return [__v11, nestedReturnStructures_pullback];
  function nestedReturnStructures_pullback(__dy: any): any[] {
    d_x_25 = d_depth_1 = d_inner_1 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return [x]; (line 191)
          let __d1: any = null;
          __d1 = __dy;
          d_x_25 = __ad.acc(d_x_25, __ad.at(__d1, 0));
          break;
        }
        case 2: { // pullback of: const inner = nestedReturnStructures(tanh(x), depth - 1); (line 192)
          const __pb6 = __tape[--__t] as any;
          const __pb5 = __tape[--__t] as any;
          const __pb3 = __tape[--__t] as any;
          let __d2: any = null, __d4: any = null;
          const __o_d_inner_1 = d_inner_1;
          d_inner_1 = null;
          if (__o_d_inner_1 !== null) { const __g6 = __pb6(__o_d_inner_1); __d2 = __g6[0]; __d4 = __g6[1]; }
          if (__d4 !== null) { const __g5 = __pb5(__d4); d_depth_1 = __ad.acc(d_depth_1, __g5[0]); }
          if (__d2 !== null) { const __g3 = __pb3(__d2); d_x_25 = __ad.acc(d_x_25, __g3[0]); }
          break;
        }
        case 3: { // pullback of: return [...inner, mul(x, inner[0])]; (line 193)
          const __pb10 = __tape[--__t] as any;
          const __n7 = __tape[--__t] as any;
          let __d8: any = null, __d9: any = null, __d11: any = null;
          __d11 = __dy;
          d_inner_1 = __ad.acc(d_inner_1, __ad.sliceCotangent(__d11, 0, __n7));
          __d9 = __ad.at(__d11, __n7 + 0);
          if (__d9 !== null) { const __g10 = __pb10(__d9); d_x_25 = __ad.acc(d_x_25, __g10[0]); __d8 = __g10[1]; }
          d_inner_1 = __ad.accAt(d_inner_1, 0, __d8);
          break;
        }
      }
    }
    return [d_x_25, d_depth_1];
  }
}

function sumOfNested__rrule(x: Tensor) {
  let d_x_26 = null, d_parts = null, d_acc_3 = null, d_p = null, __dxs2 = null;
  const __tape: unknown[] = [];
  const [parts, __pb1] = __ad.ruleOf(nestedReturnStructures, "packages/ad/test/implicit/programs/closures.ad.ts:198:17")(x, 3);
  __tape.push(__pb1, 1);
  let acc = parts[0];
  __tape.push(2);
  const __xs2 = parts;
  __tape.push(3);
  for (let __i3 = 0; __i3 < __xs2.length; __i3++) {
    const __v4 = __xs2[__i3];
    const p = __v4;
    __tape.push(__i3, 4);
    const [__v5, __pb6] = __ops.add(acc, p);
    acc = __v5;
    __tape.push(__pb6, 5);
  }
  __tape.push(6);
  return [acc, sumOfNested_pullback];
  function sumOfNested_pullback(__dy: any): any[] {
    d_x_26 = d_parts = d_acc_3 = d_p = __dxs2 = null;
    // replay the tape: each entry is a unit id, under the pullbacks and keys it saved
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: const parts = nestedReturnStructures(x, 3); (line 198)
          const __pb1 = __tape[--__t] as any;
          const __o_d_parts = d_parts;
          d_parts = null;
          if (__o_d_parts !== null) { const __g1 = __pb1(__o_d_parts); d_x_26 = __ad.acc(d_x_26, __g1[0]); }
          break;
        }
        case 2: { // pullback of: let acc = parts[0]; (line 199)
          const __o_d_acc_3 = d_acc_3;
          d_acc_3 = null;
          d_parts = __ad.accAt(d_parts, 0, __o_d_acc_3);
          break;
        }
        case 3: { // pullback of: for (const p of parts) acc = add(acc, p); (line 200)
          const __o___dxs2 = __dxs2;
          __dxs2 = null;
          d_parts = __ad.acc(d_parts, __o___dxs2);
          break;
        }
        case 4: { // pullback of: for (const p of parts) acc = add(acc, p); (line 200)
          const __i3 = __tape[--__t] as any;
          let __d4: any = null;
          const __o_d_p = d_p;
          d_p = null;
          __d4 = __o_d_p;
          __dxs2 = __ad.accAt(__dxs2, __i3, __d4);
          break;
        }
        case 5: { // pullback of: acc = add(acc, p); (line 200)
          const __pb6 = __tape[--__t] as any;
          let __d5: any = null;
          const __o_d_acc_3 = d_acc_3;
          d_acc_3 = null;
          __d5 = __o_d_acc_3;
          if (__d5 !== null) { const __g6 = __pb6(__d5); d_acc_3 = __ad.acc(d_acc_3, __g6[0]); d_p = __ad.acc(d_p, __g6[1]); }
          break;
        }
        case 6: { // pullback of: return acc; (line 201)
          d_acc_3 = __ad.acc(d_acc_3, __dy);
          break;
        }
      }
    }
    return [d_x_26];
  }
}
