import * as __ad from "@pullback/ad/implicit"; const __ops = __ad.ops; const __fwd = __registerRules(); // Corpus: closures — nested functions, closures capturing tracked values (called in loops too),
// functions passed as arguments, calls across .ad.ts modules, recursion.
import { add, exp, matmul, mul, sub, tanh, type Tensor } from "@pullback/tensor";
import { halve, iterate, residualLayer } from "./closures_lib.ad.ts";

/** A nested function that uses only its own arguments. */
export function nestedFunction(x: Tensor, y: Tensor): Tensor { __ad.withRule(combine, (...__a) => combine__rrule_in(combine)(...__a), undefined, (__a, __t) => __fwd.get("combine__frule_in")(combine)(__a, __t));
  function combine(a: Tensor, b: Tensor): Tensor {
    return mul(a, tanh(b));
  }
  return add(combine(x, y), combine(y, x));
}

/** A closure capturing a tracked parameter (w), called twice. */
export function capturesParam(x: Tensor, w: Tensor): Tensor {
  const layer = __ad.withRule((h: Tensor) => tanh(matmul(h, w)), (...__a) => layer__rrule_in(w)(...__a), "layer", (__a, __t) => __fwd.get("layer__frule_in")(w)(__a, __t));
  return layer(layer(x));
}

/** A closure capturing a tracked local, called inside a loop. */
export function capturesInLoop(x: Tensor, w: Tensor, n: number): Tensor {
  const scale = exp(w);
  const step = __ad.withRule((h: Tensor): Tensor => add(h, mul(h, scale)), (...__a) => step__rrule_in(scale)(...__a), "step", (__a, __t) => __fwd.get("step__frule_in")(scale)(__a, __t));
  let h = x;
  for (let i = 0; i < n; i++) h = step(h);
  return h;
}

/** A closure defined inside the loop body, capturing the loop variable's tensor. */
export function closureInLoop(xs: Tensor[], y: Tensor): Tensor {
  let acc = y;
  for (const x of xs) {
    const addX = __ad.withRule((h: Tensor) => add(h, mul(x, h)), (...__a) => addX__rrule_in(x)(...__a), "addX", (__a, __t) => __fwd.get("addX__frule_in")(x)(__a, __t));
    acc = addX(acc);
  }
  return acc;
}

/** Passing a local closure (capturing w) to a function of another module. */
export function passesClosure(x: Tensor, w: Tensor): Tensor {
  return iterate(__ad.withRule((h) => residualLayer(h, w), (...__a) => anonymous_41__rrule_in(w)(...__a), `the function at ${__at(41, 18)}`, (__a, __t) => __fwd.get("anonymous_41__frule_in")(w)(__a, __t)), x, 3);
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
  return __ad.withRule((h) => sub(h, s), (...__a) => anonymous_70__rrule_in(s)(...__a), `the function at ${__at(70, 10)}`, (__a, __t) => __fwd.get("anonymous_70__frule_in")(s)(__a, __t));
}
/** Uses the returned closure: the shift's gradient reaches s. */
export function usesMadeClosure(x: Tensor, s: Tensor): Tensor {
  const shift = makeShift(s);
  return shift(tanh(shift(x)));
}

/** Closures nested two deep, the outer one called in a loop. */
export function nestedClosures(x: Tensor, w: Tensor): Tensor {
  const outer = __ad.withRule((h: Tensor) => {
    const inner = __ad.withRule((g: Tensor) => mul(g, w), (...__a) => inner__rrule_in(w)(...__a), "inner", (__a, __t) => __fwd.get("inner__frule_in")(w)(__a, __t));
    return add(inner(h), inner(tanh(h)));
  }, (...__a) => outer__rrule_in(w)(...__a), "outer", (__a, __t) => __fwd.get("outer__frule_in")(w)(__a, __t));
  let h = x;
  for (let i = 0; i < 2; i++) h = outer(h);
  return h;
}

/** A recursive closure capturing a tracked weight. */
export function recursiveClosure(x: Tensor, w: Tensor, n: number): Tensor {
  const go = __ad.withRule((h: Tensor, k: number): Tensor => (k === 0 ? h : go(tanh(mul(h, w)), k - 1)), (...__a) => go__rrule_in(w, go)(...__a), "go", (__a, __t) => __fwd.get("go__frule_in")(w, go)(__a, __t));
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
  const y = (__ad.withRule((h: Tensor) => tanh(h), (...__a) => anonymous_110__rrule_in()(...__a), `the function at ${__at(110, 14)}`, (__a, __t) => __fwd.get("anonymous_110__frule_in")()(__a, __t)))(x);
  return mul(y, x);
}

/** A local higher-order function given a closure over a tracked weight. */
export function localHigherOrder(x: Tensor, w: Tensor): Tensor { __ad.withRule(apply, (...__a) => apply__rrule_in(apply)(...__a), undefined, (__a, __t) => __fwd.get("apply__frule_in")(apply)(__a, __t));
  function apply(f: (h: Tensor) => Tensor, h: Tensor): Tensor {
    return f(f(h));
  }
  return apply(__ad.withRule((h) => matmul(h, w), (...__a) => anonymous_119__rrule_in(w)(...__a), `the function at ${__at(119, 16)}`, (__a, __t) => __fwd.get("anonymous_119__frule_in")(w)(__a, __t)), x);
}

/** A module-level function expression taking a function. */
const twice = __ad.withModuleRule(function (f: (h: Tensor) => Tensor, h: Tensor): Tensor {
  return f(f(h));
}, twice__rrule, "twice", __fwd.rule("twice__frule"));
export function moduleHigherOrder(x: Tensor, w: Tensor): Tensor {
  return twice(__ad.withRule((h) => tanh(matmul(h, w)), (...__a) => anonymous_127__rrule_in(w)(...__a), `the function at ${__at(127, 16)}`, (__a, __t) => __fwd.get("anonymous_127__frule_in")(w)(__a, __t)), x);
}

/** A closure that returns the updated accumulator (instead of assigning the captured variable). */
export function accumulateWithClosure(x: Tensor, a: Tensor, b: Tensor): Tensor {
  let acc = x;
  const addTo = __ad.withRule((y: Tensor) => add(acc, mul(y, x)), (...__a) => addTo__rrule_in(x, acc)(...__a), "addTo", (__a, __t) => __fwd.get("addTo__frule_in")(x, acc)(__a, __t));
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
  for (const x of xs) { __ad.withRule(step, (...__a) => step__rrule_in2(w, x, step)(...__a), undefined, (__a, __t) => __fwd.get("step__frule_in2")(w, x, step)(__a, __t));
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
  }, (...__a) => anonymous_162__rrule_in(w)(...__a), `the function at ${__at(162, 18)}`, (__a, __t) => __fwd.get("anonymous_162__frule_in")(w)(__a, __t)), x, 2);
}

/** Functions stored in an object, called through it. */
const table = { a: __ad.withModuleRule((h: Tensor) => tanh(h), a__rrule, "a", __fwd.rule("a__frule")), b: __ad.withModuleRule((h: Tensor) => exp(h), b__rrule, "b", __fwd.rule("b__frule")) };
export function fromObject(x: Tensor, k: "a" | "b"): Tensor {
  return mul(table[k](x), table.a(x));
}

/** Functions stored in an array, called by index in a loop. */
const list = [__ad.withModuleRule((h: Tensor) => tanh(h), anonymous_174__rrule, `the function at ${__at(174, 15)}`, __fwd.rule("anonymous_174__frule")), __ad.withModuleRule((h: Tensor) => mul(h, h), anonymous_174__rrule2, `the function at ${__at(174, 39)}`, __fwd.rule("anonymous_174__frule2"))];
export function fromArray(x: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < list.length; i++) h = list[i](h);
  return h;
}

/** A "module" object with a function property. */
export const model = {
  forward: __ad.withModuleRule((x: Tensor, w: Tensor) => tanh(matmul(x, w)), forward__rrule, "forward", __fwd.rule("forward__frule")),
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

// Called on line 1 (a function declaration is hoisted): registers the rules of the module's function
// declarations before any of its code runs, and returns the handle of its forward rules.
function __registerRules() {
  const __fwd = __ad.forwardRules(import.meta.path, "fec8d806d2cb948d", (__code: string) => eval(__code));
  __ad.withModuleRule(nestedFunction, nestedFunction__rrule, undefined, __fwd.rule("nestedFunction__frule"));
  __ad.withModuleRule(capturesParam, capturesParam__rrule, undefined, __fwd.rule("capturesParam__frule"));
  __ad.withModuleRule(capturesInLoop, capturesInLoop__rrule, undefined, __fwd.rule("capturesInLoop__frule"));
  __ad.withModuleRule(closureInLoop, closureInLoop__rrule, undefined, __fwd.rule("closureInLoop__frule"));
  __ad.withModuleRule(passesClosure, passesClosure__rrule, undefined, __fwd.rule("passesClosure__frule"));
  __ad.withModuleRule(passesImported, passesImported__rrule, undefined, __fwd.rule("passesImported__frule"));
  __ad.withModuleRule(crossModule, crossModule__rrule, undefined, __fwd.rule("crossModule__frule"));
  __ad.withModuleRule(recurse, recurse__rrule, undefined, __fwd.rule("recurse__frule"));
  __ad.withModuleRule(even, even__rrule, undefined, __fwd.rule("even__frule"));
  __ad.withModuleRule(odd, odd__rrule, undefined, __fwd.rule("odd__frule"));
  __ad.withModuleRule(makeShift, makeShift__rrule, undefined, __fwd.rule("makeShift__frule"));
  __ad.withModuleRule(usesMadeClosure, usesMadeClosure__rrule, undefined, __fwd.rule("usesMadeClosure__frule"));
  __ad.withModuleRule(nestedClosures, nestedClosures__rrule, undefined, __fwd.rule("nestedClosures__frule"));
  __ad.withModuleRule(recursiveClosure, recursiveClosure__rrule, undefined, __fwd.rule("recursiveClosure__frule"));
  __ad.withModuleRule(sumTree, sumTree__rrule, undefined, __fwd.rule("sumTree__frule"));
  __ad.withModuleRule(iife, iife__rrule, undefined, __fwd.rule("iife__frule"));
  __ad.withModuleRule(localHigherOrder, localHigherOrder__rrule, undefined, __fwd.rule("localHigherOrder__frule"));
  __ad.withModuleRule(moduleHigherOrder, moduleHigherOrder__rrule, undefined, __fwd.rule("moduleHigherOrder__frule"));
  __ad.withModuleRule(accumulateWithClosure, accumulateWithClosure__rrule, undefined,
    __fwd.rule("accumulateWithClosure__frule"));
  __ad.withModuleRule(hoistedUse, hoistedUse__rrule, undefined, __fwd.rule("hoistedUse__frule"));
  __ad.withModuleRule(later, later__rrule, undefined, __fwd.rule("later__frule"));
  __ad.withModuleRule(declInLoop, declInLoop__rrule, undefined, __fwd.rule("declInLoop__frule"));
  __ad.withModuleRule(fnExprArg, fnExprArg__rrule, undefined, __fwd.rule("fnExprArg__frule"));
  __ad.withModuleRule(fromObject, fromObject__rrule, undefined, __fwd.rule("fromObject__frule"));
  __ad.withModuleRule(fromArray, fromArray__rrule, undefined, __fwd.rule("fromArray__frule"));
  __ad.withModuleRule(usesModel, usesModel__rrule, undefined, __fwd.rule("usesModel__frule"));
  __ad.withModuleRule(nestedReturnStructures, nestedReturnStructures__rrule, undefined,
    __fwd.rule("nestedReturnStructures__frule"));
  __ad.withModuleRule(sumOfNested, sumOfNested__rrule, undefined, __fwd.rule("sumOfNested__frule"));
  return __fwd;
}

// A call site, as messages name it.
function __at(line: number, column: number): string {
  return "packages/ad/test/implicit/programs/closures.ad.ts:" + line + ":" + column;
}

function nestedFunction__rrule(x: Tensor, y: Tensor) {
  let d_x = null;
  let d_y = null;
  __ad.withRule(combine,
    function combine__rrule(a: Tensor, b: Tensor) {
      let d_a = null;
      let d_b = null;
      const [__v_tanh, __pb_tanh] = __ops.tanh(b);
      const [__v_mul, __pb_mul] = __ops.mul(a, __v_tanh);
      return [__v_mul, combine_pullback];
      function combine_pullback(__dy: any): any[] {
        d_a = d_b = null;
        { // pullback of: return mul(a, tanh(b)); (line 9)
          let __d_tanh: any = null;
          if (__dy !== null) {
            const __g_mul = __pb_mul(__dy);
            d_a = __ad.acc(d_a, __g_mul[0]);
            __d_tanh = __g_mul[1];
          }
          if (__d_tanh !== null) d_b = __ad.acc(d_b, __pb_tanh(__d_tanh)[0]);
        }
        return [d_a, d_b];
      }
    });
  function combine(a: Tensor, b: Tensor): Tensor {
    return mul(a, tanh(b));
  }
  const [__v_combine, __pb_combine] = __ad.ruleOf(combine, __at(11, 14))(x, y);
  const [__v_combine_2, __pb_combine_2] = __ad.ruleOf(combine, __at(11, 29))(y, x);
  const [__v_add, __pb_add] = __ops.add(__v_combine, __v_combine_2);
  return [__v_add, nestedFunction_pullback];
  function nestedFunction_pullback(__dy: any): any[] {
    d_x = d_y = null;
    { // pullback of: return add(combine(x, y), combine(y, x)); (line 11)
      let __d_combine: any = null;
      let __d_combine_2: any = null;
      if (__dy !== null) {
        const __g_add = __pb_add(__dy);
        __d_combine = __g_add[0];
        __d_combine_2 = __g_add[1];
      }
      if (__d_combine_2 !== null) {
        const __g_combine_2 = __pb_combine_2(__d_combine_2);
        d_y = __ad.acc(d_y, __g_combine_2[0]);
        d_x = __ad.acc(d_x, __g_combine_2[1]);
      }
      if (__d_combine !== null) {
        const __g_combine = __pb_combine(__d_combine);
        d_x = __ad.acc(d_x, __g_combine[0]);
        d_y = __ad.acc(d_y, __g_combine[1]);
      }
    }
    return [d_x, d_y];
  }
}

// the rule of `combine` (line 8), given the variables it captures
function combine__rrule_in(combine: any) {
  return function combine__rrule(a: Tensor, b: Tensor) {
    let d_a = null;
    let d_b = null;
    const [__v_tanh, __pb_tanh] = __ops.tanh(b);
    const [__v_mul, __pb_mul] = __ops.mul(a, __v_tanh);
    return [__v_mul, combine_pullback];
    function combine_pullback(__dy: any): any[] {
      d_a = d_b = null;
      { // pullback of: return mul(a, tanh(b)); (line 9)
        let __d_tanh: any = null;
        if (__dy !== null) {
          const __g_mul = __pb_mul(__dy);
          d_a = __ad.acc(d_a, __g_mul[0]);
          __d_tanh = __g_mul[1];
        }
        if (__d_tanh !== null) d_b = __ad.acc(d_b, __pb_tanh(__d_tanh)[0]);
      }
      return [d_a, d_b];
    }
  }
}

function capturesParam__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  let __reversing = false;
  const layer = __ad.withRule((h: Tensor) => tanh(matmul(h, w)),
    function layer__rrule(h: Tensor) {
      let d_h = null;
      const [__v_matmul, __pb_matmul] = __ops.matmul(h, w);
      const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
      return [__v_tanh, layer_pullback];
      function layer_pullback(__dy: any): any[] {
        if (!(__reversing)) __ad.escapedClosure(`layer (${__at(16, 17)})`, `capturesParam`);
        d_h = null;
        { // pullback of: tanh(matmul(h, w)) (line 16)
          let __d_matmul: any = null;
          if (__dy !== null) __d_matmul = __pb_tanh(__dy)[0];
          if (__d_matmul !== null) {
            const __g_matmul = __pb_matmul(__d_matmul);
            d_h = __ad.acc(d_h, __g_matmul[0]);
            d_w = __ad.acc(d_w, __g_matmul[1]);
          }
        }
        return [d_h];
      }
    });
  const [__v_layer, __pb_layer] = __ad.ruleOf(layer, __at(17, 16))(x);
  const [__v_layer_2, __pb_layer_2] = __ad.ruleOf(layer, __at(17, 10))(__v_layer);
  return [__v_layer_2, capturesParam_pullback];
  function capturesParam_pullback(__dy: any): any[] {
    __reversing = true;
    d_x = d_w = null;
    { // pullback of: return layer(layer(x)); (line 17)
      let __d_layer: any = null;
      if (__dy !== null) __d_layer = __pb_layer_2(__dy)[0];
      if (__d_layer !== null) d_x = __ad.acc(d_x, __pb_layer(__d_layer)[0]);
    }
    __reversing = false;
    return [d_x, d_w];
  }
}

// the rule of `layer` (line 16), given the variables it captures
function layer__rrule_in(w: any) {
  return function layer__rrule(h: Tensor) {
    let d_h = null;
    const [__v_matmul, __pb_matmul] = __ops.matmul(h, w);
    const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
    return [__v_tanh, layer_pullback];
    function layer_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: tanh(matmul(h, w)) (line 16)
        let __d_matmul: any = null;
        if (__dy !== null) __d_matmul = __pb_tanh(__dy)[0];
        if (__d_matmul !== null) d_h = __ad.acc(d_h, __pb_matmul(__d_matmul)[0]);
      }
      return [d_h];
    }
  }
}

function capturesInLoop__rrule(x: Tensor, w: Tensor, n: number) {
  let d_x = null;
  let d_w = null;
  let d_scale = null;
  let d_h_2 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 25
  let __reversing1 = false;
  n = __ad.primalOf(n);
  const [scale, __pb_exp] = __ops.exp(w);
  const step = __ad.withRule((h: Tensor): Tensor => add(h, mul(h, scale)),
    function step__rrule(h: Tensor) {
      let d_h = null;
      const [__v_mul, __pb_mul] = __ops.mul(h, scale);
      const [__v_add, __pb_add] = __ops.add(h, __v_mul);
      return [__v_add, step_pullback];
      function step_pullback(__dy: any): any[] {
        if (!(__reversing1)) __ad.escapedClosure(`step (${__at(23, 16)})`, `capturesInLoop`);
        d_h = null;
        { // pullback of: add(h, mul(h, scale)) (line 23)
          let __d_mul: any = null;
          if (__dy !== null) {
            const __g_add = __pb_add(__dy);
            d_h = __ad.acc(d_h, __g_add[0]);
            __d_mul = __g_add[1];
          }
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_h = __ad.acc(d_h, __g_mul[0]);
            d_scale = __ad.acc(d_scale, __g_mul[1]);
          }
        }
        return [d_h];
      }
    });
  let h = x;
  for (let i = 0; i < n; i++) {
    const [__v_step, __pb_step] = __ad.ruleOf(step, __at(25, 35))(h);
    h = __v_step;
    __tape.push(__pb_step, 3);
  }
  return [h, capturesInLoop_pullback];
  function capturesInLoop_pullback(__dy: any): any[] {
    __reversing1 = true;
    d_x = d_w = d_scale = d_h_2 = null;
    { // pullback of: return h; (line 26)
      d_h_2 = __ad.acc(d_h_2, __dy);
    }
    // pullback of: for (let i = 0; i < n; i++) h = step(h); (line 25)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 3: { // pullback of: h = step(h); (line 25)
          const __pb_step = __tape[--__t] as any;
          const __o_d_h_2 = d_h_2;
          d_h_2 = null;
          if (__o_d_h_2 !== null) d_h_2 = __ad.acc(d_h_2, __pb_step(__o_d_h_2)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 24)
      const __o_d_h_2 = d_h_2;
      d_h_2 = null;
      d_x = __ad.acc(d_x, __o_d_h_2);
    }
    { // pullback of: const scale = exp(w); (line 22)
      const __o_d_scale = d_scale;
      d_scale = null;
      if (__o_d_scale !== null) d_w = __ad.acc(d_w, __pb_exp(__o_d_scale)[0]);
    }
    __reversing1 = false;
    return [d_x, d_w, null];
  }
}

// the rule of `step` (line 23), given the variables it captures
function step__rrule_in(scale: any) {
  return function step__rrule(h: Tensor) {
    let d_h = null;
    const [__v_mul, __pb_mul] = __ops.mul(h, scale);
    const [__v_add, __pb_add] = __ops.add(h, __v_mul);
    return [__v_add, step_pullback];
    function step_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: add(h, mul(h, scale)) (line 23)
        let __d_mul: any = null;
        if (__dy !== null) {
          const __g_add = __pb_add(__dy);
          d_h = __ad.acc(d_h, __g_add[0]);
          __d_mul = __g_add[1];
        }
        if (__d_mul !== null) d_h = __ad.acc(d_h, __pb_mul(__d_mul)[0]);
      }
      return [d_h];
    }
  }
}

function closureInLoop__rrule(xs: Tensor[], y: Tensor) {
  let d_xs = null;
  let d_y = null;
  let d_acc = null;
  let d_x = null;
  let __d_xs = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 32
  let __reversing2 = false;
  let acc = y;
  const __v_xs = xs;
  __tape.push(2);
  for (let __i = 0; __i < __v_xs.length; __i++) {
    const __v_xs_i = __v_xs[__i];
    const x = __v_xs_i;
    __tape.push(__i, 3);
    const addX = __ad.withRule((h: Tensor) => add(h, mul(x, h)),
      function addX__rrule(h: Tensor) {
        let d_h = null;
        const [__v_mul, __pb_mul] = __ops.mul(x, h);
        const [__v_add, __pb_add] = __ops.add(h, __v_mul);
        return [__v_add, addX_pullback];
        function addX_pullback(__dy: any): any[] {
          if (!(__reversing2)) __ad.escapedClosure(`addX (${__at(33, 18)})`, `closureInLoop`);
          d_h = null;
          { // pullback of: add(h, mul(x, h)) (line 33)
            let __d_mul: any = null;
            if (__dy !== null) {
              const __g_add = __pb_add(__dy);
              d_h = __ad.acc(d_h, __g_add[0]);
              __d_mul = __g_add[1];
            }
            if (__d_mul !== null) {
              const __g_mul = __pb_mul(__d_mul);
              d_x = __ad.acc(d_x, __g_mul[0]);
              d_h = __ad.acc(d_h, __g_mul[1]);
            }
          }
          return [d_h];
        }
      });
    const [__v_addX, __pb_addX] = __ad.ruleOf(addX, __at(34, 11))(acc);
    acc = __v_addX;
    __tape.push(__pb_addX, 4);
  }
  return [acc, closureInLoop_pullback];
  function closureInLoop_pullback(__dy: any): any[] {
    __reversing2 = true;
    d_xs = d_y = d_acc = d_x = __d_xs = null;
    { // pullback of: return acc; (line 36)
      d_acc = __ad.acc(d_acc, __dy);
    }
    // pullback of: for (const x of xs) { const addX = (h: Tensor) => add(h, mul(x, h)); acc = addX… (line 32)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: for (const x of xs) { const addX = (h: Tensor) => add(h, mul(x, h)); acc … (line 32)
          const __o__d_xs = __d_xs;
          __d_xs = null;
          d_xs = __ad.acc(d_xs, __o__d_xs);
          break;
        }
        case 3: { // pullback of: for (const x of xs) { const addX = (h: Tensor) => add(h, mul(x, h)); acc … (line 32)
          const __i = __tape[--__t] as any;
          const __o_d_x = d_x;
          d_x = null;
          __d_xs = __ad.accAt(__d_xs, __i, __o_d_x);
          break;
        }
        case 4: { // pullback of: acc = addX(acc); (line 34)
          const __pb_addX = __tape[--__t] as any;
          const __o_d_acc = d_acc;
          d_acc = null;
          if (__o_d_acc !== null) d_acc = __ad.acc(d_acc, __pb_addX(__o_d_acc)[0]);
          break;
        }
      }
    }
    { // pullback of: let acc = y; (line 31)
      const __o_d_acc = d_acc;
      d_acc = null;
      d_y = __ad.acc(d_y, __o_d_acc);
    }
    __reversing2 = false;
    return [d_xs, d_y];
  }
}

// the rule of `addX` (line 33), given the variables it captures
function addX__rrule_in(x: any) {
  return function addX__rrule(h: Tensor) {
    let d_h = null;
    const [__v_mul, __pb_mul] = __ops.mul(x, h);
    const [__v_add, __pb_add] = __ops.add(h, __v_mul);
    return [__v_add, addX_pullback];
    function addX_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: add(h, mul(x, h)) (line 33)
        let __d_mul: any = null;
        if (__dy !== null) {
          const __g_add = __pb_add(__dy);
          d_h = __ad.acc(d_h, __g_add[0]);
          __d_mul = __g_add[1];
        }
        if (__d_mul !== null) d_h = __ad.acc(d_h, __pb_mul(__d_mul)[1]);
      }
      return [d_h];
    }
  }
}

function passesClosure__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  let __reversing3 = false;
  const [__v_iterate, __pb_iterate] = __ad.ruleOf(iterate, __at(41, 10))(__ad.withRule((h) => residualLayer(h, w),
    function anonymous_41__rrule(h) {
      let d_h = null;
      const [__v_residualLayer, __pb_residualLayer] = __ad.ruleOf(residualLayer, __at(41, 25))(h, w);
      return [__v_residualLayer, anonymous_41_pullback];
      function anonymous_41_pullback(__dy: any): any[] {
        if (!(__reversing3)) __ad.escapedClosure(`the function at ${__at(41, 18)}`, `passesClosure`);
        d_h = null;
        { // pullback of: residualLayer(h, w) (line 41)
          if (__dy !== null) {
            const __g_residualLayer = __pb_residualLayer(__dy);
            d_h = __ad.acc(d_h, __g_residualLayer[0]);
            d_w = __ad.acc(d_w, __g_residualLayer[1]);
          }
        }
        return [d_h];
      }
    }), x, 3);
  return [__v_iterate, passesClosure_pullback];
  function passesClosure_pullback(__dy: any): any[] {
    __reversing3 = true;
    d_x = d_w = null;
    { // pullback of: return iterate((h) => residualLayer(h, w), x, 3); (line 41)
      if (__dy !== null) d_x = __ad.acc(d_x, __pb_iterate(__dy)[1]);
    }
    __reversing3 = false;
    return [d_x, d_w];
  }
}

// the rule of `anonymous_41` (line 41), given the variables it captures
function anonymous_41__rrule_in(w: any) {
  return function anonymous_41__rrule(h) {
    let d_h = null;
    const [__v_residualLayer, __pb_residualLayer] = __ad.ruleOf(residualLayer, __at(41, 25))(h, w);
    return [__v_residualLayer, anonymous_41_pullback];
    function anonymous_41_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: residualLayer(h, w) (line 41)
        if (__dy !== null) d_h = __ad.acc(d_h, __pb_residualLayer(__dy)[0]);
      }
      return [d_h];
    }
  }
}

function passesImported__rrule(x: Tensor) {
  let d_x = null;
  const [__v_tanh, __pb_tanh] = __ops.tanh(x);
  const [__v_iterate, __pb_iterate] = __ad.ruleOf(iterate, __at(46, 10))(halve, __v_tanh, 2);
  return [__v_iterate, passesImported_pullback];
  function passesImported_pullback(__dy: any): any[] {
    d_x = null;
    { // pullback of: return iterate(halve, tanh(x), 2); (line 46)
      let __d_tanh: any = null;
      if (__dy !== null) __d_tanh = __pb_iterate(__dy)[1];
      if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
    }
    return [d_x];
  }
}

function crossModule__rrule(x: Tensor, w1: Tensor, w2: Tensor) {
  let d_x = null;
  let d_w1 = null;
  let d_w2 = null;
  const [__v_residualLayer, __pb_residualLayer] = __ad.ruleOf(residualLayer, __at(51, 30))(x, w1);
  const [__v_residualLayer_2, __pb_residualLayer_2] = __ad.ruleOf(residualLayer, __at(51, 16))(__v_residualLayer, w2);
  const [__v_halve, __pb_halve] = __ad.ruleOf(halve, __at(51, 10))(__v_residualLayer_2);
  return [__v_halve, crossModule_pullback];
  function crossModule_pullback(__dy: any): any[] {
    d_x = d_w1 = d_w2 = null;
    { // pullback of: return halve(residualLayer(residualLayer(x, w1), w2)); (line 51)
      let __d_residualLayer: any = null;
      let __d_residualLayer_2: any = null;
      if (__dy !== null) __d_residualLayer_2 = __pb_halve(__dy)[0];
      if (__d_residualLayer_2 !== null) {
        const __g_residualLayer_2 = __pb_residualLayer_2(__d_residualLayer_2);
        __d_residualLayer = __g_residualLayer_2[0];
        d_w2 = __ad.acc(d_w2, __g_residualLayer_2[1]);
      }
      if (__d_residualLayer !== null) {
        const __g_residualLayer = __pb_residualLayer(__d_residualLayer);
        d_x = __ad.acc(d_x, __g_residualLayer[0]);
        d_w1 = __ad.acc(d_w1, __g_residualLayer[1]);
      }
    }
    return [d_x, d_w1, d_w2];
  }
}

function recurse__rrule(x: Tensor, w: Tensor, depth: number) {
  let d_x = null;
  let d_w = null;
  let d_depth = null;
  const __tape: unknown[] = []; // the path taken by the function (it returns early)
  if (__ad.primalOf(depth) === 0) {
    __tape.push(1);
    return [x, recurse_pullback];
  }
  const [__v_matmul, __pb_matmul] = __ops.matmul(x, w);
  const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
  const [__v_sub, __pb_sub] = __ad.num.sub(depth, 1);
  const [__v_recurse, __pb_recurse] = __ad.ruleOf(recurse, __at(57, 10))(__v_tanh, w, __v_sub);
  __tape.push(__pb_matmul, __pb_tanh, __pb_sub, __pb_recurse, 2);
  return [__v_recurse, recurse_pullback];
  function recurse_pullback(__dy: any): any[] {
    d_x = d_w = d_depth = null;
    // pullback of: the function (it returns early)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return x; (line 56)
          d_x = __ad.acc(d_x, __dy);
          break;
        }
        case 2: { // pullback of: return recurse(tanh(matmul(x, w)), w, depth - 1); (line 57)
          const __pb_recurse = __tape[--__t] as any;
          const __pb_sub = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          const __pb_matmul = __tape[--__t] as any;
          let __d_matmul: any = null;
          let __d_tanh: any = null;
          let __d_sub: any = null;
          if (__dy !== null) {
            const __g_recurse = __pb_recurse(__dy);
            __d_tanh = __g_recurse[0];
            d_w = __ad.acc(d_w, __g_recurse[1]);
            __d_sub = __g_recurse[2];
          }
          if (__d_sub !== null) d_depth = __ad.acc(d_depth, __pb_sub(__d_sub)[0]);
          if (__d_tanh !== null) __d_matmul = __pb_tanh(__d_tanh)[0];
          if (__d_matmul !== null) {
            const __g_matmul = __pb_matmul(__d_matmul);
            d_x = __ad.acc(d_x, __g_matmul[0]);
            d_w = __ad.acc(d_w, __g_matmul[1]);
          }
          break;
        }
      }
    }
    return [d_x, d_w, d_depth];
  }
}

function even__rrule(x: Tensor, n: number) {
  let d_x = null;
  let d_n = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 62
  let __v_pick;
  if (__ad.primalOf(n) === 0) {
    __v_pick = x;
    __tape.push(1);
  } else {
    const [__v_tanh, __pb_tanh] = __ops.tanh(x);
    const [__v_sub, __pb_sub] = __ad.num.sub(n, 1);
    const [__v_odd, __pb_odd] = __ad.ruleOf(odd, __at(62, 24))(__v_tanh, __v_sub);
    __v_pick = __v_odd;
    __tape.push(__pb_tanh, __pb_sub, __pb_odd, 2);
  }
  __tape.push(3);
  return [__v_pick, even_pullback];
  function even_pullback(__dy: any): any[] {
    d_x = d_n = __d_pick = null;
    // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_x = __ad.acc(d_x, __o__d_pick);
          break;
        }
        case 2: { // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
          const __pb_odd = __tape[--__t] as any;
          const __pb_sub = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          let __d_tanh: any = null;
          let __d_sub: any = null;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          if (__o__d_pick !== null) {
            const __g_odd = __pb_odd(__o__d_pick);
            __d_tanh = __g_odd[0];
            __d_sub = __g_odd[1];
          }
          if (__d_sub !== null) d_n = __ad.acc(d_n, __pb_sub(__d_sub)[0]);
          if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
          break;
        }
        case 3: { // pullback of: return n === 0 ? x : odd(tanh(x), n - 1); (line 62)
          __d_pick = __ad.acc(__d_pick, __dy);
          break;
        }
      }
    }
    return [d_x, d_n];
  }
}

function odd__rrule(x: Tensor, n: number) {
  let d_x = null;
  let d_n = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 65
  let __v_pick;
  if (__ad.primalOf(n) === 0) {
    __v_pick = x;
    __tape.push(1);
  } else {
    const [__v_mul, __pb_mul] = __ops.mul(x, x);
    const [__v_sub, __pb_sub] = __ad.num.sub(n, 1);
    const [__v_even, __pb_even] = __ad.ruleOf(even, __at(65, 24))(__v_mul, __v_sub);
    __v_pick = __v_even;
    __tape.push(__pb_mul, __pb_sub, __pb_even, 2);
  }
  __tape.push(3);
  return [__v_pick, odd_pullback];
  function odd_pullback(__dy: any): any[] {
    d_x = d_n = __d_pick = null;
    // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_x = __ad.acc(d_x, __o__d_pick);
          break;
        }
        case 2: { // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
          const __pb_even = __tape[--__t] as any;
          const __pb_sub = __tape[--__t] as any;
          const __pb_mul = __tape[--__t] as any;
          let __d_mul: any = null;
          let __d_sub: any = null;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          if (__o__d_pick !== null) {
            const __g_even = __pb_even(__o__d_pick);
            __d_mul = __g_even[0];
            __d_sub = __g_even[1];
          }
          if (__d_sub !== null) d_n = __ad.acc(d_n, __pb_sub(__d_sub)[0]);
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_x = __ad.acc(d_x, __g_mul[0]);
            d_x = __ad.acc(d_x, __g_mul[1]);
          }
          break;
        }
        case 3: { // pullback of: return n === 0 ? x : even(mul(x, x), n - 1); (line 65)
          __d_pick = __ad.acc(__d_pick, __dy);
          break;
        }
      }
    }
    return [d_x, d_n];
  }
}

function makeShift__rrule(s: Tensor) {
  let d_s = null;
  let __reversing4 = false;
  return [__ad.withRule((h) => sub(h, s),
    function anonymous_70__rrule(h) {
      let d_h = null;
      const [__v_sub, __pb_sub] = __ops.sub(h, s);
      return [__v_sub, anonymous_70_pullback];
      function anonymous_70_pullback(__dy: any): any[] {
        if (!(__reversing4)) __ad.escapedClosure(`the function at ${__at(70, 10)}`, `makeShift`);
        d_h = null;
        { // pullback of: sub(h, s) (line 70)
          if (__dy !== null) {
            const __g_sub = __pb_sub(__dy);
            d_h = __ad.acc(d_h, __g_sub[0]);
            d_s = __ad.acc(d_s, __g_sub[1]);
          }
        }
        return [d_h];
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
    let d_h = null;
    const [__v_sub, __pb_sub] = __ops.sub(h, s);
    return [__v_sub, anonymous_70_pullback];
    function anonymous_70_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: sub(h, s) (line 70)
        if (__dy !== null) d_h = __ad.acc(d_h, __pb_sub(__dy)[0]);
      }
      return [d_h];
    }
  }
}

function usesMadeClosure__rrule(x: Tensor, s: Tensor) {
  let d_x = null;
  let d_s = null;
  let d_shift = null;
  const [shift, __pb_makeShift] = __ad.ruleOf(makeShift, __at(74, 17))(s);
  const [__v_shift, __pb_shift] = __ad.ruleOf(shift, __at(75, 21))(x);
  const [__v_tanh, __pb_tanh] = __ops.tanh(__v_shift);
  const [__v_shift_2, __pb_shift_2] = __ad.ruleOf(shift, __at(75, 10))(__v_tanh);
  return [__v_shift_2, usesMadeClosure_pullback];
  function usesMadeClosure_pullback(__dy: any): any[] {
    d_x = d_s = d_shift = null;
    { // pullback of: return shift(tanh(shift(x))); (line 75)
      let __d_shift: any = null;
      let __d_tanh: any = null;
      if (__dy !== null) __d_tanh = __pb_shift_2(__dy)[0];
      if (__d_tanh !== null) __d_shift = __pb_tanh(__d_tanh)[0];
      if (__d_shift !== null) d_x = __ad.acc(d_x, __pb_shift(__d_shift)[0]);
    }
    { // pullback of: const shift = makeShift(s); (line 74)
      const __o_d_shift = d_shift;
      d_shift = null;
      if (__o_d_shift !== null) d_s = __ad.acc(d_s, __pb_makeShift(__o_d_shift)[0]);
    }
    return [d_x, d_s];
  }
}

function nestedClosures__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  let d_h_2 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 85
  let __reversing5 = false;
  const outer = __ad.withRule((h: Tensor) => {
    const inner = __ad.withRule((g: Tensor) => mul(g, w), (...__a) => inner__rrule_in(w)(...__a), "inner", (__a, __t) => __fwd.get("inner__frule_in")(w)(__a, __t));
    return add(inner(h), inner(tanh(h)));
  },
    function outer__rrule(h: Tensor) {
      let d_h = null;
      const inner = __ad.withRule((g: Tensor) => mul(g, w),
    function inner__rrule(g: Tensor) {
      let d_g = null;
      const [__v_mul, __pb_mul] = __ops.mul(g, w);
      return [__v_mul, inner_pullback];
      function inner_pullback(__dy: any): any[] {
        if (!(__reversing5)) __ad.escapedClosure(`inner (${__at(81, 19)})`, `nestedClosures`);
        d_g = null;
        { // pullback of: mul(g, w) (line 81)
          if (__dy !== null) {
            const __g_mul = __pb_mul(__dy);
            d_g = __ad.acc(d_g, __g_mul[0]);
            d_w = __ad.acc(d_w, __g_mul[1]);
          }
        }
        return [d_g];
      }
    });
      const [__v_inner, __pb_inner] = __ad.ruleOf(inner, __at(82, 16))(h);
      const [__v_tanh, __pb_tanh] = __ops.tanh(h);
      const [__v_inner_2, __pb_inner_2] = __ad.ruleOf(inner, __at(82, 26))(__v_tanh);
      const [__v_add, __pb_add] = __ops.add(__v_inner, __v_inner_2);
      return [__v_add, outer_pullback];
      function outer_pullback(__dy: any): any[] {
        if (!(__reversing5)) __ad.escapedClosure(`outer (${__at(80, 17)})`, `nestedClosures`);
        d_h = null;
        { // pullback of: return add(inner(h), inner(tanh(h))); (line 82)
          let __d_inner: any = null;
          let __d_tanh: any = null;
          let __d_inner_2: any = null;
          if (__dy !== null) {
            const __g_add = __pb_add(__dy);
            __d_inner = __g_add[0];
            __d_inner_2 = __g_add[1];
          }
          if (__d_inner_2 !== null) __d_tanh = __pb_inner_2(__d_inner_2)[0];
          if (__d_tanh !== null) d_h = __ad.acc(d_h, __pb_tanh(__d_tanh)[0]);
          if (__d_inner !== null) d_h = __ad.acc(d_h, __pb_inner(__d_inner)[0]);
        }
        return [d_h];
      }
    });
  let h = x;
  for (let i = 0; i < 2; i++) {
    const [__v_outer, __pb_outer] = __ad.ruleOf(outer, __at(85, 35))(h);
    h = __v_outer;
    __tape.push(__pb_outer, 2);
  }
  return [h, nestedClosures_pullback];
  function nestedClosures_pullback(__dy: any): any[] {
    __reversing5 = true;
    d_x = d_w = d_h_2 = null;
    { // pullback of: return h; (line 86)
      d_h_2 = __ad.acc(d_h_2, __dy);
    }
    // pullback of: for (let i = 0; i < 2; i++) h = outer(h); (line 85)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: h = outer(h); (line 85)
          const __pb_outer = __tape[--__t] as any;
          const __o_d_h_2 = d_h_2;
          d_h_2 = null;
          if (__o_d_h_2 !== null) d_h_2 = __ad.acc(d_h_2, __pb_outer(__o_d_h_2)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 84)
      const __o_d_h_2 = d_h_2;
      d_h_2 = null;
      d_x = __ad.acc(d_x, __o_d_h_2);
    }
    __reversing5 = false;
    return [d_x, d_w];
  }
}

// the rule of `outer` (line 80), given the variables it captures
function outer__rrule_in(w: any) {
  return function outer__rrule(h: Tensor) {
    let d_h = null;
    const inner = __ad.withRule((g: Tensor) => mul(g, w),
    function inner__rrule(g: Tensor) {
      let d_g = null;
      const [__v_mul, __pb_mul] = __ops.mul(g, w);
      return [__v_mul, inner_pullback];
      function inner_pullback(__dy: any): any[] {
        d_g = null;
        { // pullback of: mul(g, w) (line 81)
          if (__dy !== null) d_g = __ad.acc(d_g, __pb_mul(__dy)[0]);
        }
        return [d_g];
      }
    });
    const [__v_inner, __pb_inner] = __ad.ruleOf(inner, __at(82, 16))(h);
    const [__v_tanh, __pb_tanh] = __ops.tanh(h);
    const [__v_inner_2, __pb_inner_2] = __ad.ruleOf(inner, __at(82, 26))(__v_tanh);
    const [__v_add, __pb_add] = __ops.add(__v_inner, __v_inner_2);
    return [__v_add, outer_pullback];
    function outer_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: return add(inner(h), inner(tanh(h))); (line 82)
        let __d_inner: any = null;
        let __d_tanh: any = null;
        let __d_inner_2: any = null;
        if (__dy !== null) {
          const __g_add = __pb_add(__dy);
          __d_inner = __g_add[0];
          __d_inner_2 = __g_add[1];
        }
        if (__d_inner_2 !== null) __d_tanh = __pb_inner_2(__d_inner_2)[0];
        if (__d_tanh !== null) d_h = __ad.acc(d_h, __pb_tanh(__d_tanh)[0]);
        if (__d_inner !== null) d_h = __ad.acc(d_h, __pb_inner(__d_inner)[0]);
      }
      return [d_h];
    }
  }
}

// the rule of `inner` (line 81), given the variables it captures
function inner__rrule_in(w: any) {
  return function inner__rrule(g: Tensor) {
    let d_g = null;
    const [__v_mul, __pb_mul] = __ops.mul(g, w);
    return [__v_mul, inner_pullback];
    function inner_pullback(__dy: any): any[] {
      d_g = null;
      { // pullback of: mul(g, w) (line 81)
        if (__dy !== null) d_g = __ad.acc(d_g, __pb_mul(__dy)[0]);
      }
      return [d_g];
    }
  }
}

function recursiveClosure__rrule(x: Tensor, w: Tensor, n: number) {
  let d_x = null;
  let d_w = null;
  let d_n = null;
  let __reversing6 = false;
  const go = __ad.withRule((h: Tensor, k: number): Tensor => (k === 0 ? h : go(tanh(mul(h, w)), k - 1)),
    function go__rrule(h: Tensor, k: number) {
      let d_h = null;
      let d_k = null;
      let __d_pick = null;
      const __tape: unknown[] = []; // the path taken by the statement on line 91
      let __v_pick;
      if (__ad.primalOf(k) === 0) {
        __v_pick = h;
        __tape.push(1);
      } else {
        const [__v_mul, __pb_mul] = __ops.mul(h, w);
        const [__v_tanh, __pb_tanh] = __ops.tanh(__v_mul);
        const [__v_sub, __pb_sub] = __ad.num.sub(k, 1);
        const [__v_go, __pb_go] = __ad.ruleOf(go, __at(91, 63))(__v_tanh, __v_sub);
        __v_pick = __v_go;
        __tape.push(__pb_mul, __pb_tanh, __pb_sub, __pb_go, 2);
      }
      __tape.push(3);
      return [__v_pick, go_pullback];
      function go_pullback(__dy: any): any[] {
        if (!(__reversing6)) __ad.escapedClosure(`go (${__at(91, 14)})`, `recursiveClosure`);
        d_h = d_k = __d_pick = null;
        // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
        // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
        for (let __t = __tape.length; __t > 0; ) {
          switch (__tape[--__t]) {
            case 1: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
              const __o__d_pick = __d_pick;
              __d_pick = null;
              d_h = __ad.acc(d_h, __o__d_pick);
              break;
            }
            case 2: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
              const __pb_go = __tape[--__t] as any;
              const __pb_sub = __tape[--__t] as any;
              const __pb_tanh = __tape[--__t] as any;
              const __pb_mul = __tape[--__t] as any;
              let __d_mul: any = null;
              let __d_tanh: any = null;
              let __d_sub: any = null;
              const __o__d_pick = __d_pick;
              __d_pick = null;
              if (__o__d_pick !== null) {
                const __g_go = __pb_go(__o__d_pick);
                __d_tanh = __g_go[0];
                __d_sub = __g_go[1];
              }
              if (__d_sub !== null) d_k = __ad.acc(d_k, __pb_sub(__d_sub)[0]);
              if (__d_tanh !== null) __d_mul = __pb_tanh(__d_tanh)[0];
              if (__d_mul !== null) {
                const __g_mul = __pb_mul(__d_mul);
                d_h = __ad.acc(d_h, __g_mul[0]);
                d_w = __ad.acc(d_w, __g_mul[1]);
              }
              break;
            }
            case 3: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
              __d_pick = __ad.acc(__d_pick, __dy);
              break;
            }
          }
        }
        return [d_h, d_k];
      }
    });
  const [__v_go, __pb_go] = __ad.ruleOf(go, __at(92, 10))(x, n);
  return [__v_go, recursiveClosure_pullback];
  function recursiveClosure_pullback(__dy: any): any[] {
    __reversing6 = true;
    d_x = d_w = d_n = null;
    { // pullback of: return go(x, n); (line 92)
      if (__dy !== null) {
        const __g_go = __pb_go(__dy);
        d_x = __ad.acc(d_x, __g_go[0]);
        d_n = __ad.acc(d_n, __g_go[1]);
      }
    }
    __reversing6 = false;
    return [d_x, d_w, d_n];
  }
}

// the rule of `go` (line 91), given the variables it captures
function go__rrule_in(w: any, go: any) {
  return function go__rrule(h: Tensor, k: number) {
    let d_h = null;
    let d_k = null;
    let __d_pick = null;
    const __tape: unknown[] = []; // the path taken by the statement on line 91
    let __v_pick;
    if (__ad.primalOf(k) === 0) {
      __v_pick = h;
      __tape.push(1);
    } else {
      const [__v_mul, __pb_mul] = __ops.mul(h, w);
      const [__v_tanh, __pb_tanh] = __ops.tanh(__v_mul);
      const [__v_sub, __pb_sub] = __ad.num.sub(k, 1);
      const [__v_go, __pb_go] = __ad.ruleOf(go, __at(91, 63))(__v_tanh, __v_sub);
      __v_pick = __v_go;
      __tape.push(__pb_mul, __pb_tanh, __pb_sub, __pb_go, 2);
    }
    __tape.push(3);
    return [__v_pick, go_pullback];
    function go_pullback(__dy: any): any[] {
      d_h = d_k = __d_pick = null;
      // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
      // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
      for (let __t = __tape.length; __t > 0; ) {
        switch (__tape[--__t]) {
          case 1: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            const __o__d_pick = __d_pick;
            __d_pick = null;
            d_h = __ad.acc(d_h, __o__d_pick);
            break;
          }
          case 2: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            const __pb_go = __tape[--__t] as any;
            const __pb_sub = __tape[--__t] as any;
            const __pb_tanh = __tape[--__t] as any;
            const __pb_mul = __tape[--__t] as any;
            let __d_mul: any = null;
            let __d_tanh: any = null;
            let __d_sub: any = null;
            const __o__d_pick = __d_pick;
            __d_pick = null;
            if (__o__d_pick !== null) {
              const __g_go = __pb_go(__o__d_pick);
              __d_tanh = __g_go[0];
              __d_sub = __g_go[1];
            }
            if (__d_sub !== null) d_k = __ad.acc(d_k, __pb_sub(__d_sub)[0]);
            if (__d_tanh !== null) __d_mul = __pb_tanh(__d_tanh)[0];
            if (__d_mul !== null) d_h = __ad.acc(d_h, __pb_mul(__d_mul)[0]);
            break;
          }
          case 3: { // pullback of: (k === 0 ? h : go(tanh(mul(h, w)), k - 1)) (line 91)
            __d_pick = __ad.acc(__d_pick, __dy);
            break;
          }
        }
      }
      return [d_h, d_k];
    }
  }
}

function sumTree__rrule(t: Tensor | Tensor[] | Tensor[][]) {
  let d_t = null;
  let d_acc = null;
  let d_c = null;
  let d_s = null;
  let __d_t = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the function (it returns early)
  if (Array.isArray(__ad.primalOf(t))) {
    let acc: Tensor | null = null;
    __tape.push(1);
    const __v_t = t;
    __tape.push(2);
    for (let __i = 0; __i < __v_t.length; __i++) {
      const __v_t_i = __v_t[__i];
      const c = __v_t_i;
      __tape.push(__i, 3);
      const [s, __pb_sumTree] = __ad.ruleOf(sumTree, __at(100, 17))(c);
      __tape.push(__pb_sumTree, 4);
      let __v_pick;
      if (__ad.primalOf(acc) === null) {
        __v_pick = s;
        __tape.push(5);
      } else {
        const [__v_add, __pb_add] = __ops.add(acc, s);
        __v_pick = __v_add;
        __tape.push(__pb_add, 6);
      }
      acc = __v_pick;
      __tape.push(7);
    }
    __tape.push(8);
    return [acc, sumTree_pullback];
  }
  const [__v_tanh, __pb_tanh] = __ops.tanh(t);
  __tape.push(__pb_tanh, 9);
  return [__v_tanh, sumTree_pullback];
  function sumTree_pullback(__dy: any): any[] {
    d_t = d_acc = d_c = d_s = __d_t = __d_pick = null;
    // pullback of: the function (it returns early)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: let acc: Tensor | null = null; (line 98)
          d_acc = null;
          break;
        }
        case 2: { // pullback of: for (const c of t) { const s = sumTree(c); acc = acc === null ? s : add(a… (line 99)
          const __o__d_t = __d_t;
          __d_t = null;
          d_t = __ad.acc(d_t, __o__d_t);
          break;
        }
        case 3: { // pullback of: for (const c of t) { const s = sumTree(c); acc = acc === null ? s : add(a… (line 99)
          const __i = __tape[--__t] as any;
          const __o_d_c = d_c;
          d_c = null;
          __d_t = __ad.accAt(__d_t, __i, __o_d_c);
          break;
        }
        case 4: { // pullback of: const s = sumTree(c); (line 100)
          const __pb_sumTree = __tape[--__t] as any;
          const __o_d_s = d_s;
          d_s = null;
          if (__o_d_s !== null) d_c = __ad.acc(d_c, __pb_sumTree(__o_d_s)[0]);
          break;
        }
        case 5: { // pullback of: acc = acc === null ? s : add(acc, s); (line 101)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_s = __ad.acc(d_s, __o__d_pick);
          break;
        }
        case 6: { // pullback of: acc = acc === null ? s : add(acc, s); (line 101)
          const __pb_add = __tape[--__t] as any;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          if (__o__d_pick !== null) {
            const __g_add = __pb_add(__o__d_pick);
            d_acc = __ad.acc(d_acc, __g_add[0]);
            d_s = __ad.acc(d_s, __g_add[1]);
          }
          break;
        }
        case 7: { // pullback of: acc = acc === null ? s : add(acc, s); (line 101)
          const __o_d_acc = d_acc;
          d_acc = null;
          __d_pick = __ad.acc(__d_pick, __o_d_acc);
          break;
        }
        case 8: { // pullback of: return acc!; (line 103)
          d_acc = __ad.acc(d_acc, __dy);
          break;
        }
        case 9: { // pullback of: return tanh(t); (line 105)
          const __pb_tanh = __tape[--__t] as any;
          if (__dy !== null) d_t = __ad.acc(d_t, __pb_tanh(__dy)[0]);
          break;
        }
      }
    }
    return [d_t];
  }
}

function iife__rrule(x: Tensor) {
  let d_x = null;
  let d_y = null;
  const [y, __pb_value] = __ad.ruleOf(__ad.withRule((h: Tensor) => tanh(h),
    function anonymous_110__rrule(h: Tensor) {
      let d_h = null;
      const [__v_tanh, __pb_tanh] = __ops.tanh(h);
      return [__v_tanh, anonymous_110_pullback];
      function anonymous_110_pullback(__dy: any): any[] {
        d_h = null;
        { // pullback of: tanh(h) (line 110)
          if (__dy !== null) d_h = __ad.acc(d_h, __pb_tanh(__dy)[0]);
        }
        return [d_h];
      }
    }), __at(110, 14))(
    x
  );
  const [__v_mul, __pb_mul] = __ops.mul(y, x);
  return [__v_mul, iife_pullback];
  function iife_pullback(__dy: any): any[] {
    d_x = d_y = null;
    { // pullback of: return mul(y, x); (line 111)
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        d_y = __ad.acc(d_y, __g_mul[0]);
        d_x = __ad.acc(d_x, __g_mul[1]);
      }
    }
    { // pullback of: const y = ((h: Tensor) => tanh(h))(x); (line 110)
      const __o_d_y = d_y;
      d_y = null;
      if (__o_d_y !== null) d_x = __ad.acc(d_x, __pb_value(__o_d_y)[0]);
    }
    return [d_x];
  }
}

// the rule of `anonymous_110` (line 110), given the variables it captures
function anonymous_110__rrule_in() {
  return function anonymous_110__rrule(h: Tensor) {
    let d_h = null;
    const [__v_tanh, __pb_tanh] = __ops.tanh(h);
    return [__v_tanh, anonymous_110_pullback];
    function anonymous_110_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: tanh(h) (line 110)
        if (__dy !== null) d_h = __ad.acc(d_h, __pb_tanh(__dy)[0]);
      }
      return [d_h];
    }
  }
}

function localHigherOrder__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  let __reversing7 = false;
  __ad.withRule(apply,
    function apply__rrule(f: (h: Tensor) => Tensor, h: Tensor) {
      let d_h = null;
      f = __ad.primalOf(f);
      const [__v_f, __pb_f] = __ad.ruleOf(f, __at(117, 14))(h);
      const [__v_f_2, __pb_f_2] = __ad.ruleOf(f, __at(117, 12))(__v_f);
      return [__v_f_2, apply_pullback];
      function apply_pullback(__dy: any): any[] {
        d_h = null;
        { // pullback of: return f(f(h)); (line 117)
          let __d_f: any = null;
          if (__dy !== null) __d_f = __pb_f_2(__dy)[0];
          if (__d_f !== null) d_h = __ad.acc(d_h, __pb_f(__d_f)[0]);
        }
        return [null, d_h];
      }
    });
  function apply(f: (h: Tensor) => Tensor, h: Tensor): Tensor {
    return f(f(h));
  }
  const [__v_apply, __pb_apply] = __ad.ruleOf(apply, __at(119, 10))(__ad.withRule((h) => matmul(h, w),
    function anonymous_119__rrule(h) {
      let d_h_2 = null;
      const [__v_matmul, __pb_matmul] = __ops.matmul(h, w);
      return [__v_matmul, anonymous_119_pullback];
      function anonymous_119_pullback(__dy: any): any[] {
        if (!(__reversing7)) __ad.escapedClosure(`the function at ${__at(119, 16)}`, `localHigherOrder`);
        d_h_2 = null;
        { // pullback of: matmul(h, w) (line 119)
          if (__dy !== null) {
            const __g_matmul = __pb_matmul(__dy);
            d_h_2 = __ad.acc(d_h_2, __g_matmul[0]);
            d_w = __ad.acc(d_w, __g_matmul[1]);
          }
        }
        return [d_h_2];
      }
    }), x);
  return [__v_apply, localHigherOrder_pullback];
  function localHigherOrder_pullback(__dy: any): any[] {
    __reversing7 = true;
    d_x = d_w = null;
    { // pullback of: return apply((h) => matmul(h, w), x); (line 119)
      if (__dy !== null) d_x = __ad.acc(d_x, __pb_apply(__dy)[1]);
    }
    __reversing7 = false;
    return [d_x, d_w];
  }
}

// the rule of `apply` (line 116), given the variables it captures
function apply__rrule_in(apply: any) {
  return function apply__rrule(f: (h: Tensor) => Tensor, h: Tensor) {
    let d_h = null;
    f = __ad.primalOf(f);
    const [__v_f, __pb_f] = __ad.ruleOf(f, __at(117, 14))(h);
    const [__v_f_2, __pb_f_2] = __ad.ruleOf(f, __at(117, 12))(__v_f);
    return [__v_f_2, apply_pullback];
    function apply_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: return f(f(h)); (line 117)
        let __d_f: any = null;
        if (__dy !== null) __d_f = __pb_f_2(__dy)[0];
        if (__d_f !== null) d_h = __ad.acc(d_h, __pb_f(__d_f)[0]);
      }
      return [null, d_h];
    }
  }
}

// the rule of `anonymous_119` (line 119), given the variables it captures
function anonymous_119__rrule_in(w: any) {
  return function anonymous_119__rrule(h) {
    let d_h = null;
    const [__v_matmul, __pb_matmul] = __ops.matmul(h, w);
    return [__v_matmul, anonymous_119_pullback];
    function anonymous_119_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: matmul(h, w) (line 119)
        if (__dy !== null) d_h = __ad.acc(d_h, __pb_matmul(__dy)[0]);
      }
      return [d_h];
    }
  }
}

function twice__rrule(f: (h: Tensor) => Tensor, h: Tensor) {
  let d_h = null;
  f = __ad.primalOf(f);
  const [__v_f, __pb_f] = __ad.ruleOf(f, __at(124, 12))(h);
  const [__v_f_2, __pb_f_2] = __ad.ruleOf(f, __at(124, 10))(__v_f);
  return [__v_f_2, twice_pullback];
  function twice_pullback(__dy: any): any[] {
    d_h = null;
    { // pullback of: return f(f(h)); (line 124)
      let __d_f: any = null;
      if (__dy !== null) __d_f = __pb_f_2(__dy)[0];
      if (__d_f !== null) d_h = __ad.acc(d_h, __pb_f(__d_f)[0]);
    }
    return [null, d_h];
  }
}

function moduleHigherOrder__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  let __reversing8 = false;
  const [__v_twice, __pb_twice] = __ad.ruleOf(twice, __at(127, 10))(__ad.withRule((h) => tanh(matmul(h, w)),
    function anonymous_127__rrule(h) {
      let d_h = null;
      const [__v_matmul, __pb_matmul] = __ops.matmul(h, w);
      const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
      return [__v_tanh, anonymous_127_pullback];
      function anonymous_127_pullback(__dy: any): any[] {
        if (!(__reversing8)) __ad.escapedClosure(`the function at ${__at(127, 16)}`, `moduleHigherOrder`);
        d_h = null;
        { // pullback of: tanh(matmul(h, w)) (line 127)
          let __d_matmul: any = null;
          if (__dy !== null) __d_matmul = __pb_tanh(__dy)[0];
          if (__d_matmul !== null) {
            const __g_matmul = __pb_matmul(__d_matmul);
            d_h = __ad.acc(d_h, __g_matmul[0]);
            d_w = __ad.acc(d_w, __g_matmul[1]);
          }
        }
        return [d_h];
      }
    }), x);
  return [__v_twice, moduleHigherOrder_pullback];
  function moduleHigherOrder_pullback(__dy: any): any[] {
    __reversing8 = true;
    d_x = d_w = null;
    { // pullback of: return twice((h) => tanh(matmul(h, w)), x); (line 127)
      if (__dy !== null) d_x = __ad.acc(d_x, __pb_twice(__dy)[1]);
    }
    __reversing8 = false;
    return [d_x, d_w];
  }
}

// the rule of `anonymous_127` (line 127), given the variables it captures
function anonymous_127__rrule_in(w: any) {
  return function anonymous_127__rrule(h) {
    let d_h = null;
    const [__v_matmul, __pb_matmul] = __ops.matmul(h, w);
    const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
    return [__v_tanh, anonymous_127_pullback];
    function anonymous_127_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: tanh(matmul(h, w)) (line 127)
        let __d_matmul: any = null;
        if (__dy !== null) __d_matmul = __pb_tanh(__dy)[0];
        if (__d_matmul !== null) d_h = __ad.acc(d_h, __pb_matmul(__d_matmul)[0]);
      }
      return [d_h];
    }
  }
}

function accumulateWithClosure__rrule(x: Tensor, a: Tensor, b: Tensor) {
  let d_x = null;
  let d_a = null;
  let d_b = null;
  let d_acc = null;
  let __reversing9 = false;
  let acc = x;
  const addTo = __ad.withRule((y: Tensor) => add(acc, mul(y, x)),
    function addTo__rrule(y: Tensor) {
      let d_y = null;
      const [__v_mul, __pb_mul] = __ops.mul(y, x);
      const [__v_add, __pb_add] = __ops.add(acc, __v_mul);
      return [__v_add, addTo_pullback];
      function addTo_pullback(__dy: any): any[] {
        if (!(__reversing9)) __ad.escapedClosure(`addTo (${__at(133, 17)})`, `accumulateWithClosure`);
        d_y = null;
        { // pullback of: add(acc, mul(y, x)) (line 133)
          let __d_mul: any = null;
          if (__dy !== null) {
            const __g_add = __pb_add(__dy);
            d_acc = __ad.acc(d_acc, __g_add[0]);
            __d_mul = __g_add[1];
          }
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_y = __ad.acc(d_y, __g_mul[0]);
            d_x = __ad.acc(d_x, __g_mul[1]);
          }
        }
        return [d_y];
      }
    });
  const [__v_addTo, __pb_addTo] = __ad.ruleOf(addTo, __at(134, 9))(a);
  acc = __v_addTo;
  const [__v_addTo_2, __pb_addTo_2] = __ad.ruleOf(addTo, __at(135, 9))(b);
  acc = __v_addTo_2;
  return [acc, accumulateWithClosure_pullback];
  function accumulateWithClosure_pullback(__dy: any): any[] {
    __reversing9 = true;
    d_x = d_a = d_b = d_acc = null;
    { // pullback of: return acc; (line 136)
      d_acc = __ad.acc(d_acc, __dy);
    }
    { // pullback of: acc = addTo(b); (line 135)
      const __o_d_acc = d_acc;
      d_acc = null;
      if (__o_d_acc !== null) d_b = __ad.acc(d_b, __pb_addTo_2(__o_d_acc)[0]);
    }
    { // pullback of: acc = addTo(a); (line 134)
      const __o_d_acc = d_acc;
      d_acc = null;
      if (__o_d_acc !== null) d_a = __ad.acc(d_a, __pb_addTo(__o_d_acc)[0]);
    }
    { // pullback of: let acc = x; (line 132)
      const __o_d_acc = d_acc;
      d_acc = null;
      d_x = __ad.acc(d_x, __o_d_acc);
    }
    __reversing9 = false;
    return [d_x, d_a, d_b];
  }
}

// the rule of `addTo` (line 133), given the variables it captures
function addTo__rrule_in(x: any, acc: any) {
  return function addTo__rrule(y: Tensor) {
    let d_y = null;
    const [__v_mul, __pb_mul] = __ops.mul(y, x);
    const [__v_add, __pb_add] = __ops.add(acc, __v_mul);
    return [__v_add, addTo_pullback];
    function addTo_pullback(__dy: any): any[] {
      d_y = null;
      { // pullback of: add(acc, mul(y, x)) (line 133)
        let __d_mul: any = null;
        if (__dy !== null) __d_mul = __pb_add(__dy)[1];
        if (__d_mul !== null) d_y = __ad.acc(d_y, __pb_mul(__d_mul)[0]);
      }
      return [d_y];
    }
  }
}

function hoistedUse__rrule(x: Tensor) {
  let d_x = null;
  const [__v_later, __pb_later] = __ad.ruleOf(later, __at(141, 10))(x);
  return [__v_later, hoistedUse_pullback];
  function hoistedUse_pullback(__dy: any): any[] {
    d_x = null;
    { // pullback of: return later(x); (line 141)
      if (__dy !== null) d_x = __ad.acc(d_x, __pb_later(__dy)[0]);
    }
    return [d_x];
  }
}

function later__rrule(x: Tensor) {
  let d_x = null;
  const [__v_mul, __pb_mul] = __ops.mul(x, x);
  const [__v_tanh, __pb_tanh] = __ops.tanh(__v_mul);
  return [__v_tanh, later_pullback];
  function later_pullback(__dy: any): any[] {
    d_x = null;
    { // pullback of: return tanh(mul(x, x)); (line 145)
      let __d_mul: any = null;
      if (__dy !== null) __d_mul = __pb_tanh(__dy)[0];
      if (__d_mul !== null) {
        const __g_mul = __pb_mul(__d_mul);
        d_x = __ad.acc(d_x, __g_mul[0]);
        d_x = __ad.acc(d_x, __g_mul[1]);
      }
    }
    return [d_x];
  }
}

function declInLoop__rrule(xs: Tensor[], w: Tensor) {
  let d_xs = null;
  let d_w = null;
  let d_h = null;
  let d_x = null;
  let __d_xs = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 151
  let __reversing10 = false;
  let h = w;
  const __v_xs = xs;
  __tape.push(2);
  for (let __i = 0; __i < __v_xs.length; __i++) {
    const __v_xs_i = __v_xs[__i];
    const x = __v_xs_i;
    __tape.push(__i, 3);
    __ad.withRule(step,
      function step__rrule(g: Tensor) {
        let d_g = null;
        const [__v_mul, __pb_mul] = __ops.mul(x, w);
        const [__v_add, __pb_add] = __ops.add(g, __v_mul);
        return [__v_add, step_pullback];
        function step_pullback(__dy: any): any[] {
          if (!(__reversing10)) __ad.escapedClosure(`step (${__at(152, 5)})`, `declInLoop`);
          d_g = null;
          { // pullback of: return add(g, mul(x, w)); (line 153)
            let __d_mul: any = null;
            if (__dy !== null) {
              const __g_add = __pb_add(__dy);
              d_g = __ad.acc(d_g, __g_add[0]);
              __d_mul = __g_add[1];
            }
            if (__d_mul !== null) {
              const __g_mul = __pb_mul(__d_mul);
              d_x = __ad.acc(d_x, __g_mul[0]);
              d_w = __ad.acc(d_w, __g_mul[1]);
            }
          }
          return [d_g];
        }
      });
    function step(g: Tensor): Tensor {
      return add(g, mul(x, w));
    }
    const [__v_step, __pb_step] = __ad.ruleOf(step, __at(155, 9))(h);
    h = __v_step;
    __tape.push(__pb_step, 4);
  }
  return [h, declInLoop_pullback];
  function declInLoop_pullback(__dy: any): any[] {
    __reversing10 = true;
    d_xs = d_w = d_h = d_x = __d_xs = null;
    { // pullback of: return h; (line 157)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (const x of xs) { function step(g: Tensor): Tensor { return add(g, mul(x, w… (line 151)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: for (const x of xs) { function step(g: Tensor): Tensor { return add(g, m… (line 151)
          const __o__d_xs = __d_xs;
          __d_xs = null;
          d_xs = __ad.acc(d_xs, __o__d_xs);
          break;
        }
        case 3: { // pullback of: for (const x of xs) { function step(g: Tensor): Tensor { return add(g, m… (line 151)
          const __i = __tape[--__t] as any;
          const __o_d_x = d_x;
          d_x = null;
          __d_xs = __ad.accAt(__d_xs, __i, __o_d_x);
          break;
        }
        case 4: { // pullback of: h = step(h); (line 155)
          const __pb_step = __tape[--__t] as any;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) d_h = __ad.acc(d_h, __pb_step(__o_d_h)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = w; (line 150)
      const __o_d_h = d_h;
      d_h = null;
      d_w = __ad.acc(d_w, __o_d_h);
    }
    __reversing10 = false;
    return [d_xs, d_w];
  }
}

// the rule of `step` (line 152), given the variables it captures
function step__rrule_in2(w: any, x: any, step: any) {
  return function step__rrule(g: Tensor) {
    let d_g = null;
    const [__v_add, __pb_add] = __ops.add(g, mul(x, w));
    return [__v_add, step_pullback];
    function step_pullback(__dy: any): any[] {
      d_g = null;
      { // pullback of: return add(g, mul(x, w)); (line 153)
        if (__dy !== null) d_g = __ad.acc(d_g, __pb_add(__dy)[0]);
      }
      return [d_g];
    }
  }
}

function fnExprArg__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  let __reversing11 = false;
  const [__v_iterate, __pb_iterate] = __ad.ruleOf(iterate, __at(162, 10))(__ad.withRule(function (h: Tensor) {
    return tanh(mul(h, w));
  },
    function anonymous_162__rrule(h: Tensor) {
      let d_h = null;
      const [__v_mul, __pb_mul] = __ops.mul(h, w);
      const [__v_tanh, __pb_tanh] = __ops.tanh(__v_mul);
      return [__v_tanh, anonymous_162_pullback];
      function anonymous_162_pullback(__dy: any): any[] {
        if (!(__reversing11)) __ad.escapedClosure(`the function at ${__at(162, 18)}`, `fnExprArg`);
        d_h = null;
        { // pullback of: return tanh(mul(h, w)); (line 163)
          let __d_mul: any = null;
          if (__dy !== null) __d_mul = __pb_tanh(__dy)[0];
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_h = __ad.acc(d_h, __g_mul[0]);
            d_w = __ad.acc(d_w, __g_mul[1]);
          }
        }
        return [d_h];
      }
    }), x, 2);
  return [__v_iterate, fnExprArg_pullback];
  function fnExprArg_pullback(__dy: any): any[] {
    __reversing11 = true;
    d_x = d_w = null;
    { // pullback of: return iterate(function (h: Tensor) { return tanh(mul(h, w)); }, x, 2); (line 162)
      if (__dy !== null) d_x = __ad.acc(d_x, __pb_iterate(__dy)[1]);
    }
    __reversing11 = false;
    return [d_x, d_w];
  }
}

// the rule of `anonymous_162` (line 162), given the variables it captures
function anonymous_162__rrule_in(w: any) {
  return function anonymous_162__rrule(h: Tensor) {
    let d_h = null;
    const [__v_mul, __pb_mul] = __ops.mul(h, w);
    const [__v_tanh, __pb_tanh] = __ops.tanh(__v_mul);
    return [__v_tanh, anonymous_162_pullback];
    function anonymous_162_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: return tanh(mul(h, w)); (line 163)
        let __d_mul: any = null;
        if (__dy !== null) __d_mul = __pb_tanh(__dy)[0];
        if (__d_mul !== null) d_h = __ad.acc(d_h, __pb_mul(__d_mul)[0]);
      }
      return [d_h];
    }
  }
}

function a__rrule(h: Tensor) {
  let d_h = null;
  const [__v_tanh, __pb_tanh] = __ops.tanh(h);
  return [__v_tanh, a_pullback];
  function a_pullback(__dy: any): any[] {
    d_h = null;
    { // pullback of: tanh(h) (line 168)
      if (__dy !== null) d_h = __ad.acc(d_h, __pb_tanh(__dy)[0]);
    }
    return [d_h];
  }
}

function b__rrule(h: Tensor) {
  let d_h = null;
  const [__v_exp, __pb_exp] = __ops.exp(h);
  return [__v_exp, b_pullback];
  function b_pullback(__dy: any): any[] {
    d_h = null;
    { // pullback of: exp(h) (line 168)
      if (__dy !== null) d_h = __ad.acc(d_h, __pb_exp(__dy)[0]);
    }
    return [d_h];
  }
}

function fromObject__rrule(x: Tensor, k: "a" | "b") {
  let d_x = null;
  k = __ad.primalOf(k);
  const [__v_table_k, __pb_table_k] = __ad.ruleOf(table[k], __at(170, 14))(x);
  const [__v_table_a, __pb_table_a] = __ad.ruleOf(table.a, __at(170, 27))(x);
  const [__v_mul, __pb_mul] = __ops.mul(__v_table_k, __v_table_a);
  return [__v_mul, fromObject_pullback];
  function fromObject_pullback(__dy: any): any[] {
    d_x = null;
    { // pullback of: return mul(table[k](x), table.a(x)); (line 170)
      let __d_table_k: any = null;
      let __d_table_a: any = null;
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        __d_table_k = __g_mul[0];
        __d_table_a = __g_mul[1];
      }
      if (__d_table_a !== null) d_x = __ad.acc(d_x, __pb_table_a(__d_table_a)[0]);
      if (__d_table_k !== null) d_x = __ad.acc(d_x, __pb_table_k(__d_table_k)[0]);
    }
    return [d_x, null];
  }
}

function anonymous_174__rrule(h: Tensor) {
  let d_h = null;
  const [__v_tanh, __pb_tanh] = __ops.tanh(h);
  return [__v_tanh, anonymous_174_pullback];
  function anonymous_174_pullback(__dy: any): any[] {
    d_h = null;
    { // pullback of: tanh(h) (line 174)
      if (__dy !== null) d_h = __ad.acc(d_h, __pb_tanh(__dy)[0]);
    }
    return [d_h];
  }
}

function anonymous_174__rrule2(h: Tensor) {
  let d_h = null;
  const [__v_mul, __pb_mul] = __ops.mul(h, h);
  return [__v_mul, anonymous_174_pullback];
  function anonymous_174_pullback(__dy: any): any[] {
    d_h = null;
    { // pullback of: mul(h, h) (line 174)
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        d_h = __ad.acc(d_h, __g_mul[0]);
        d_h = __ad.acc(d_h, __g_mul[1]);
      }
    }
    return [d_h];
  }
}

function fromArray__rrule(x: Tensor) {
  let d_x = null;
  let d_h = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 177
  let h = x;
  for (let i = 0; i < list.length; i++) {
    const [__v_list_i, __pb_list_i] = __ad.ruleOf(list[i], __at(177, 45))(h);
    h = __v_list_i;
    __tape.push(__pb_list_i, 2);
  }
  return [h, fromArray_pullback];
  function fromArray_pullback(__dy: any): any[] {
    d_x = d_h = null;
    { // pullback of: return h; (line 178)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (let i = 0; i < list.length; i++) h = list[i](h); (line 177)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: h = list[i](h); (line 177)
          const __pb_list_i = __tape[--__t] as any;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) d_h = __ad.acc(d_h, __pb_list_i(__o_d_h)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 176)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_x];
  }
}

function forward__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  const [__v_matmul, __pb_matmul] = __ops.matmul(x, w);
  const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
  return [__v_tanh, forward_pullback];
  function forward_pullback(__dy: any): any[] {
    d_x = d_w = null;
    { // pullback of: tanh(matmul(x, w)) (line 183)
      let __d_matmul: any = null;
      if (__dy !== null) __d_matmul = __pb_tanh(__dy)[0];
      if (__d_matmul !== null) {
        const __g_matmul = __pb_matmul(__d_matmul);
        d_x = __ad.acc(d_x, __g_matmul[0]);
        d_w = __ad.acc(d_w, __g_matmul[1]);
      }
    }
    return [d_x, d_w];
  }
}

function usesModel__rrule(x: Tensor, w: Tensor) {
  let d_x = null;
  let d_w = null;
  const [__v_model_forward, __pb_model_forward] = __ad.ruleOf(model.forward, __at(186, 24))(x, w);
  const [__v_model_forward_2, __pb_model_forward_2] = __ad.ruleOf(model.forward, __at(186, 10))(__v_model_forward, w);
  return [__v_model_forward_2, usesModel_pullback];
  function usesModel_pullback(__dy: any): any[] {
    d_x = d_w = null;
    { // pullback of: return model.forward(model.forward(x, w), w); (line 186)
      let __d_model_forward: any = null;
      if (__dy !== null) {
        const __g_model_forward_2 = __pb_model_forward_2(__dy);
        __d_model_forward = __g_model_forward_2[0];
        d_w = __ad.acc(d_w, __g_model_forward_2[1]);
      }
      if (__d_model_forward !== null) {
        const __g_model_forward = __pb_model_forward(__d_model_forward);
        d_x = __ad.acc(d_x, __g_model_forward[0]);
        d_w = __ad.acc(d_w, __g_model_forward[1]);
      }
    }
    return [d_x, d_w];
  }
}

function nestedReturnStructures__rrule(x: Tensor, depth: number) {
  let d_x = null;
  let d_depth = null;
  let d_inner = null;
  const __tape: unknown[] = []; // the path taken by the function (it returns early)
  if (__ad.primalOf(depth) === 0) {
    const __v_array = [x];
    __tape.push(1);
    return [__v_array, nestedReturnStructures_pullback];
  }
  const [__v_tanh, __pb_tanh] = __ops.tanh(x);
  const [__v_sub, __pb_sub] = __ad.num.sub(depth, 1);
  const [inner, __pb_nestedReturnStructures] = __ad.ruleOf(nestedReturnStructures, __at(192, 17))(__v_tanh, __v_sub);
  __tape.push(__pb_tanh, __pb_sub, __pb_nestedReturnStructures, 2);
  const __n_inner = inner.length;
  const __v_inner_0 = inner[0];
  const [__v_mul, __pb_mul] = __ops.mul(x, __v_inner_0);
  const __v_array_2 = [...inner, __v_mul];
  __tape.push(__n_inner, __pb_mul, 3);
  return [__v_array_2, nestedReturnStructures_pullback];
  function nestedReturnStructures_pullback(__dy: any): any[] {
    d_x = d_depth = d_inner = null;
    // pullback of: the function (it returns early)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return [x]; (line 191)
          d_x = __ad.acc(d_x, __ad.at(__dy, 0));
          break;
        }
        case 2: { // pullback of: const inner = nestedReturnStructures(tanh(x), depth - 1); (line 192)
          const __pb_nestedReturnStructures = __tape[--__t] as any;
          const __pb_sub = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          let __d_tanh: any = null;
          let __d_sub: any = null;
          const __o_d_inner = d_inner;
          d_inner = null;
          if (__o_d_inner !== null) {
            const __g_nestedReturnStructures = __pb_nestedReturnStructures(__o_d_inner);
            __d_tanh = __g_nestedReturnStructures[0];
            __d_sub = __g_nestedReturnStructures[1];
          }
          if (__d_sub !== null) d_depth = __ad.acc(d_depth, __pb_sub(__d_sub)[0]);
          if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
          break;
        }
        case 3: { // pullback of: return [...inner, mul(x, inner[0])]; (line 193)
          const __pb_mul = __tape[--__t] as any;
          const __n_inner = __tape[--__t] as any;
          let __d_inner_0: any = null;
          let __d_mul: any = null;
          d_inner = __ad.acc(d_inner, __ad.sliceCotangent(__dy, 0, __n_inner));
          __d_mul = __ad.at(__dy, __n_inner + 0);
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_x = __ad.acc(d_x, __g_mul[0]);
            __d_inner_0 = __g_mul[1];
          }
          d_inner = __ad.accAt(d_inner, 0, __d_inner_0);
          break;
        }
      }
    }
    return [d_x, d_depth];
  }
}

function sumOfNested__rrule(x: Tensor) {
  let d_x = null;
  let d_parts = null;
  let d_acc = null;
  let d_p = null;
  let __d_parts = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 200
  const [parts, __pb_nestedReturnStructures] = __ad.ruleOf(nestedReturnStructures, __at(198, 17))(x, 3);
  let acc = parts[0];
  const __v_parts = parts;
  __tape.push(3);
  for (let __i = 0; __i < __v_parts.length; __i++) {
    const __v_parts_i = __v_parts[__i];
    const p = __v_parts_i;
    __tape.push(__i, 4);
    const [__v_add, __pb_add] = __ops.add(acc, p);
    acc = __v_add;
    __tape.push(__pb_add, 5);
  }
  return [acc, sumOfNested_pullback];
  function sumOfNested_pullback(__dy: any): any[] {
    d_x = d_parts = d_acc = d_p = __d_parts = null;
    { // pullback of: return acc; (line 201)
      d_acc = __ad.acc(d_acc, __dy);
    }
    // pullback of: for (const p of parts) acc = add(acc, p); (line 200)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 3: { // pullback of: for (const p of parts) acc = add(acc, p); (line 200)
          const __o__d_parts = __d_parts;
          __d_parts = null;
          d_parts = __ad.acc(d_parts, __o__d_parts);
          break;
        }
        case 4: { // pullback of: for (const p of parts) acc = add(acc, p); (line 200)
          const __i = __tape[--__t] as any;
          const __o_d_p = d_p;
          d_p = null;
          __d_parts = __ad.accAt(__d_parts, __i, __o_d_p);
          break;
        }
        case 5: { // pullback of: acc = add(acc, p); (line 200)
          const __pb_add = __tape[--__t] as any;
          const __o_d_acc = d_acc;
          d_acc = null;
          if (__o_d_acc !== null) {
            const __g_add = __pb_add(__o_d_acc);
            d_acc = __ad.acc(d_acc, __g_add[0]);
            d_p = __ad.acc(d_p, __g_add[1]);
          }
          break;
        }
      }
    }
    { // pullback of: let acc = parts[0]; (line 199)
      const __o_d_acc = d_acc;
      d_acc = null;
      d_parts = __ad.accAt(d_parts, 0, __o_d_acc);
    }
    { // pullback of: const parts = nestedReturnStructures(x, 3); (line 198)
      const __o_d_parts = d_parts;
      d_parts = null;
      if (__o_d_parts !== null) d_x = __ad.acc(d_x, __pb_nestedReturnStructures(__o_d_parts)[0]);
    }
    return [d_x];
  }
}
