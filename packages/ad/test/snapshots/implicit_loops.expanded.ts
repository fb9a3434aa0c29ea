import * as __ad from "@pullback/ad/implicit"; const __ops = __ad.ops; const __fwd = __ad.forwardRules(import.meta.path, "bfd04036def58ec6", (__code: string) => eval(__code)); __ad.withModuleRule(repeat, repeat__rrule, undefined, __fwd.rule("repeat__frule")); __ad.withModuleRule(sumOfProducts, sumOfProducts__rrule, undefined, __fwd.rule("sumOfProducts__frule")); __ad.withModuleRule(stack, stack__rrule, undefined, __fwd.rule("stack__frule")); __ad.withModuleRule(whileLoop, whileLoop__rrule, undefined, __fwd.rule("whileLoop__frule")); __ad.withModuleRule(doWhile, doWhile__rrule, undefined, __fwd.rule("doWhile__frule")); __ad.withModuleRule(nested, nested__rrule, undefined, __fwd.rule("nested__frule")); __ad.withModuleRule(indexed, indexed__rrule, undefined, __fwd.rule("indexed__frule")); __ad.withModuleRule(forIn, forIn__rrule, undefined, __fwd.rule("forIn__frule")); __ad.withModuleRule(flaggedLayers, flaggedLayers__rrule, undefined, __fwd.rule("flaggedLayers__frule")); __ad.withModuleRule(capturedReassigned, capturedReassigned__rrule, undefined, __fwd.rule("capturedReassigned__frule")); __ad.withModuleRule(varInLoop, varInLoop__rrule, undefined, __fwd.rule("varInLoop__frule")); __ad.withModuleRule(foreverBreak, foreverBreak__rrule, undefined, __fwd.rule("foreverBreak__frule")); __ad.withModuleRule(commaFor, commaFor__rrule, undefined, __fwd.rule("commaFor__frule")); __ad.withModuleRule(keysLoop, keysLoop__rrule, undefined, __fwd.rule("keysLoop__frule")); // Corpus: loops — for, for…of over tensors and over parameter objects, while, do…while, nested.
import { add, gelu, linear, matmul, mul, mulScalar, tanh, type Tensor } from "@pullback/tensor";

/** A counted for loop applying an op n times. */
export function repeat(x: Tensor, n: number): Tensor {
  for (let i = 0; i < n; i++) {
    x = tanh(x);
  }
  return x;
}

/** for…of over an array of tensors: a running product-sum. */
export function sumOfProducts(xs: Tensor[], w: Tensor): Tensor {
  let acc = mul(xs[0], w);
  for (const x of xs) {
    acc = add(acc, mul(x, w));
  }
  return acc;
}

/** for…of over a list of parameter objects (an MLP stack). */
export function stack(x: Tensor, layers: { w: Tensor; b: Tensor }[]): Tensor {
  let h = x;
  for (const layer of layers) {
    h = gelu(linear(h, layer.w, layer.b));
  }
  return h;
}

/** A while loop with a counter (inactive) and a tracked accumulator. */
export function whileLoop(x: Tensor, steps: number): Tensor {
  let i = 0;
  let y = x;
  while (i < steps) {
    y = add(mulScalar(y, 0.5), x);
    i++;
  }
  return y;
}

/** do…while: the body runs at least once. */
export function doWhile(x: Tensor, w: Tensor, steps: number): Tensor {
  let y = x;
  let k = 0;
  do {
    y = tanh(matmul(y, w));
    k += 1;
  } while (k < steps);
  return y;
}

/** Nested loops with ops in both levels; the inner one indexes a 2-D array of weights. */
export function nested(x: Tensor, ws: Tensor[][]): Tensor {
  let h = x;
  for (let i = 0; i < ws.length; i++) {
    h = tanh(h);
    for (let j = 0; j < ws[i].length; j++) {
      h = add(h, matmul(h, ws[i][j]));
    }
  }
  return h;
}

/** Indexed reads of tensors of an array in a loop (xs[i] with an inactive index). */
export function indexed(xs: Tensor[]): Tensor {
  let acc = xs[0];
  for (let i = 1; i < xs.length; i++) acc = mul(acc, xs[i]);
  return acc;
}

/** for…in over the keys of a parameter object (computed reads p[k]). */
export function forIn(p: { a: Tensor; b: Tensor; c: Tensor }): Tensor {
  let acc = mulScalar(p.a, 0);
  for (const k in p) {
    acc = add(acc, mul(p[k as keyof typeof p], p.a));
  }
  return acc;
}

/** for…of with a destructuring pattern over objects with a flag (the flag gets no cotangent). */
export function flaggedLayers(ps: { w: Tensor; on: boolean }[], x: Tensor): Tensor {
  let h = x;
  for (const { w, on } of ps) {
    if (!on) continue;
    h = tanh(mul(h, w));
  }
  return h;
}

/** A closure capturing a variable that the loop reassigns (it reads the current value). */
export function capturedReassigned(x: Tensor, y: Tensor): Tensor {
  let s = y;
  const f = __ad.withRule((h: Tensor) => mul(h, s), (...__args: any[]) => f__rrule_in(s)(...__args), "f", (__a: any[], __ta: any[]) => __fwd.get("f__frule_in")(s)(__a, __ta));
  let h = x;
  for (let i = 0; i < 3; i++) {
    s = tanh(s);
    h = f(h);
  }
  return h;
}

/** var declarations in a loop body (function-scoped). */
export function varInLoop(x: Tensor, n: number): Tensor {
  var h = x;
  for (var i = 0; i < n; i++) {
    var t = tanh(h);
    h = add(h, t);
  }
  return h;
}

/** for (;;) left by break. */
export function foreverBreak(x: Tensor): Tensor {
  let h = x;
  let k = 0;
  for (;;) {
    h = tanh(h);
    if (++k === 3) break;
  }
  return h;
}

/** Two counters in a for header (comma expressions). */
export function commaFor(x: Tensor): Tensor {
  let h = x;
  for (let i = 0, j = 4; i < j; i++, j--) h = mul(h, tanh(x));
  return h;
}

/** for…of over Object.keys of a record of tensors (computed reads). */
export function keysLoop(p: Record<string, Tensor>): Tensor {
  let acc: Tensor | null = null;
  for (const k of Object.keys(p)) acc = acc === null ? p[k] : add(acc, mul(p[k], p[k]));
  return acc!;
}
// ---- generated by the pullback loader: the rule (forward + pullback) of every function above ----

function repeat__rrule(x: Tensor, n: number) {
  let d_x = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 6
  for (let i = 0; i < n; i++) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(x);
    x = __v_tanh;
    __tape.push(__pb_tanh, 1);
  }
  return [x, repeat_pullback];
  function repeat_pullback(__dy: any): any[] {
    d_x = null;
    { // pullback of: return x; (line 9)
      d_x = __ad.acc(d_x, __dy);
    }
    // pullback of: for (let i = 0; i < n; i++) { x = tanh(x); } (line 6)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: x = tanh(x); (line 7)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_x = d_x;
          d_x = null;
          if (__o_d_x !== null) d_x = __ad.acc(d_x, __pb_tanh(__o_d_x)[0]);
          break;
        }
      }
    }
    return [d_x, null];
  }
}

function sumOfProducts__rrule(xs: Tensor[], w: Tensor) {
  let d_xs = null;
  let d_w = null;
  let d_acc = null;
  let d_x = null;
  let __d_xs = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 15
  const __v_xs_0 = xs[0];
  let [acc, __pb_mul] = __ops.mul(__v_xs_0, w);
  const __v_xs = xs;
  __tape.push(2);
  for (let __i = 0; __i < __v_xs.length; __i++) {
    const __v_xs_i = __v_xs[__i];
    const x = __v_xs_i;
    __tape.push(__i, 3);
    const [__v_mul_2, __pb_mul_2] = __ops.mul(x, w);
    const [__v_add, __pb_add] = __ops.add(acc, __v_mul_2);
    acc = __v_add;
    __tape.push(__pb_mul_2, __pb_add, 4);
  }
  return [acc, sumOfProducts_pullback];
  function sumOfProducts_pullback(__dy: any): any[] {
    d_xs = d_w = d_acc = d_x = __d_xs = null;
    { // pullback of: return acc; (line 18)
      d_acc = __ad.acc(d_acc, __dy);
    }
    // pullback of: for (const x of xs) { acc = add(acc, mul(x, w)); } (line 15)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: for (const x of xs) { acc = add(acc, mul(x, w)); } (line 15)
          const __o__d_xs = __d_xs;
          __d_xs = null;
          d_xs = __ad.acc(d_xs, __o__d_xs);
          break;
        }
        case 3: { // pullback of: for (const x of xs) { acc = add(acc, mul(x, w)); } (line 15)
          const __i = __tape[--__t] as any;
          const __o_d_x = d_x;
          d_x = null;
          __d_xs = __ad.accAt(__d_xs, __i, __o_d_x);
          break;
        }
        case 4: { // pullback of: acc = add(acc, mul(x, w)); (line 16)
          const __pb_add = __tape[--__t] as any;
          const __pb_mul_2 = __tape[--__t] as any;
          let __d_mul_2: any = null;
          const __o_d_acc = d_acc;
          d_acc = null;
          if (__o_d_acc !== null) {
            const __g_add = __pb_add(__o_d_acc);
            d_acc = __ad.acc(d_acc, __g_add[0]);
            __d_mul_2 = __g_add[1];
          }
          if (__d_mul_2 !== null) {
            const __g_mul_2 = __pb_mul_2(__d_mul_2);
            d_x = __ad.acc(d_x, __g_mul_2[0]);
            d_w = __ad.acc(d_w, __g_mul_2[1]);
          }
          break;
        }
      }
    }
    { // pullback of: let acc = mul(xs[0], w); (line 14)
      let __d_xs_0: any = null;
      const __o_d_acc = d_acc;
      d_acc = null;
      if (__o_d_acc !== null) {
        const __g_mul = __pb_mul(__o_d_acc);
        __d_xs_0 = __g_mul[0];
        d_w = __ad.acc(d_w, __g_mul[1]);
      }
      d_xs = __ad.accAt(d_xs, 0, __d_xs_0);
    }
    return [d_xs, d_w];
  }
}

function stack__rrule(x: Tensor, layers: { w: Tensor; b: Tensor }[]) {
  let d_x = null;
  let d_layers = null;
  let d_h = null;
  let d_layer = null;
  let __d_layers = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 24
  let h = x;
  const __v_layers = layers;
  __tape.push(2);
  for (let __i = 0; __i < __v_layers.length; __i++) {
    const __v_layers_i = __v_layers[__i];
    const layer = __v_layers_i;
    __tape.push(__i, 3);
    const __v_layer_w = layer.w;
    const __v_layer_b = layer.b;
    const [__v_linear, __pb_linear] = __ops.linear(h, __v_layer_w, __v_layer_b);
    const [__v_gelu, __pb_gelu] = __ops.gelu(__v_linear);
    h = __v_gelu;
    __tape.push(__pb_linear, __pb_gelu, 4);
  }
  return [h, stack_pullback];
  function stack_pullback(__dy: any): any[] {
    d_x = d_layers = d_h = d_layer = __d_layers = null;
    { // pullback of: return h; (line 27)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (const layer of layers) { h = gelu(linear(h, layer.w, layer.b)); } (line 24)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: for (const layer of layers) { h = gelu(linear(h, layer.w, layer.b)); } (line 24)
          const __o__d_layers = __d_layers;
          __d_layers = null;
          d_layers = __ad.acc(d_layers, __o__d_layers);
          break;
        }
        case 3: { // pullback of: for (const layer of layers) { h = gelu(linear(h, layer.w, layer.b)); } (line 24)
          const __i = __tape[--__t] as any;
          const __o_d_layer = d_layer;
          d_layer = null;
          __d_layers = __ad.accAt(__d_layers, __i, __o_d_layer);
          break;
        }
        case 4: { // pullback of: h = gelu(linear(h, layer.w, layer.b)); (line 25)
          const __pb_gelu = __tape[--__t] as any;
          const __pb_linear = __tape[--__t] as any;
          let __d_layer_w: any = null;
          let __d_layer_b: any = null;
          let __d_linear: any = null;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) __d_linear = __pb_gelu(__o_d_h)[0];
          if (__d_linear !== null) {
            const __g_linear = __pb_linear(__d_linear);
            d_h = __ad.acc(d_h, __g_linear[0]);
            __d_layer_w = __g_linear[1];
            __d_layer_b = __g_linear[2];
          }
          d_layer = __ad.accAt(d_layer, "b", __d_layer_b);
          d_layer = __ad.accAt(d_layer, "w", __d_layer_w);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 23)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_x, d_layers];
  }
}

function whileLoop__rrule(x: Tensor, steps: number) {
  let d_x = null;
  let d_y = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 34
  let i = 0;
  let y = x;
  while (i < steps) {
    const [__v_mulScalar, __pb_mulScalar] = __ops.mulScalar(y, 0.5);
    const [__v_add, __pb_add] = __ops.add(__v_mulScalar, x);
    y = __v_add;
    __tape.push(__pb_mulScalar, __pb_add, 2);
    i++;
  }
  return [y, whileLoop_pullback];
  function whileLoop_pullback(__dy: any): any[] {
    d_x = d_y = null;
    { // pullback of: return y; (line 38)
      d_y = __ad.acc(d_y, __dy);
    }
    // pullback of: while (i < steps) { y = add(mulScalar(y, 0.5), x); i++; } (line 34)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: y = add(mulScalar(y, 0.5), x); (line 35)
          const __pb_add = __tape[--__t] as any;
          const __pb_mulScalar = __tape[--__t] as any;
          let __d_mulScalar: any = null;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) {
            const __g_add = __pb_add(__o_d_y);
            __d_mulScalar = __g_add[0];
            d_x = __ad.acc(d_x, __g_add[1]);
          }
          if (__d_mulScalar !== null) d_y = __ad.acc(d_y, __pb_mulScalar(__d_mulScalar)[0]);
          break;
        }
      }
    }
    { // pullback of: let y = x; (line 33)
      const __o_d_y = d_y;
      d_y = null;
      d_x = __ad.acc(d_x, __o_d_y);
    }
    return [d_x, null];
  }
}

function doWhile__rrule(x: Tensor, w: Tensor, steps: number) {
  let d_x = null;
  let d_w = null;
  let d_y = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 45
  let y = x;
  let k = 0;
  do {
    const [__v_matmul, __pb_matmul] = __ops.matmul(y, w);
    const [__v_tanh, __pb_tanh] = __ops.tanh(__v_matmul);
    y = __v_tanh;
    __tape.push(__pb_matmul, __pb_tanh, 2);
    k += 1;
  } while (k < steps);
  return [y, doWhile_pullback];
  function doWhile_pullback(__dy: any): any[] {
    d_x = d_w = d_y = null;
    { // pullback of: return y; (line 49)
      d_y = __ad.acc(d_y, __dy);
    }
    // pullback of: do { y = tanh(matmul(y, w)); k += 1; } while (k < steps); (line 45)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: y = tanh(matmul(y, w)); (line 46)
          const __pb_tanh = __tape[--__t] as any;
          const __pb_matmul = __tape[--__t] as any;
          let __d_matmul: any = null;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) __d_matmul = __pb_tanh(__o_d_y)[0];
          if (__d_matmul !== null) {
            const __g_matmul = __pb_matmul(__d_matmul);
            d_y = __ad.acc(d_y, __g_matmul[0]);
            d_w = __ad.acc(d_w, __g_matmul[1]);
          }
          break;
        }
      }
    }
    { // pullback of: let y = x; (line 43)
      const __o_d_y = d_y;
      d_y = null;
      d_x = __ad.acc(d_x, __o_d_y);
    }
    return [d_x, d_w, null];
  }
}

function nested__rrule(x: Tensor, ws: Tensor[][]) {
  let d_x = null;
  let d_ws = null;
  let d_h = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 55
  let h = x;
  for (let i = 0; i < ws.length; i++) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(h);
    h = __v_tanh;
    __tape.push(__pb_tanh, 2);
    for (let j = 0; j < ws[i].length; j++) {
      const __k_i = (i);
      const __k_j = (j);
      const __v_ws_i_j = ws[__k_i][__k_j];
      const [__v_matmul, __pb_matmul] = __ops.matmul(h, __v_ws_i_j);
      const [__v_add, __pb_add] = __ops.add(h, __v_matmul);
      h = __v_add;
      __tape.push(__k_i, __k_j, __pb_matmul, __pb_add, 3);
    }
  }
  return [h, nested_pullback];
  function nested_pullback(__dy: any): any[] {
    d_x = d_ws = d_h = null;
    { // pullback of: return h; (line 61)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (let i = 0; i < ws.length; i++) { h = tanh(h); for (let j = 0; j < ws[i].le… (line 55)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: h = tanh(h); (line 56)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) d_h = __ad.acc(d_h, __pb_tanh(__o_d_h)[0]);
          break;
        }
        case 3: { // pullback of: h = add(h, matmul(h, ws[i][j])); (line 58)
          const __pb_add = __tape[--__t] as any;
          const __pb_matmul = __tape[--__t] as any;
          const __k_j = __tape[--__t] as any;
          const __k_i = __tape[--__t] as any;
          let __d_ws_i_j: any = null;
          let __d_matmul: any = null;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) {
            const __g_add = __pb_add(__o_d_h);
            d_h = __ad.acc(d_h, __g_add[0]);
            __d_matmul = __g_add[1];
          }
          if (__d_matmul !== null) {
            const __g_matmul = __pb_matmul(__d_matmul);
            d_h = __ad.acc(d_h, __g_matmul[0]);
            __d_ws_i_j = __g_matmul[1];
          }
          d_ws = __ad.accPath(d_ws, [__k_i, __k_j], __d_ws_i_j);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 54)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_x, d_ws];
  }
}

function indexed__rrule(xs: Tensor[]) {
  let d_xs = null;
  let d_acc = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 67
  let acc = xs[0];
  for (let i = 1; i < xs.length; i++) {
    const __k_i = (i);
    const __v_xs_i = xs[__k_i];
    const [__v_mul, __pb_mul] = __ops.mul(acc, __v_xs_i);
    acc = __v_mul;
    __tape.push(__k_i, __pb_mul, 2);
  }
  return [acc, indexed_pullback];
  function indexed_pullback(__dy: any): any[] {
    d_xs = d_acc = null;
    { // pullback of: return acc; (line 68)
      d_acc = __ad.acc(d_acc, __dy);
    }
    // pullback of: for (let i = 1; i < xs.length; i++) acc = mul(acc, xs[i]); (line 67)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: acc = mul(acc, xs[i]); (line 67)
          const __pb_mul = __tape[--__t] as any;
          const __k_i = __tape[--__t] as any;
          let __d_xs_i: any = null;
          const __o_d_acc = d_acc;
          d_acc = null;
          if (__o_d_acc !== null) {
            const __g_mul = __pb_mul(__o_d_acc);
            d_acc = __ad.acc(d_acc, __g_mul[0]);
            __d_xs_i = __g_mul[1];
          }
          d_xs = __ad.accAt(d_xs, __k_i, __d_xs_i);
          break;
        }
      }
    }
    { // pullback of: let acc = xs[0]; (line 66)
      const __o_d_acc = d_acc;
      d_acc = null;
      d_xs = __ad.accAt(d_xs, 0, __o_d_acc);
    }
    return [d_xs];
  }
}

function forIn__rrule(p: { a: Tensor; b: Tensor; c: Tensor }) {
  let d_p = null;
  let d_acc = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 74
  const __v_p_a = p.a;
  let [acc, __pb_mulScalar] = __ops.mulScalar(__v_p_a, 0);
  for (const k in p) {
    const __k_k = (k);
    const __v_p_k = p[__k_k];
    const __v_p_a_2 = p.a;
    const [__v_mul, __pb_mul] = __ops.mul(__v_p_k, __v_p_a_2);
    const [__v_add, __pb_add] = __ops.add(acc, __v_mul);
    acc = __v_add;
    __tape.push(__k_k, __pb_mul, __pb_add, 2);
  }
  return [acc, forIn_pullback];
  function forIn_pullback(__dy: any): any[] {
    d_p = d_acc = null;
    { // pullback of: return acc; (line 77)
      d_acc = __ad.acc(d_acc, __dy);
    }
    // pullback of: for (const k in p) { acc = add(acc, mul(p[k as keyof typeof p], p.a)); } (line 74)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: acc = add(acc, mul(p[k as keyof typeof p], p.a)); (line 75)
          const __pb_add = __tape[--__t] as any;
          const __pb_mul = __tape[--__t] as any;
          const __k_k = __tape[--__t] as any;
          let __d_p_k: any = null;
          let __d_p_a_2: any = null;
          let __d_mul: any = null;
          const __o_d_acc = d_acc;
          d_acc = null;
          if (__o_d_acc !== null) {
            const __g_add = __pb_add(__o_d_acc);
            d_acc = __ad.acc(d_acc, __g_add[0]);
            __d_mul = __g_add[1];
          }
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            __d_p_k = __g_mul[0];
            __d_p_a_2 = __g_mul[1];
          }
          d_p = __ad.accAt(d_p, "a", __d_p_a_2);
          d_p = __ad.accAt(d_p, __k_k, __d_p_k);
          break;
        }
      }
    }
    { // pullback of: let acc = mulScalar(p.a, 0); (line 73)
      let __d_p_a: any = null;
      const __o_d_acc = d_acc;
      d_acc = null;
      if (__o_d_acc !== null) __d_p_a = __pb_mulScalar(__o_d_acc)[0];
      d_p = __ad.accAt(d_p, "a", __d_p_a);
    }
    return [d_p];
  }
}

function flaggedLayers__rrule(ps: { w: Tensor; on: boolean }[], x: Tensor) {
  let d_ps = null;
  let d_x = null;
  let d_h = null;
  let d_w = null;
  let __d_ps = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 83
  let h = x;
  const __v_ps = ps;
  __tape.push(2);
  for (let __i = 0; __i < __v_ps.length; __i++) {
    const __v_ps_i = __v_ps[__i];
    const w = __v_ps_i.w;
    const on = __v_ps_i.on;
    __tape.push(__i, 3);
    if (!on) {
      continue;
    }
    const [__v_mul, __pb_mul] = __ops.mul(h, w);
    const [__v_tanh, __pb_tanh] = __ops.tanh(__v_mul);
    h = __v_tanh;
    __tape.push(__pb_mul, __pb_tanh, 4);
  }
  return [h, flaggedLayers_pullback];
  function flaggedLayers_pullback(__dy: any): any[] {
    d_ps = d_x = d_h = d_w = __d_ps = null;
    { // pullback of: return h; (line 87)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (const { w, on } of ps) { if (!on) continue; h = tanh(mul(h, w)); } (line 83)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: for (const { w, on } of ps) { if (!on) continue; h = tanh(mul(h, w)); } (line 83)
          const __o__d_ps = __d_ps;
          __d_ps = null;
          d_ps = __ad.acc(d_ps, __o__d_ps);
          break;
        }
        case 3: { // pullback of: for (const { w, on } of ps) { if (!on) continue; h = tanh(mul(h, w)); } (line 83)
          const __i = __tape[--__t] as any;
          let __d_ps_i: any = null;
          const __o_d_w = d_w;
          d_w = null;
          __d_ps_i = __ad.accAt(__d_ps_i, "w", __o_d_w);
          __d_ps = __ad.accAt(__d_ps, __i, __d_ps_i);
          break;
        }
        case 4: { // pullback of: h = tanh(mul(h, w)); (line 85)
          const __pb_tanh = __tape[--__t] as any;
          const __pb_mul = __tape[--__t] as any;
          let __d_mul: any = null;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) __d_mul = __pb_tanh(__o_d_h)[0];
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_h = __ad.acc(d_h, __g_mul[0]);
            d_w = __ad.acc(d_w, __g_mul[1]);
          }
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 82)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_ps, d_x];
  }
}

function capturedReassigned__rrule(x: Tensor, y: Tensor) {
  let d_x = null;
  let d_y = null;
  let d_s = null;
  let d_h_2 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 95
  let __reversing = false;
  let s = y;
  const f = __ad.withRule((h: Tensor) => mul(h, s), function f__rrule(h: Tensor) {
    let d_h = null;
    const [__v_mul, __pb_mul] = __ops.mul(h, s);
    return [__v_mul, f_pullback];
    function f_pullback(__dy: any): any[] {
      if (!(__reversing)) __ad.escapedClosure("f (packages/ad/test/implicit/programs/loops.ad.ts:93:13)", "capturedReassigned");
      d_h = null;
      { // pullback of: mul(h, s) (line 93)
        if (__dy !== null) {
          const __g_mul = __pb_mul(__dy);
          d_h = __ad.acc(d_h, __g_mul[0]);
          d_s = __ad.acc(d_s, __g_mul[1]);
        }
      }
      return [d_h];
    }
  });
  let h = x;
  for (let i = 0; i < 3; i++) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(s);
    s = __v_tanh;
    __tape.push(__pb_tanh, 3);
    const [__v_f, __pb_f] = __ad.ruleOf(f, "packages/ad/test/implicit/programs/loops.ad.ts:97:9")(h);
    h = __v_f;
    __tape.push(__pb_f, 4);
  }
  return [h, capturedReassigned_pullback];
  function capturedReassigned_pullback(__dy: any): any[] {
    __reversing = true;
    d_x = d_y = d_s = d_h_2 = null;
    { // pullback of: return h; (line 99)
      d_h_2 = __ad.acc(d_h_2, __dy);
    }
    // pullback of: for (let i = 0; i < 3; i++) { s = tanh(s); h = f(h); } (line 95)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 3: { // pullback of: s = tanh(s); (line 96)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_s = d_s;
          d_s = null;
          if (__o_d_s !== null) d_s = __ad.acc(d_s, __pb_tanh(__o_d_s)[0]);
          break;
        }
        case 4: { // pullback of: h = f(h); (line 97)
          const __pb_f = __tape[--__t] as any;
          const __o_d_h_2 = d_h_2;
          d_h_2 = null;
          if (__o_d_h_2 !== null) d_h_2 = __ad.acc(d_h_2, __pb_f(__o_d_h_2)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 94)
      const __o_d_h_2 = d_h_2;
      d_h_2 = null;
      d_x = __ad.acc(d_x, __o_d_h_2);
    }
    { // pullback of: let s = y; (line 92)
      const __o_d_s = d_s;
      d_s = null;
      d_y = __ad.acc(d_y, __o_d_s);
    }
    __reversing = false;
    return [d_x, d_y];
  }
}

// the rule of `f` (line 93), given the variables it captures
function f__rrule_in(s: any) {
  return function f__rrule(h: Tensor) {
    let d_h = null;
    const [__v_mul, __pb_mul] = __ops.mul(h, s);
    return [__v_mul, f_pullback];
    function f_pullback(__dy: any): any[] {
      d_h = null;
      { // pullback of: mul(h, s) (line 93)
        if (__dy !== null) d_h = __ad.acc(d_h, __pb_mul(__dy)[0]);
      }
      return [d_h];
    }
  }
}

function varInLoop__rrule(x: Tensor, n: number) {
  let d_x = null;
  let d_h = null;
  let d_t = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 105
  var h = x;
  for (var i = 0; i < n; i++) {
    var [t, __pb_tanh] = __ops.tanh(h);
    __tape.push(__pb_tanh, 2);
    const [__v_add, __pb_add] = __ops.add(h, t);
    h = __v_add;
    __tape.push(__pb_add, 3);
  }
  return [h, varInLoop_pullback];
  function varInLoop_pullback(__dy: any): any[] {
    d_x = d_h = d_t = null;
    { // pullback of: return h; (line 109)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (var i = 0; i < n; i++) { var t = tanh(h); h = add(h, t); } (line 105)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: var t = tanh(h); (line 106)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_t = d_t;
          d_t = null;
          if (__o_d_t !== null) d_h = __ad.acc(d_h, __pb_tanh(__o_d_t)[0]);
          break;
        }
        case 3: { // pullback of: h = add(h, t); (line 107)
          const __pb_add = __tape[--__t] as any;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) {
            const __g_add = __pb_add(__o_d_h);
            d_h = __ad.acc(d_h, __g_add[0]);
            d_t = __ad.acc(d_t, __g_add[1]);
          }
          break;
        }
      }
    }
    { // pullback of: var h = x; (line 104)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_x, null];
  }
}

function foreverBreak__rrule(x: Tensor) {
  let d_x = null;
  let d_h = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 116
  let h = x;
  let k = 0;
  for (;;) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(h);
    h = __v_tanh;
    __tape.push(__pb_tanh, 2);
    if (++k === 3) {
      break;
    }
  }
  return [h, foreverBreak_pullback];
  function foreverBreak_pullback(__dy: any): any[] {
    d_x = d_h = null;
    { // pullback of: return h; (line 120)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (;;) { h = tanh(h); if (++k === 3) break; } (line 116)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: h = tanh(h); (line 117)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) d_h = __ad.acc(d_h, __pb_tanh(__o_d_h)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 114)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_x];
  }
}

function commaFor__rrule(x: Tensor) {
  let d_x = null;
  let d_h = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 126
  let h = x;
  for (let i = 0, j = 4; i < j; i++, j--) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(x);
    const [__v_mul, __pb_mul] = __ops.mul(h, __v_tanh);
    h = __v_mul;
    __tape.push(__pb_tanh, __pb_mul, 2);
  }
  return [h, commaFor_pullback];
  function commaFor_pullback(__dy: any): any[] {
    d_x = d_h = null;
    { // pullback of: return h; (line 127)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (let i = 0, j = 4; i < j; i++, j--) h = mul(h, tanh(x)); (line 126)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: h = mul(h, tanh(x)); (line 126)
          const __pb_mul = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          let __d_tanh: any = null;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) {
            const __g_mul = __pb_mul(__o_d_h);
            d_h = __ad.acc(d_h, __g_mul[0]);
            __d_tanh = __g_mul[1];
          }
          if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
          break;
        }
      }
    }
    { // pullback of: let h = x; (line 125)
      const __o_d_h = d_h;
      d_h = null;
      d_x = __ad.acc(d_x, __o_d_h);
    }
    return [d_x];
  }
}

function keysLoop__rrule(p: Record<string, Tensor>) {
  let d_p = null;
  let d_acc = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 133
  let acc: Tensor | null = null;
  for (const k of Object.keys(p)) {
    let __v_pick;
    if (acc === null) {
      const __k_k = (k);
      const __v_p_k = p[__k_k];
      __v_pick = __v_p_k;
      __tape.push(__k_k, 2);
    } else {
      const __k_k_2 = (k);
      const __v_p_k_2 = p[__k_k_2];
      const __k_k_3 = (k);
      const __v_p_k_3 = p[__k_k_3];
      const [__v_mul, __pb_mul] = __ops.mul(__v_p_k_2, __v_p_k_3);
      const [__v_add, __pb_add] = __ops.add(acc, __v_mul);
      __v_pick = __v_add;
      __tape.push(__k_k_2, __k_k_3, __pb_mul, __pb_add, 3);
    }
    acc = __v_pick;
    __tape.push(4);
  }
  return [acc, keysLoop_pullback];
  function keysLoop_pullback(__dy: any): any[] {
    d_p = d_acc = __d_pick = null;
    { // pullback of: return acc!; (line 134)
      d_acc = __ad.acc(d_acc, __dy);
    }
    // pullback of: for (const k of Object.keys(p)) acc = acc === null ? p[k] : add(acc, mul(p[k], … (line 133)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: acc = acc === null ? p[k] : add(acc, mul(p[k], p[k])); (line 133)
          const __k_k = __tape[--__t] as any;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_p = __ad.accAt(d_p, __k_k, __o__d_pick);
          break;
        }
        case 3: { // pullback of: acc = acc === null ? p[k] : add(acc, mul(p[k], p[k])); (line 133)
          const __pb_add = __tape[--__t] as any;
          const __pb_mul = __tape[--__t] as any;
          const __k_k_3 = __tape[--__t] as any;
          const __k_k_2 = __tape[--__t] as any;
          let __d_p_k_2: any = null;
          let __d_p_k_3: any = null;
          let __d_mul: any = null;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          if (__o__d_pick !== null) {
            const __g_add = __pb_add(__o__d_pick);
            d_acc = __ad.acc(d_acc, __g_add[0]);
            __d_mul = __g_add[1];
          }
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            __d_p_k_2 = __g_mul[0];
            __d_p_k_3 = __g_mul[1];
          }
          d_p = __ad.accAt(d_p, __k_k_3, __d_p_k_3);
          d_p = __ad.accAt(d_p, __k_k_2, __d_p_k_2);
          break;
        }
        case 4: { // pullback of: acc = acc === null ? p[k] : add(acc, mul(p[k], p[k])); (line 133)
          const __o_d_acc = d_acc;
          d_acc = null;
          __d_pick = __ad.acc(__d_pick, __o_d_acc);
          break;
        }
      }
    }
    { // pullback of: let acc: Tensor | null = null; (line 132)
      d_acc = null;
    }
    return [d_p];
  }
}
