function ifElse__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let w = __a[1];
  let t_w = __ad.at(__ta, 1);
  let mode = __a[2];
  let y: Tensor;
  let t_y = null;
  if (mode > 0) {
    // tangent of: y = matmul(x, w); (line 9)
    [y, t_y] = __ad.fopOf("matmul", __at(9, 9))([x, w], [t_x, t_w]);
    // tangent of: y = tanh(y); (line 10)
    [y, t_y] = __ad.fopOf("tanh", __at(10, 9))([y], [t_y]);
  } else {
    // tangent of: y = mul(x, x); (line 12)
    [y, t_y] = __ad.fopOf("mul", __at(12, 9))([x, x], [t_x, t_x]);
  }
  // tangent of: return add(y, x); (line 14)
  const [__v_add, __t_add] = __ad.fopOf("add", __at(14, 10))([y, x], [t_y, t_x]);
  return [__v_add, __t_add];
}

function dataDependent__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  // tangent of: const total = sum(x); (line 19)
  const total = sum(x);
  if (total > 0) {
    // tangent of: return exp(x); (line 20)
    const [__v_exp, __t_exp] = __ad.fopOf("exp", __at(20, 25))([x], [t_x]);
    return [__v_exp, __t_exp];
  }
  // tangent of: return mul(x, tanh(x)); (line 21)
  const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", __at(21, 17))([x], [t_x]);
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(21, 10))([x, __v_tanh], [t_x, __t_tanh]);
  return [__v_mul, __t_mul];
}

function ifNoElse__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let y = __a[1];
  let t_y = __ad.at(__ta, 1);
  let flag = __a[2];
  // tangent of: let z = mul(x, y); (line 26)
  let [z, t_z] = __ad.fopOf("mul", __at(26, 11))([x, y], [t_x, t_y]);
  if (flag) {
    // tangent of: z = add(z, tanh(x)); (line 27)
    const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", __at(27, 24))([x], [t_x]);
    [z, t_z] = __ad.fopOf("add", __at(27, 17))([z, __v_tanh], [t_z, __t_tanh]);
  }
  // tangent of: return z; (line 28)
  return [z, t_z];
}

function ternary__frule(__a: any[], __ta: any[]): [any, any] {
  let a = __a[0];
  let t_a = __ad.at(__ta, 0);
  let b = __a[1];
  let t_b = __ad.at(__ta, 1);
  let useA = __a[2];
  // tangent of: const c = useA ? a : b; (line 33)
  let __v_pick;
  let __t_pick;
  if (useA) {
    __v_pick = a;
    __t_pick = t_a;
  } else {
    __v_pick = b;
    __t_pick = t_b;
  }
  const c = __v_pick;
  const t_c = __t_pick;
  // tangent of: const d = useA ? tanh(b) : exp(a); (line 34)
  let __v_pick_2;
  let __t_pick_2;
  if (useA) {
    [__v_pick_2, __t_pick_2] = __ad.fopOf("tanh", __at(34, 20))([b], [t_b]);
  } else {
    [__v_pick_2, __t_pick_2] = __ad.fopOf("exp", __at(34, 30))([a], [t_a]);
  }
  const d = __v_pick_2;
  const t_d = __t_pick_2;
  // tangent of: return mul(c, d); (line 35)
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(35, 10))([c, d], [t_c, t_d]);
  return [__v_mul, __t_mul];
}

function logical__frule(__a: any[], __ta: any[]): [any, any] {
  let a = __a[0];
  let t_a = __ad.at(__ta, 0);
  let b = __a[1];
  let t_b = __ad.at(__ta, 1);
  let flag = __a[2];
  // tangent of: const c = b ?? a; (line 40)
  let __v_pick;
  let __t_pick;
  if (b !== null && b !== undefined) {
    __v_pick = b;
    __t_pick = t_b;
  } else {
    __v_pick = a;
    __t_pick = t_a;
  }
  const c = __v_pick;
  const t_c = __t_pick;
  // tangent of: const d = (flag && a) || c; (line 41)
  let __v_pick_2;
  let __t_pick_2;
  let __v_pick_3;
  let __t_pick_3;
  if (!flag) {
    __v_pick_3 = flag;
    __t_pick_3 = null;
  } else {
    __v_pick_3 = a;
    __t_pick_3 = t_a;
  }
  if (__v_pick_3) {
    __v_pick_2 = __v_pick_3;
    __t_pick_2 = __t_pick_3;
  } else {
    __v_pick_2 = c;
    __t_pick_2 = t_c;
  }
  const d = __v_pick_2;
  const t_d = __t_pick_2;
  // tangent of: return mul(add(c, d), a); (line 42)
  const [__v_add, __t_add] = __ad.fopOf("add", __at(42, 14))([c, d], [t_c, t_d]);
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(42, 10))([__v_add, a], [__t_add, t_a]);
  return [__v_mul, __t_mul];
}

function elseIf__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let y = __a[1];
  let t_y = __ad.at(__ta, 1);
  const s = sum(stopGradient(x));
  let out: Tensor;
  let t_out = null;
  if (s > 1) {
    // tangent of: out = mul(x, y); (line 49)
    [out, t_out] = __ad.fopOf("mul", __at(49, 20))([x, y], [t_x, t_y]);
  } else {
    if (s > -1) {
      // tangent of: out = sub(x, y); (line 50)
      [out, t_out] = __ad.fopOf("sub", __at(50, 26))([x, y], [t_x, t_y]);
    } else {
      // tangent of: out = add(tanh(x), y); (line 51)
      const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", __at(51, 18))([x], [t_x]);
      [out, t_out] = __ad.fopOf("add", __at(51, 14))([__v_tanh, y], [__t_tanh, t_y]);
    }
  }
  // tangent of: return out; (line 52)
  return [out, t_out];
}

function nestedTernary__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let k = __a[1];
  // tangent of: return k === 0 ? exp(x) : k === 1 ? tanh(x) : mul(x, x); (line 57)
  let __v_pick;
  let __t_pick;
  if (k === 0) {
    [__v_pick, __t_pick] = __ad.fopOf("exp", __at(57, 20))([x], [t_x]);
  } else {
    let __v_pick_2;
    let __t_pick_2;
    if (k === 1) {
      [__v_pick_2, __t_pick_2] = __ad.fopOf("tanh", __at(57, 39))([x], [t_x]);
    } else {
      [__v_pick_2, __t_pick_2] = __ad.fopOf("mul", __at(57, 49))([x, x], [t_x, t_x]);
    }
    __v_pick = __v_pick_2;
    __t_pick = __t_pick_2;
  }
  return [__v_pick, __t_pick];
}

function ternaryInExpression__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let rows = __a[1];
  let cols = __a[2];
  let useLog = __a[3];
  // tangent of: const p = softmax(x); (line 62)
  const [p, t_p] = __ad.fopOf("softmax", __at(62, 13))([x], [t_x]);
  // tangent of: const l = logSoftmax(x); (line 63)
  const [l, t_l] = __ad.fopOf("logSoftmax", __at(63, 13))([x], [t_x]);
  // tangent of: return add(pick(mul(p, l), rows, cols), useLog ? pick(l, rows, cols) : pick(p, rows, cols)… (line 64)
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(64, 19))([p, l], [t_p, t_l]);
  const [__v_pick, __t_pick] = __ad.fopOf("pick", __at(64, 14))([__v_mul, rows, cols], [__t_mul, null, null]);
  let __v_pick_2;
  let __t_pick_2;
  if (useLog) {
    [__v_pick_2, __t_pick_2] = __ad.fopOf("pick", __at(64, 52))([l, rows, cols], [t_l, null, null]);
  } else {
    [__v_pick_2, __t_pick_2] = __ad.fopOf("pick", __at(64, 74))([p, rows, cols], [t_p, null, null]);
  }
  const [__v_add, __t_add] = __ad.fopOf("add", __at(64, 10))([__v_pick, __v_pick_2], [__t_pick, __t_pick_2]);
  return [__v_add, __t_add];
}

function optionalParam__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let w = __a[1];
  let t_w = __ad.at(__ta, 1);
  if (w) {
    // tangent of: return mul(x, w); (line 69)
    const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(69, 17))([x, w], [t_x, t_w]);
    return [__v_mul, __t_mul];
  }
  // tangent of: return tanh(x); (line 70)
  const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", __at(70, 10))([x], [t_x]);
  return [__v_tanh, __t_tanh];
}

function defaults__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let __v_arg1;
  let __t_arg1;
  if (__a[1] === undefined) {
    __v_arg1 = 2;
    __t_arg1 = null;
  } else {
    __v_arg1 = __a[1];
    __t_arg1 = __ad.at(__ta, 1);
  }
  let scale = __v_arg1;
  let t_scale = __t_arg1;
  let shift = __a[2];
  let t_shift = __ad.at(__ta, 2);
  // tangent of: const s = shift ?? x; (line 75)
  let __v_pick;
  let __t_pick;
  if (shift !== null && shift !== undefined) {
    __v_pick = shift;
    __t_pick = t_shift;
  } else {
    __v_pick = x;
    __t_pick = t_x;
  }
  const s = __v_pick;
  const t_s = __t_pick;
  // tangent of: return add(mulScalar(x, scale), s); (line 76)
  const [__v_mulScalar, __t_mulScalar] = __ad.fopOf("mulScalar", __at(76, 14))([x, scale], [t_x, t_scale]);
  const [__v_add, __t_add] = __ad.fopOf("add", __at(76, 10))([__v_mulScalar, s], [__t_mulScalar, t_s]);
  return [__v_add, __t_add];
}

function defaultFromParam__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let __v_arg1;
  let __t_arg1;
  if (__a[1] === undefined) {
    __v_arg1 = x;
    __t_arg1 = t_x;
  } else {
    __v_arg1 = __a[1];
    __t_arg1 = __ad.at(__ta, 1);
  }
  let y = __v_arg1;
  let t_y = __t_arg1;
  // tangent of: return mul(x, tanh(y)); (line 81)
  const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", __at(81, 17))([y], [t_y]);
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(81, 10))([x, __v_tanh], [t_x, __t_tanh]);
  return [__v_mul, __t_mul];
}

function selfTernary__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let c = __a[1];
  // tangent of: let y = x; (line 86)
  let y = x;
  let t_y = t_x;
  // tangent of: y = c ? y : tanh(y); (line 87)
  let __v_pick;
  let __t_pick;
  if (c) {
    __v_pick = y;
    __t_pick = t_y;
  } else {
    [__v_pick, __t_pick] = __ad.fopOf("tanh", __at(87, 15))([y], [t_y]);
  }
  y = __v_pick;
  t_y = __t_pick;
  // tangent of: return mul(y, x); (line 88)
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(88, 10))([y, x], [t_y, t_x]);
  return [__v_mul, __t_mul];
}

function declareThenAssign__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let c = __a[1];
  let y: Tensor;
  let t_y = null;
  if (c) {
    // tangent of: y = exp(x); (line 94)
    [y, t_y] = __ad.fopOf("exp", __at(94, 14))([x], [t_x]);
  } else {
    // tangent of: y = tanh(x); (line 95)
    [y, t_y] = __ad.fopOf("tanh", __at(95, 12))([x], [t_x]);
  }
  // tangent of: return y; (line 96)
  return [y, t_y];
}

function constBranch__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let c = __a[1];
  // tangent of: const y = c ? x : Tensor.zeros(x.shape, "float64"); (line 101)
  let __v_pick;
  let __t_pick;
  if (c) {
    __v_pick = x;
    __t_pick = t_x;
  } else {
    __v_pick = Tensor.zeros(x.shape, "float64");
    __t_pick = null;
  }
  const y = __v_pick;
  const t_y = __t_pick;
  // tangent of: return add(mul(y, x), x); (line 102)
  const [__v_mul, __t_mul] = __ad.fopOf("mul", __at(102, 14))([y, x], [t_y, t_x]);
  const [__v_add, __t_add] = __ad.fopOf("add", __at(102, 10))([__v_mul, x], [__t_mul, t_x]);
  return [__v_add, __t_add];
}

function ifElseChainInLoop__frule(__a: any[], __ta: any[]): [any, any] {
  let xs = __a[0];
  let t_xs = __ad.at(__ta, 0);
  let w = __a[1];
  let t_w = __ad.at(__ta, 1);
  // tangent of: let h = mul(xs[0], w); (line 107)
  let [h, t_h] = __ad.fopOf("mul", __at(107, 11))([xs[0], w], [__ad.at(t_xs, 0), t_w]);
  for (let i = 1; i < xs.length; i++) {
    if (i % 3 === 0) {
      // tangent of: h = add(h, xs[i]); (line 109)
      const __k_i = (i);
      [h, t_h] = __ad.fopOf("add", __at(109, 26))([h, xs[__k_i]], [t_h, __ad.at(t_xs, __k_i)]);
    } else {
      if (i % 3 === 1) {
        // tangent of: h = mul(h, tanh(xs[i])); (line 110)
        const __k_i_2 = (i);
        const [__v_tanh, __t_tanh] = __ad.fopOf("tanh", __at(110, 38))([xs[__k_i_2]], [__ad.at(t_xs, __k_i_2)]);
        [h, t_h] = __ad.fopOf("mul", __at(110, 31))([h, __v_tanh], [t_h, __t_tanh]);
      } else {
        // tangent of: const t = sub(h, xs[i]); (line 112)
        const __k_i_3 = (i);
        const [t, t_t] = __ad.fopOf("sub", __at(112, 17))([h, xs[__k_i_3]], [t_h, __ad.at(t_xs, __k_i_3)]);
        // tangent of: h = mul(t, w); (line 113)
        [h, t_h] = __ad.fopOf("mul", __at(113, 11))([t, w], [t_t, t_w]);
      }
    }
  }
  // tangent of: return h; (line 116)
  return [h, t_h];
}
