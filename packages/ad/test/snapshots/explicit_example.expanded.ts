import * as __ad from "@pullback/ad/implicit"; // The example of issue 3, with test ops.
import { ad } from "@pullback/ad";
import { bar, baz, bra, foo, someCond } from "./ops.ts";

export const f = __ad.explicit("f", ([x, y], n = 10) => {
  const [x1, __pb1] = foo(x, 1);            // differentiate w.r.t. the first argument only
  let [y1, __pb2] = bar([x1, y]);          // an array literal passes several differentiable arguments
  let __pb3, __stack3 = [];                               // an uninitialized `__` is the loop prelude
  for (let i = 0; i < n; i++) {
    [y1, __pb3] = baz(y1, i); __stack3.push(__pb3);              // reassign tracked variable and `__`
  }
  const [z, __pb4] = (someCond(y1) ? baz : bra)(y1); // branch by choosing the callee
  return [z, function f_pullback(__dout) {
    let dz, dx, dy, dx1, dy1;
    // cotangent of: return z
    dz = __dout;
    // pullback of: const [z, __3] = (someCond(y1) ? baz : bra)(y1);
    dy1 = __pb4(dz);
    // pullback of the loop on line 9 (`for (let i = 0; i < n; i++)…`), iterations in reverse
    for (let __i = __stack3.length - 1; __i >= 0; ) {
      // pullback of: [y1, __2] = baz(y1, i);
      dy1 = __stack3[__i--](dy1);
    }
    // pullback of: let [y1, __1] = bar([x1, y]);
    [dx1, dy] = __pb2(dy1);
    // pullback of: const [x1, __] = foo(x, 1);
    dx = __pb1(dx1);
    // cotangents of the parameter, in its structure
    return [dx, dy];
  }];
});
