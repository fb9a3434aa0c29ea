import * as __ad from "@pullback/ad/implicit"; // Loops of any trip count: for, while, for…of, do…while; several rrule calls per iteration.
import { ad, fork } from "@pullback/ad";
import { add, bar, baz, scale } from "./ops.ts";

export const forLoop = __ad.explicit("forLoop", (x, n: number) => {
  let [y, __pb1] = scale(x, 1.5);
  let __pb2, __stack2 = [];
  for (let i = 0; i < n; i++) {
    [y, __pb2] = baz(y, i); __stack2.push(__pb2);
  }
  return [y, function forLoop_pullback(__dout) {
    let dy, dx;
    // cotangent of: return y
    dy = __dout;
    // pullback of the loop on line 8 (`for (let i = 0; i < n; i++)…`), iterations in reverse
    for (let __i = __stack2.length - 1; __i >= 0; ) {
      // pullback of: [y, __1] = baz(y, i);
      dy = __stack2[__i--](dy);
    }
    // pullback of: let [y, __] = scale(x, 1.5);
    dx = __pb1(dy);
    // cotangents of the parameter, in its structure
    return dx;
  }];
});

/** forLoop with the assignment parenthesized, `([y, __1] = baz(y, i));` (a formatter's style). */
export const parenthesizedLoop = __ad.explicit("parenthesizedLoop", (x, n: number) => {
  let [y, __pb3] = scale(x, 1.5);
  let __pb4, __stack4 = [];
  for (let i = 0; i < n; i++) {
    ([y, __pb4] = baz(y, i)); __stack4.push(__pb4);
  }
  return [y, function parenthesizedLoop_pullback(__dout) {
    let dy, dx;
    // cotangent of: return y
    dy = __dout;
    // pullback of the loop on line 18 (`for (let i = 0; i < n; i++)…`), iterations in reverse
    for (let __i = __stack4.length - 1; __i >= 0; ) {
      // pullback of: ([y, __1] = baz(y, i));
      dy = __stack4[__i--](dy);
    }
    // pullback of: let [y, __] = scale(x, 1.5);
    dx = __pb3(dy);
    // cotangents of the parameter, in its structure
    return dx;
  }];
});

export const whileLoop = __ad.explicit("whileLoop", (x, n: number) => {
  let [y, __pb5] = scale(x, 0.5);
  let k = 0;
  let __pb6, __stack6 = [];
  while (k < n) {
    [y, __pb6] = baz(y, k); __stack6.push(__pb6);
    k++;
  }
  return [y, function whileLoop_pullback(__dout) {
    let dy, dx;
    // cotangent of: return y
    dy = __dout;
    // pullback of the loop on line 28 (`while (k < n)…`), iterations in reverse
    for (let __i = __stack6.length - 1; __i >= 0; ) {
      // pullback of: [y, __1] = baz(y, k);
      dy = __stack6[__i--](dy);
    }
    // pullback of: let [y, __] = scale(x, 0.5);
    dx = __pb5(dy);
    // cotangents of the parameter, in its structure
    return dx;
  }];
});

export const forOfLoop = __ad.explicit("forOfLoop", ([x, w], scales: number[]) => {
  let [y, __pb7] = bar([x, w]);
  let __pb8, __stack8 = [];
  for (const s of scales) { [y, __pb8] = scale(y, s); __stack8.push(__pb8); }
  return [y, function forOfLoop_pullback(__dout) {
    let dy, dx, dw;
    // cotangent of: return y
    dy = __dout;
    // pullback of the loop on line 38 (`for (const s of scales)…`), iterations in reverse
    for (let __i = __stack8.length - 1; __i >= 0; ) {
      // pullback of: [y, __1] = scale(y, s);
      dy = __stack8[__i--](dy);
    }
    // pullback of: let [y, __] = bar([x, w]);
    [dx, dw] = __pb7(dy);
    // cotangents of the parameter, in its structure
    return [dx, dw];
  }];
});

/** Two tracked variables carried through the loop, three rrule calls per iteration. */
export const twoCarried = __ad.explicit("twoCarried", ([a, b], n: number) => {
  let [u, __pb9] = scale(a, 1);
  let [v, __pb10] = scale(b, 1);
  let t, r;
  let __pb11, __stack11 = [];
  for (let i = 0; i < n; i++) {
    [[t, r], __pb11] = fork(u); __stack11.push(__pb11);
    [u, __pb11] = bar([t, v]); __stack11.push(__pb11);
    const unused = i * 2; // an ordinary statement in the loop body
    [v, __pb11] = baz(r, i); __stack11.push(__pb11);
  }
  const [s, __pb12] = add([u, v]);
  return [s, function twoCarried_pullback(__dout) {
    let ds, da, db, du, dv, dt, dr;
    // cotangent of: return s
    ds = __dout;
    // pullback of: const [s, __3] = add([u, v]);
    [du, dv] = __pb12(ds);
    // pullback of the loop on line 48 (`for (let i = 0; i < n; i++)…`), iterations in reverse
    for (let __i = __stack11.length - 1; __i >= 0; ) {
      // pullback of: [v, __2] = baz(r, i);
      dr = __stack11[__i--](dv);
      // pullback of: [u, __2] = bar([t, v]);
      [dt, dv] = __stack11[__i--](du);
      // pullback of: [[t, r], __2] = fork(u);
      du = __stack11[__i--]([dt, dr]);
    }
    // pullback of: let [v, __1] = scale(b, 1);
    db = __pb10(dv);
    // pullback of: let [u, __] = scale(a, 1);
    da = __pb9(du);
    // cotangents of the parameter, in its structure
    return [da, db];
  }];
});
