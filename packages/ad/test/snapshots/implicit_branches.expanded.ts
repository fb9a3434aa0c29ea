import * as __ad from "@pullback/ad/implicit"; const __ops = __ad.ops; const __fwd = __ad.forwardRules(import.meta.path, "6bca0dbc08e62c1b", (__code: string) => eval(__code)); __ad.withModuleRule(ifElse, ifElse__rrule, undefined, __fwd.rule("ifElse__frule")); __ad.withModuleRule(dataDependent, dataDependent__rrule, undefined, __fwd.rule("dataDependent__frule")); __ad.withModuleRule(ifNoElse, ifNoElse__rrule, undefined, __fwd.rule("ifNoElse__frule")); __ad.withModuleRule(ternary, ternary__rrule, undefined, __fwd.rule("ternary__frule")); __ad.withModuleRule(logical, logical__rrule, undefined, __fwd.rule("logical__frule")); __ad.withModuleRule(elseIf, elseIf__rrule, undefined, __fwd.rule("elseIf__frule")); __ad.withModuleRule(nestedTernary, nestedTernary__rrule, undefined, __fwd.rule("nestedTernary__frule")); __ad.withModuleRule(ternaryInExpression, ternaryInExpression__rrule, undefined, __fwd.rule("ternaryInExpression__frule")); __ad.withModuleRule(optionalParam, optionalParam__rrule, undefined, __fwd.rule("optionalParam__frule")); __ad.withModuleRule(defaults, defaults__rrule, undefined, __fwd.rule("defaults__frule")); __ad.withModuleRule(defaultFromParam, defaultFromParam__rrule, undefined, __fwd.rule("defaultFromParam__frule")); __ad.withModuleRule(selfTernary, selfTernary__rrule, undefined, __fwd.rule("selfTernary__frule")); __ad.withModuleRule(declareThenAssign, declareThenAssign__rrule, undefined, __fwd.rule("declareThenAssign__frule")); __ad.withModuleRule(constBranch, constBranch__rrule, undefined, __fwd.rule("constBranch__frule")); __ad.withModuleRule(ifElseChainInLoop, ifElseChainInLoop__rrule, undefined, __fwd.rule("ifElseChainInLoop__frule")); // Corpus: branches — if/else on runtime conditions, ternaries and &&, ||, ?? choosing tensors.
import { add, exp, logSoftmax, matmul, mul, mulScalar, pick, softmax, sub, sum, tanh, Tensor } from "@pullback/tensor";
import { stopGradient } from "@pullback/ad";

/** if/else on a number argument. */
export function ifElse(x: Tensor, w: Tensor, mode: number): Tensor {
  let y: Tensor;
  if (mode > 0) {
    y = matmul(x, w);
    y = tanh(y);
  } else {
    y = mul(x, x);
  }
  return add(y, x);
}

/** if/else on a value computed from the data at run time (a comparison is inactive). */
export function dataDependent(x: Tensor): Tensor {
  const total = sum(x);
  if (total > 0) return exp(x);
  return mul(x, tanh(x));
}

/** An if without else that updates a tracked value. */
export function ifNoElse(x: Tensor, y: Tensor, flag: boolean): Tensor {
  let z = mul(x, y);
  if (flag) z = add(z, tanh(x));
  return z;
}

/** A ternary choosing between two tensors (and between two computations). */
export function ternary(a: Tensor, b: Tensor, useA: boolean): Tensor {
  const c = useA ? a : b;
  const d = useA ? tanh(b) : exp(a);
  return mul(c, d);
}

/** && / || / ?? choosing tensors. */
export function logical(a: Tensor, b: Tensor | null, flag: boolean): Tensor {
  const c = b ?? a;
  const d = (flag && a) || c;
  return mul(add(c, d), a);
}

/** else-if chains on a value of the data (via stopGradient(x) — no gradient through the test). */
export function elseIf(x: Tensor, y: Tensor): Tensor {
  const s = sum(stopGradient(x));
  let out: Tensor;
  if (s > 1) out = mul(x, y);
  else if (s > -1) out = sub(x, y);
  else out = add(tanh(x), y);
  return out;
}

/** Nested ternaries. */
export function nestedTernary(x: Tensor, k: number): Tensor {
  return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x);
}

/** A ternary inside an expression: the operands computed before it are used after it. */
export function ternaryInExpression(x: Tensor, rows: Int32Array, cols: Int32Array, useLog: boolean): Tensor {
  const p = softmax(x);
  const l = logSoftmax(x);
  return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pick(p, rows, cols));
}

/** An optional parameter tested with if. */
export function optionalParam(x: Tensor, w?: Tensor): Tensor {
  if (w) return mul(x, w);
  return tanh(x);
}

/** A default parameter value and a ?? fallback to another tracked value. */
export function defaults(x: Tensor, scale = 2, shift?: Tensor): Tensor {
  const s = shift ?? x;
  return add(mulScalar(x, scale), s);
}

/** A default computed from another (tracked) parameter: y = x when y is missing. */
export function defaultFromParam(x: Tensor, y: Tensor = x): Tensor {
  return mul(x, tanh(y));
}

/** A ternary whose branch is the assigned variable itself. */
export function selfTernary(x: Tensor, c: boolean): Tensor {
  let y = x;
  y = c ? y : tanh(y);
  return mul(y, x);
}

/** Declared without a value, assigned in both branches. */
export function declareThenAssign(x: Tensor, c: boolean): Tensor {
  let y: Tensor;
  if (c) y = exp(x);
  else y = tanh(x);
  return y;
}

/** One branch a constant (no gradient through it). */
export function constBranch(x: Tensor, c: boolean): Tensor {
  const y = c ? x : Tensor.zeros(x.shape, "float64");
  return add(mul(y, x), x);
}

/** An else-if chain inside a loop. */
export function ifElseChainInLoop(xs: Tensor[], w: Tensor): Tensor {
  let h = mul(xs[0], w);
  for (let i = 1; i < xs.length; i++) {
    if (i % 3 === 0) h = add(h, xs[i]);
    else if (i % 3 === 1) h = mul(h, tanh(xs[i]));
    else {
      const t = sub(h, xs[i]);
      h = mul(t, w);
    }
  }
  return h;
}
// ---- generated by the pullback loader: the rule (forward + pullback) of every function above ----

function ifElse__rrule(x: Tensor, w: Tensor, mode: number) {
  let d_x = null;
  let d_w = null;
  let d_y = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 8
  let y: Tensor;
  if (mode > 0) {
    const [__v_matmul, __pb_matmul] = __ops.matmul(x, w);
    y = __v_matmul;
    __tape.push(__pb_matmul, 2);
    const [__v_tanh, __pb_tanh] = __ops.tanh(y);
    y = __v_tanh;
    __tape.push(__pb_tanh, 3);
  } else {
    const [__v_mul, __pb_mul] = __ops.mul(x, x);
    y = __v_mul;
    __tape.push(__pb_mul, 4);
  }
  const [__v_add, __pb_add] = __ops.add(y, x);
  return [__v_add, ifElse_pullback];
  function ifElse_pullback(__dy: any): any[] {
    d_x = d_w = d_y = null;
    { // pullback of: return add(y, x); (line 14)
      if (__dy !== null) {
        const __g_add = __pb_add(__dy);
        d_y = __ad.acc(d_y, __g_add[0]);
        d_x = __ad.acc(d_x, __g_add[1]);
      }
    }
    // pullback of: if (mode > 0) { y = matmul(x, w); y = tanh(y); } else { y = mul(x, x); } (line 8)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: y = matmul(x, w); (line 9)
          const __pb_matmul = __tape[--__t] as any;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) {
            const __g_matmul = __pb_matmul(__o_d_y);
            d_x = __ad.acc(d_x, __g_matmul[0]);
            d_w = __ad.acc(d_w, __g_matmul[1]);
          }
          break;
        }
        case 3: { // pullback of: y = tanh(y); (line 10)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) d_y = __ad.acc(d_y, __pb_tanh(__o_d_y)[0]);
          break;
        }
        case 4: { // pullback of: y = mul(x, x); (line 12)
          const __pb_mul = __tape[--__t] as any;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) {
            const __g_mul = __pb_mul(__o_d_y);
            d_x = __ad.acc(d_x, __g_mul[0]);
            d_x = __ad.acc(d_x, __g_mul[1]);
          }
          break;
        }
      }
    }
    { // pullback of: let y: Tensor; (line 7)
      d_y = null;
    }
    return [d_x, d_w, null];
  }
}

function dataDependent__rrule(x: Tensor) {
  let d_x = null;
  const __tape: unknown[] = []; // the path taken by the function (it returns early)
  const total = sum(x);
  if (total > 0) {
    const [__v_exp, __pb_exp] = __ops.exp(x);
    __tape.push(__pb_exp, 1);
    return [__v_exp, dataDependent_pullback];
  }
  const [__v_tanh, __pb_tanh] = __ops.tanh(x);
  const [__v_mul, __pb_mul] = __ops.mul(x, __v_tanh);
  __tape.push(__pb_tanh, __pb_mul, 2);
  return [__v_mul, dataDependent_pullback];
  function dataDependent_pullback(__dy: any): any[] {
    d_x = null;
    // pullback of: the function (it returns early)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return exp(x); (line 20)
          const __pb_exp = __tape[--__t] as any;
          if (__dy !== null) d_x = __ad.acc(d_x, __pb_exp(__dy)[0]);
          break;
        }
        case 2: { // pullback of: return mul(x, tanh(x)); (line 21)
          const __pb_mul = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          let __d_tanh: any = null;
          if (__dy !== null) {
            const __g_mul = __pb_mul(__dy);
            d_x = __ad.acc(d_x, __g_mul[0]);
            __d_tanh = __g_mul[1];
          }
          if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
          break;
        }
      }
    }
    return [d_x];
  }
}

function ifNoElse__rrule(x: Tensor, y: Tensor, flag: boolean) {
  let d_x = null;
  let d_y = null;
  let d_z = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 27
  let [z, __pb_mul] = __ops.mul(x, y);
  if (flag) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(x);
    const [__v_add, __pb_add] = __ops.add(z, __v_tanh);
    z = __v_add;
    __tape.push(__pb_tanh, __pb_add, 2);
  }
  return [z, ifNoElse_pullback];
  function ifNoElse_pullback(__dy: any): any[] {
    d_x = d_y = d_z = null;
    { // pullback of: return z; (line 28)
      d_z = __ad.acc(d_z, __dy);
    }
    // pullback of: if (flag) z = add(z, tanh(x)); (line 27)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: z = add(z, tanh(x)); (line 27)
          const __pb_add = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          let __d_tanh: any = null;
          const __o_d_z = d_z;
          d_z = null;
          if (__o_d_z !== null) {
            const __g_add = __pb_add(__o_d_z);
            d_z = __ad.acc(d_z, __g_add[0]);
            __d_tanh = __g_add[1];
          }
          if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
          break;
        }
      }
    }
    { // pullback of: let z = mul(x, y); (line 26)
      const __o_d_z = d_z;
      d_z = null;
      if (__o_d_z !== null) {
        const __g_mul = __pb_mul(__o_d_z);
        d_x = __ad.acc(d_x, __g_mul[0]);
        d_y = __ad.acc(d_y, __g_mul[1]);
      }
    }
    return [d_x, d_y, null];
  }
}

function ternary__rrule(a: Tensor, b: Tensor, useA: boolean) {
  let d_a = null;
  let d_b = null;
  let d_c = null;
  let d_d = null;
  let __d_pick = null;
  let __d_pick_2 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 33
  const __tape_2: unknown[] = []; // the path taken by the statement on line 34
  let __v_pick;
  if (useA) {
    __v_pick = a;
    __tape.push(1);
  } else {
    __v_pick = b;
    __tape.push(2);
  }
  const c = __v_pick;
  __tape.push(3);
  let __v_pick_2;
  if (useA) {
    const [__v_tanh, __pb_tanh] = __ops.tanh(b);
    __v_pick_2 = __v_tanh;
    __tape_2.push(__pb_tanh, 4);
  } else {
    const [__v_exp, __pb_exp] = __ops.exp(a);
    __v_pick_2 = __v_exp;
    __tape_2.push(__pb_exp, 5);
  }
  const d = __v_pick_2;
  __tape_2.push(6);
  const [__v_mul, __pb_mul] = __ops.mul(c, d);
  return [__v_mul, ternary_pullback];
  function ternary_pullback(__dy: any): any[] {
    d_a = d_b = d_c = d_d = __d_pick = __d_pick_2 = null;
    { // pullback of: return mul(c, d); (line 35)
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        d_c = __ad.acc(d_c, __g_mul[0]);
        d_d = __ad.acc(d_d, __g_mul[1]);
      }
    }
    // pullback of: const d = useA ? tanh(b) : exp(a); (line 34)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape_2.length; __t > 0; ) {
      switch (__tape_2[--__t]) {
        case 4: { // pullback of: const d = useA ? tanh(b) : exp(a); (line 34)
          const __pb_tanh = __tape_2[--__t] as any;
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          if (__o__d_pick_2 !== null) d_b = __ad.acc(d_b, __pb_tanh(__o__d_pick_2)[0]);
          break;
        }
        case 5: { // pullback of: const d = useA ? tanh(b) : exp(a); (line 34)
          const __pb_exp = __tape_2[--__t] as any;
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          if (__o__d_pick_2 !== null) d_a = __ad.acc(d_a, __pb_exp(__o__d_pick_2)[0]);
          break;
        }
        case 6: { // pullback of: const d = useA ? tanh(b) : exp(a); (line 34)
          const __o_d_d = d_d;
          d_d = null;
          __d_pick_2 = __ad.acc(__d_pick_2, __o_d_d);
          break;
        }
      }
    }
    // pullback of: const c = useA ? a : b; (line 33)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: const c = useA ? a : b; (line 33)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_a = __ad.acc(d_a, __o__d_pick);
          break;
        }
        case 2: { // pullback of: const c = useA ? a : b; (line 33)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_b = __ad.acc(d_b, __o__d_pick);
          break;
        }
        case 3: { // pullback of: const c = useA ? a : b; (line 33)
          const __o_d_c = d_c;
          d_c = null;
          __d_pick = __ad.acc(__d_pick, __o_d_c);
          break;
        }
      }
    }
    return [d_a, d_b, null];
  }
}

function logical__rrule(a: Tensor, b: Tensor | null, flag: boolean) {
  let d_a = null;
  let d_b = null;
  let d_c = null;
  let d_d = null;
  let __d_pick = null;
  let __d_pick_2 = null;
  let __d_pick_3 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 40
  const __tape_2: unknown[] = []; // the path taken by the statement on line 41
  let __v_pick;
  if (b !== null && b !== undefined) {
    __v_pick = b;
    __tape.push(1);
  } else {
    __v_pick = a;
    __tape.push(2);
  }
  const c = __v_pick;
  __tape.push(3);
  let __v_pick_2;
  let __v_pick_3;
  if (!flag) {
    __v_pick_3 = flag;
  } else {
    __v_pick_3 = a;
    __tape_2.push(4);
  }
  if (__v_pick_3) {
    __v_pick_2 = __v_pick_3;
    __tape_2.push(5);
  } else {
    __v_pick_2 = c;
    __tape_2.push(6);
  }
  const d = __v_pick_2;
  __tape_2.push(7);
  const [__v_add, __pb_add] = __ops.add(c, d);
  const [__v_mul, __pb_mul] = __ops.mul(__v_add, a);
  return [__v_mul, logical_pullback];
  function logical_pullback(__dy: any): any[] {
    d_a = d_b = d_c = d_d = __d_pick = __d_pick_2 = null;
    __d_pick_3 = null;
    { // pullback of: return mul(add(c, d), a); (line 42)
      let __d_add: any = null;
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        __d_add = __g_mul[0];
        d_a = __ad.acc(d_a, __g_mul[1]);
      }
      if (__d_add !== null) {
        const __g_add = __pb_add(__d_add);
        d_c = __ad.acc(d_c, __g_add[0]);
        d_d = __ad.acc(d_d, __g_add[1]);
      }
    }
    // pullback of: const d = (flag && a) || c; (line 41)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape_2.length; __t > 0; ) {
      switch (__tape_2[--__t]) {
        case 4: { // pullback of: const d = (flag && a) || c; (line 41)
          const __o__d_pick_3 = __d_pick_3;
          __d_pick_3 = null;
          d_a = __ad.acc(d_a, __o__d_pick_3);
          break;
        }
        case 5: { // pullback of: const d = (flag && a) || c; (line 41)
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          __d_pick_3 = __ad.acc(__d_pick_3, __o__d_pick_2);
          break;
        }
        case 6: { // pullback of: const d = (flag && a) || c; (line 41)
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          d_c = __ad.acc(d_c, __o__d_pick_2);
          break;
        }
        case 7: { // pullback of: const d = (flag && a) || c; (line 41)
          const __o_d_d = d_d;
          d_d = null;
          __d_pick_2 = __ad.acc(__d_pick_2, __o_d_d);
          break;
        }
      }
    }
    // pullback of: const c = b ?? a; (line 40)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: const c = b ?? a; (line 40)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_b = __ad.acc(d_b, __o__d_pick);
          break;
        }
        case 2: { // pullback of: const c = b ?? a; (line 40)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_a = __ad.acc(d_a, __o__d_pick);
          break;
        }
        case 3: { // pullback of: const c = b ?? a; (line 40)
          const __o_d_c = d_c;
          d_c = null;
          __d_pick = __ad.acc(__d_pick, __o_d_c);
          break;
        }
      }
    }
    return [d_a, d_b, null];
  }
}

function elseIf__rrule(x: Tensor, y: Tensor) {
  let d_x = null;
  let d_y = null;
  let d_out = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 49
  const s = sum(stopGradient(x));
  let out: Tensor;
  if (s > 1) {
    const [__v_mul, __pb_mul] = __ops.mul(x, y);
    out = __v_mul;
    __tape.push(__pb_mul, 2);
  } else {
    if (s > -1) {
      const [__v_sub, __pb_sub] = __ops.sub(x, y);
      out = __v_sub;
      __tape.push(__pb_sub, 3);
    } else {
      const [__v_tanh, __pb_tanh] = __ops.tanh(x);
      const [__v_add, __pb_add] = __ops.add(__v_tanh, y);
      out = __v_add;
      __tape.push(__pb_tanh, __pb_add, 4);
    }
  }
  return [out, elseIf_pullback];
  function elseIf_pullback(__dy: any): any[] {
    d_x = d_y = d_out = null;
    { // pullback of: return out; (line 52)
      d_out = __ad.acc(d_out, __dy);
    }
    // pullback of: if (s > 1) out = mul(x, y); else if (s > -1) out = sub(x, y); else out = add(ta… (line 49)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: out = mul(x, y); (line 49)
          const __pb_mul = __tape[--__t] as any;
          const __o_d_out = d_out;
          d_out = null;
          if (__o_d_out !== null) {
            const __g_mul = __pb_mul(__o_d_out);
            d_x = __ad.acc(d_x, __g_mul[0]);
            d_y = __ad.acc(d_y, __g_mul[1]);
          }
          break;
        }
        case 3: { // pullback of: out = sub(x, y); (line 50)
          const __pb_sub = __tape[--__t] as any;
          const __o_d_out = d_out;
          d_out = null;
          if (__o_d_out !== null) {
            const __g_sub = __pb_sub(__o_d_out);
            d_x = __ad.acc(d_x, __g_sub[0]);
            d_y = __ad.acc(d_y, __g_sub[1]);
          }
          break;
        }
        case 4: { // pullback of: out = add(tanh(x), y); (line 51)
          const __pb_add = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          let __d_tanh: any = null;
          const __o_d_out = d_out;
          d_out = null;
          if (__o_d_out !== null) {
            const __g_add = __pb_add(__o_d_out);
            __d_tanh = __g_add[0];
            d_y = __ad.acc(d_y, __g_add[1]);
          }
          if (__d_tanh !== null) d_x = __ad.acc(d_x, __pb_tanh(__d_tanh)[0]);
          break;
        }
      }
    }
    { // pullback of: let out: Tensor; (line 48)
      d_out = null;
    }
    return [d_x, d_y];
  }
}

function nestedTernary__rrule(x: Tensor, k: number) {
  let d_x = null;
  let __d_pick = null;
  let __d_pick_2 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 57
  let __v_pick;
  if (k === 0) {
    const [__v_exp, __pb_exp] = __ops.exp(x);
    __v_pick = __v_exp;
    __tape.push(__pb_exp, 1);
  } else {
    let __v_pick_2;
    if (k === 1) {
      const [__v_tanh, __pb_tanh] = __ops.tanh(x);
      __v_pick_2 = __v_tanh;
      __tape.push(__pb_tanh, 2);
    } else {
      const [__v_mul, __pb_mul] = __ops.mul(x, x);
      __v_pick_2 = __v_mul;
      __tape.push(__pb_mul, 3);
    }
    __v_pick = __v_pick_2;
    __tape.push(4);
  }
  __tape.push(5);
  return [__v_pick, nestedTernary_pullback];
  function nestedTernary_pullback(__dy: any): any[] {
    d_x = __d_pick = __d_pick_2 = null;
    // pullback of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
          const __pb_exp = __tape[--__t] as any;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          if (__o__d_pick !== null) d_x = __ad.acc(d_x, __pb_exp(__o__d_pick)[0]);
          break;
        }
        case 2: { // pullback of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
          const __pb_tanh = __tape[--__t] as any;
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          if (__o__d_pick_2 !== null) d_x = __ad.acc(d_x, __pb_tanh(__o__d_pick_2)[0]);
          break;
        }
        case 3: { // pullback of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
          const __pb_mul = __tape[--__t] as any;
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          if (__o__d_pick_2 !== null) {
            const __g_mul = __pb_mul(__o__d_pick_2);
            d_x = __ad.acc(d_x, __g_mul[0]);
            d_x = __ad.acc(d_x, __g_mul[1]);
          }
          break;
        }
        case 4: { // pullback of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          __d_pick_2 = __ad.acc(__d_pick_2, __o__d_pick);
          break;
        }
        case 5: { // pullback of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
          __d_pick = __ad.acc(__d_pick, __dy);
          break;
        }
      }
    }
    return [d_x, null];
  }
}

function ternaryInExpression__rrule(x: Tensor, rows: Int32Array, cols: Int32Array, useLog: boolean) {
  let d_x = null;
  let d_p = null;
  let d_l = null;
  let __d_pick_2 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 64
  const [p, __pb_softmax] = __ops.softmax(x);
  const [l, __pb_logSoftmax] = __ops.logSoftmax(x);
  const [__v_mul, __pb_mul] = __ops.mul(p, l);
  const [__v_pick, __pb_pick] = __ops.pick(__v_mul, rows, cols);
  let __v_pick_2;
  __tape.push(__pb_mul, __pb_pick, 3);
  if (useLog) {
    const [__v_pick_3, __pb_pick_3] = __ops.pick(l, rows, cols);
    __v_pick_2 = __v_pick_3;
    __tape.push(__pb_pick_3, 4);
  } else {
    const [__v_pick_4, __pb_pick_4] = __ops.pick(p, rows, cols);
    __v_pick_2 = __v_pick_4;
    __tape.push(__pb_pick_4, 5);
  }
  const [__v_add, __pb_add] = __ops.add(__v_pick, __v_pick_2);
  __tape.push(__pb_add, 6);
  return [__v_add, ternaryInExpression_pullback];
  function ternaryInExpression_pullback(__dy: any): any[] {
    d_x = d_p = d_l = __d_pick_2 = null;
    let __d_pick: any = null;
    // pullback of: return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pick(p, … (line 64)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 3: { // pullback of: return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pi… (line 64)
          const __pb_pick = __tape[--__t] as any;
          const __pb_mul = __tape[--__t] as any;
          let __d_mul: any = null;
          if (__d_pick !== null) __d_mul = __pb_pick(__d_pick)[0];
          if (__d_mul !== null) {
            const __g_mul = __pb_mul(__d_mul);
            d_p = __ad.acc(d_p, __g_mul[0]);
            d_l = __ad.acc(d_l, __g_mul[1]);
          }
          break;
        }
        case 4: { // pullback of: return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pi… (line 64)
          const __pb_pick_3 = __tape[--__t] as any;
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          if (__o__d_pick_2 !== null) d_l = __ad.acc(d_l, __pb_pick_3(__o__d_pick_2)[0]);
          break;
        }
        case 5: { // pullback of: return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pi… (line 64)
          const __pb_pick_4 = __tape[--__t] as any;
          const __o__d_pick_2 = __d_pick_2;
          __d_pick_2 = null;
          if (__o__d_pick_2 !== null) d_p = __ad.acc(d_p, __pb_pick_4(__o__d_pick_2)[0]);
          break;
        }
        case 6: { // pullback of: return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pi… (line 64)
          const __pb_add = __tape[--__t] as any;
          if (__dy !== null) {
            const __g_add = __pb_add(__dy);
            __d_pick = __g_add[0];
            __d_pick_2 = __ad.acc(__d_pick_2, __g_add[1]);
          }
          break;
        }
      }
    }
    { // pullback of: const l = logSoftmax(x); (line 63)
      const __o_d_l = d_l;
      d_l = null;
      if (__o_d_l !== null) d_x = __ad.acc(d_x, __pb_logSoftmax(__o_d_l)[0]);
    }
    { // pullback of: const p = softmax(x); (line 62)
      const __o_d_p = d_p;
      d_p = null;
      if (__o_d_p !== null) d_x = __ad.acc(d_x, __pb_softmax(__o_d_p)[0]);
    }
    return [d_x, null, null, null];
  }
}

function optionalParam__rrule(x: Tensor, w?: Tensor) {
  let d_x = null;
  let d_w = null;
  const __tape: unknown[] = []; // the path taken by the function (it returns early)
  if (w) {
    const [__v_mul, __pb_mul] = __ops.mul(x, w);
    __tape.push(__pb_mul, 1);
    return [__v_mul, optionalParam_pullback];
  }
  const [__v_tanh, __pb_tanh] = __ops.tanh(x);
  __tape.push(__pb_tanh, 2);
  return [__v_tanh, optionalParam_pullback];
  function optionalParam_pullback(__dy: any): any[] {
    d_x = d_w = null;
    // pullback of: the function (it returns early)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: return mul(x, w); (line 69)
          const __pb_mul = __tape[--__t] as any;
          if (__dy !== null) {
            const __g_mul = __pb_mul(__dy);
            d_x = __ad.acc(d_x, __g_mul[0]);
            d_w = __ad.acc(d_w, __g_mul[1]);
          }
          break;
        }
        case 2: { // pullback of: return tanh(x); (line 70)
          const __pb_tanh = __tape[--__t] as any;
          if (__dy !== null) d_x = __ad.acc(d_x, __pb_tanh(__dy)[0]);
          break;
        }
      }
    }
    return [d_x, d_w];
  }
}

function defaults__rrule(x: Tensor, scale = 2, shift?: Tensor) {
  let d_x = null;
  let d_scale = null;
  let d_shift = null;
  let d_s = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 75
  let __v_pick;
  if (shift !== null && shift !== undefined) {
    __v_pick = shift;
    __tape.push(1);
  } else {
    __v_pick = x;
    __tape.push(2);
  }
  const s = __v_pick;
  __tape.push(3);
  const [__v_mulScalar, __pb_mulScalar] = __ops.mulScalar(x, scale);
  const [__v_add, __pb_add] = __ops.add(__v_mulScalar, s);
  return [__v_add, defaults_pullback];
  function defaults_pullback(__dy: any): any[] {
    d_x = d_scale = d_shift = d_s = __d_pick = null;
    { // pullback of: return add(mulScalar(x, scale), s); (line 76)
      let __d_mulScalar: any = null;
      if (__dy !== null) {
        const __g_add = __pb_add(__dy);
        __d_mulScalar = __g_add[0];
        d_s = __ad.acc(d_s, __g_add[1]);
      }
      if (__d_mulScalar !== null) {
        const __g_mulScalar = __pb_mulScalar(__d_mulScalar);
        d_x = __ad.acc(d_x, __g_mulScalar[0]);
        d_scale = __ad.acc(d_scale, __g_mulScalar[1]);
      }
    }
    // pullback of: const s = shift ?? x; (line 75)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: const s = shift ?? x; (line 75)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_shift = __ad.acc(d_shift, __o__d_pick);
          break;
        }
        case 2: { // pullback of: const s = shift ?? x; (line 75)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_x = __ad.acc(d_x, __o__d_pick);
          break;
        }
        case 3: { // pullback of: const s = shift ?? x; (line 75)
          const __o_d_s = d_s;
          d_s = null;
          __d_pick = __ad.acc(__d_pick, __o_d_s);
          break;
        }
      }
    }
    return [d_x, d_scale, d_shift];
  }
}

function defaultFromParam__rrule(x: Tensor, __v_arg1) {
  let d_x = null;
  let d_y = null;
  let __d_arg1 = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 80
  let y;
  if (__v_arg1 === undefined) {
    y = x;
    __tape.push(1);
  } else {
    y = __v_arg1;
    __tape.push(2);
  }
  const [__v_tanh, __pb_tanh] = __ops.tanh(y);
  const [__v_mul, __pb_mul] = __ops.mul(x, __v_tanh);
  return [__v_mul, defaultFromParam_pullback];
  function defaultFromParam_pullback(__dy: any): any[] {
    d_x = d_y = __d_arg1 = null;
    { // pullback of: return mul(x, tanh(y)); (line 81)
      let __d_tanh: any = null;
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        d_x = __ad.acc(d_x, __g_mul[0]);
        __d_tanh = __g_mul[1];
      }
      if (__d_tanh !== null) d_y = __ad.acc(d_y, __pb_tanh(__d_tanh)[0]);
    }
    // pullback of: y: Tensor (line 80)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: x (line 80)
          const __o_d_y = d_y;
          d_y = null;
          d_x = __ad.acc(d_x, __o_d_y);
          break;
        }
        case 2: { // pullback of: y: Tensor (line 80)
          const __o_d_y = d_y;
          d_y = null;
          __d_arg1 = __ad.acc(__d_arg1, __o_d_y);
          break;
        }
      }
    }
    return [d_x, __d_arg1];
  }
}

function selfTernary__rrule(x: Tensor, c: boolean) {
  let d_x = null;
  let d_y = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 87
  let y = x;
  let __v_pick;
  if (c) {
    __v_pick = y;
    __tape.push(2);
  } else {
    const [__v_tanh, __pb_tanh] = __ops.tanh(y);
    __v_pick = __v_tanh;
    __tape.push(__pb_tanh, 3);
  }
  y = __v_pick;
  __tape.push(4);
  const [__v_mul, __pb_mul] = __ops.mul(y, x);
  return [__v_mul, selfTernary_pullback];
  function selfTernary_pullback(__dy: any): any[] {
    d_x = d_y = __d_pick = null;
    { // pullback of: return mul(y, x); (line 88)
      if (__dy !== null) {
        const __g_mul = __pb_mul(__dy);
        d_y = __ad.acc(d_y, __g_mul[0]);
        d_x = __ad.acc(d_x, __g_mul[1]);
      }
    }
    // pullback of: y = c ? y : tanh(y); (line 87)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: y = c ? y : tanh(y); (line 87)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_y = __ad.acc(d_y, __o__d_pick);
          break;
        }
        case 3: { // pullback of: y = c ? y : tanh(y); (line 87)
          const __pb_tanh = __tape[--__t] as any;
          const __o__d_pick = __d_pick;
          __d_pick = null;
          if (__o__d_pick !== null) d_y = __ad.acc(d_y, __pb_tanh(__o__d_pick)[0]);
          break;
        }
        case 4: { // pullback of: y = c ? y : tanh(y); (line 87)
          const __o_d_y = d_y;
          d_y = null;
          __d_pick = __ad.acc(__d_pick, __o_d_y);
          break;
        }
      }
    }
    { // pullback of: let y = x; (line 86)
      const __o_d_y = d_y;
      d_y = null;
      d_x = __ad.acc(d_x, __o_d_y);
    }
    return [d_x, null];
  }
}

function declareThenAssign__rrule(x: Tensor, c: boolean) {
  let d_x = null;
  let d_y = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 94
  let y: Tensor;
  if (c) {
    const [__v_exp, __pb_exp] = __ops.exp(x);
    y = __v_exp;
    __tape.push(__pb_exp, 2);
  } else {
    const [__v_tanh, __pb_tanh] = __ops.tanh(x);
    y = __v_tanh;
    __tape.push(__pb_tanh, 3);
  }
  return [y, declareThenAssign_pullback];
  function declareThenAssign_pullback(__dy: any): any[] {
    d_x = d_y = null;
    { // pullback of: return y; (line 96)
      d_y = __ad.acc(d_y, __dy);
    }
    // pullback of: if (c) y = exp(x); else y = tanh(x); (line 94)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: y = exp(x); (line 94)
          const __pb_exp = __tape[--__t] as any;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) d_x = __ad.acc(d_x, __pb_exp(__o_d_y)[0]);
          break;
        }
        case 3: { // pullback of: y = tanh(x); (line 95)
          const __pb_tanh = __tape[--__t] as any;
          const __o_d_y = d_y;
          d_y = null;
          if (__o_d_y !== null) d_x = __ad.acc(d_x, __pb_tanh(__o_d_y)[0]);
          break;
        }
      }
    }
    { // pullback of: let y: Tensor; (line 93)
      d_y = null;
    }
    return [d_x, null];
  }
}

function constBranch__rrule(x: Tensor, c: boolean) {
  let d_x = null;
  let d_y = null;
  let __d_pick = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 101
  let __v_pick;
  if (c) {
    __v_pick = x;
    __tape.push(1);
  } else {
    __v_pick = Tensor.zeros(x.shape, "float64");
  }
  const y = __v_pick;
  __tape.push(2);
  const [__v_mul, __pb_mul] = __ops.mul(y, x);
  const [__v_add, __pb_add] = __ops.add(__v_mul, x);
  return [__v_add, constBranch_pullback];
  function constBranch_pullback(__dy: any): any[] {
    d_x = d_y = __d_pick = null;
    { // pullback of: return add(mul(y, x), x); (line 102)
      let __d_mul: any = null;
      if (__dy !== null) {
        const __g_add = __pb_add(__dy);
        __d_mul = __g_add[0];
        d_x = __ad.acc(d_x, __g_add[1]);
      }
      if (__d_mul !== null) {
        const __g_mul = __pb_mul(__d_mul);
        d_y = __ad.acc(d_y, __g_mul[0]);
        d_x = __ad.acc(d_x, __g_mul[1]);
      }
    }
    // pullback of: const y = c ? x : Tensor.zeros(x.shape, "float64"); (line 101)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 1: { // pullback of: const y = c ? x : Tensor.zeros(x.shape, "float64"); (line 101)
          const __o__d_pick = __d_pick;
          __d_pick = null;
          d_x = __ad.acc(d_x, __o__d_pick);
          break;
        }
        case 2: { // pullback of: const y = c ? x : Tensor.zeros(x.shape, "float64"); (line 101)
          const __o_d_y = d_y;
          d_y = null;
          __d_pick = __ad.acc(__d_pick, __o_d_y);
          break;
        }
      }
    }
    return [d_x, null];
  }
}

function ifElseChainInLoop__rrule(xs: Tensor[], w: Tensor) {
  let d_xs = null;
  let d_w = null;
  let d_h = null;
  let d_t = null;
  const __tape: unknown[] = []; // the path taken by the statement on line 108
  const __v_xs_0 = xs[0];
  let [h, __pb_mul] = __ops.mul(__v_xs_0, w);
  for (let i = 1; i < xs.length; i++) {
    if (i % 3 === 0) {
      const __k_i = (i);
      const __v_xs_i = xs[__k_i];
      const [__v_add, __pb_add] = __ops.add(h, __v_xs_i);
      h = __v_add;
      __tape.push(__k_i, __pb_add, 2);
    } else {
      if (i % 3 === 1) {
        const __k_i_2 = (i);
        const __v_xs_i_2 = xs[__k_i_2];
        const [__v_tanh, __pb_tanh] = __ops.tanh(__v_xs_i_2);
        const [__v_mul_2, __pb_mul_2] = __ops.mul(h, __v_tanh);
        h = __v_mul_2;
        __tape.push(__k_i_2, __pb_tanh, __pb_mul_2, 3);
      } else {
        const __k_i_3 = (i);
        const __v_xs_i_3 = xs[__k_i_3];
        const [t, __pb_sub] = __ops.sub(h, __v_xs_i_3);
        __tape.push(__k_i_3, __pb_sub, 4);
        const [__v_mul_3, __pb_mul_3] = __ops.mul(t, w);
        h = __v_mul_3;
        __tape.push(__pb_mul_3, 5);
      }
    }
  }
  return [h, ifElseChainInLoop_pullback];
  function ifElseChainInLoop_pullback(__dy: any): any[] {
    d_xs = d_w = d_h = d_t = null;
    { // pullback of: return h; (line 116)
      d_h = __ad.acc(d_h, __dy);
    }
    // pullback of: for (let i = 1; i < xs.length; i++) { if (i % 3 === 0) h = add(h, xs[i]); else … (line 108)
    // replays its tape, last entry first (an entry: a unit id above the pullbacks and keys it saved)
    for (let __t = __tape.length; __t > 0; ) {
      switch (__tape[--__t]) {
        case 2: { // pullback of: h = add(h, xs[i]); (line 109)
          const __pb_add = __tape[--__t] as any;
          const __k_i = __tape[--__t] as any;
          let __d_xs_i: any = null;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) {
            const __g_add = __pb_add(__o_d_h);
            d_h = __ad.acc(d_h, __g_add[0]);
            __d_xs_i = __g_add[1];
          }
          d_xs = __ad.accAt(d_xs, __k_i, __d_xs_i);
          break;
        }
        case 3: { // pullback of: h = mul(h, tanh(xs[i])); (line 110)
          const __pb_mul_2 = __tape[--__t] as any;
          const __pb_tanh = __tape[--__t] as any;
          const __k_i_2 = __tape[--__t] as any;
          let __d_xs_i_2: any = null;
          let __d_tanh: any = null;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) {
            const __g_mul_2 = __pb_mul_2(__o_d_h);
            d_h = __ad.acc(d_h, __g_mul_2[0]);
            __d_tanh = __g_mul_2[1];
          }
          if (__d_tanh !== null) __d_xs_i_2 = __pb_tanh(__d_tanh)[0];
          d_xs = __ad.accAt(d_xs, __k_i_2, __d_xs_i_2);
          break;
        }
        case 4: { // pullback of: const t = sub(h, xs[i]); (line 112)
          const __pb_sub = __tape[--__t] as any;
          const __k_i_3 = __tape[--__t] as any;
          let __d_xs_i_3: any = null;
          const __o_d_t = d_t;
          d_t = null;
          if (__o_d_t !== null) {
            const __g_sub = __pb_sub(__o_d_t);
            d_h = __ad.acc(d_h, __g_sub[0]);
            __d_xs_i_3 = __g_sub[1];
          }
          d_xs = __ad.accAt(d_xs, __k_i_3, __d_xs_i_3);
          break;
        }
        case 5: { // pullback of: h = mul(t, w); (line 113)
          const __pb_mul_3 = __tape[--__t] as any;
          const __o_d_h = d_h;
          d_h = null;
          if (__o_d_h !== null) {
            const __g_mul_3 = __pb_mul_3(__o_d_h);
            d_t = __ad.acc(d_t, __g_mul_3[0]);
            d_w = __ad.acc(d_w, __g_mul_3[1]);
          }
          break;
        }
      }
    }
    { // pullback of: let h = mul(xs[0], w); (line 107)
      let __d_xs_0: any = null;
      const __o_d_h = d_h;
      d_h = null;
      if (__o_d_h !== null) {
        const __g_mul = __pb_mul(__o_d_h);
        __d_xs_0 = __g_mul[0];
        d_w = __ad.acc(d_w, __g_mul[1]);
      }
      d_xs = __ad.accAt(d_xs, 0, __d_xs_0);
    }
    return [d_xs, d_w];
  }
}
