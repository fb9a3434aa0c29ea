import * as __ad from "@pullback/ad/implicit"; // fork, detach, attach, object parameters, several outputs, hasAux.
import { ad, attach, detach, fork } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { add, bar, baz, foo, sumAll } from "./ops.ts";

/** x² through fork + bar; a constant c enters through attach. */
export const square = __ad.explicit("square", (x) => {
  const [[x1, x2], __pb1] = fork(x);
  const [y, __pb2] = bar([x1, x2]);
  const c = Tensor.full(y.shape, 0.5, y.dtype);
  const [ca, __pb3] = attach(c);
  const [z, __pb4] = add([y, ca]);
  return [z, function square_pullback(__dout) {
    let dz, dx, dx1, dx2, dy, dca;
    // cotangent of: return z
    dz = __dout;
    // pullback of: const [z, __3] = add([y, ca]);
    [dy, dca] = __pb4(dz);
    // pullback of: const [ca, __2] = attach(c); (a constant: its cotangent dca is dropped)
    // pullback of: const [y, __1] = bar([x1, x2]);
    [dx1, dx2] = __pb2(dy);
    // pullback of: const [[x1, x2], __] = fork(x);
    dx = __pb1([dx1, dx2]);
    // cotangents of the parameter, in its structure
    return dx;
  }];
});

/** Object parameters and outputs in an object: cotangents come back in the same structure. */
export const objects = __ad.explicit("objects", ({ w, b }: { w: Tensor; b: Tensor }) => {
  const [wb, __pb5] = bar([w, b]);
  const [[p, q], __pb6] = fork(wb);
  const [sp, __pb7] = foo(p, 2);
  return [{ first: sp, second: [q] }, function objects_pullback(__dout) {
    let dsp, dq, dw, db, dwb, dp;
    // cotangent of: return { first: sp, second: [q] }
    ({ first: dsp, second: [dq] } = __dout);
    // pullback of: const [sp, __2] = foo(p, 2);
    dp = __pb7(dsp);
    // pullback of: const [[p, q], __1] = fork(wb);
    dwb = __pb6([dp, dq]);
    // pullback of: const [wb, __] = bar([w, b]);
    [dw, db] = __pb5(dwb);
    // cotangents of the parameter, in its structure
    return { w: dw, b: db };
  }];
});

/** detach: the second copy is read (no gradient) to compute a scale. */
export const detached = __ad.explicit("detached", (x) => {
  const [[x1, x2], __pb8] = fork(x);
  const [xv, __pb9] = detach(x2);
  let m = 0;
  for (let i = 0; i < xv.size; i++) m = Math.max(m, Math.abs(xv.data[i]));
  const [y, __pb10] = foo(x1, 1 / (1 + m));
  return [y, function detached_pullback(__dout) {
    let dy, dx, dx1, dx2;
    // cotangent of: return y
    dy = __dout;
    // pullback of: const [y, __2] = foo(x1, 1 / (1 + m));
    dx1 = __pb10(dy);
    // pullback of: const [xv, __1] = detach(x2);
    dx2 = __pb9();
    // pullback of: const [[x1, x2], __] = fork(x);
    dx = __pb8([dx1, dx2]);
    // cotangents of the parameter, in its structure
    return dx;
  }];
});

/** A scalar loss with an auxiliary output (for valueAndGrad's hasAux). */
export const lossWithAux = __ad.explicit("lossWithAux", ([x, w]) => {
  const [y, __pb11] = bar([x, w]);
  const [[y1, y2], __pb12] = fork(y);
  const [l, __pb13] = sumAll(y1);
  const [aux, __pb14] = baz(y2, 0);
  return [[l, aux], function lossWithAux_pullback(__dout) {
    let dl, daux, dx, dw, dy, dy1, dy2;
    // cotangent of: return [l, aux]
    [dl, daux] = __dout;
    // pullback of: const [aux, __3] = baz(y2, 0);
    dy2 = __pb14(daux);
    // pullback of: const [l, __2] = sumAll(y1);
    dy1 = __pb13(dl);
    // pullback of: const [[y1, y2], __1] = fork(y);
    dy = __pb12([dy1, dy2]);
    // pullback of: const [y, __] = bar([x, w]);
    [dx, dw] = __pb11(dy);
    // cotangents of the parameter, in its structure
    return [dx, dw];
  }];
});

export const loss = __ad.explicit("loss", ([x, w]) => {
  const [y, __pb15] = bar([x, w]);
  const [l, __pb16] = sumAll(y);
  return [l, function loss_pullback(__dout) {
    let dl, dx, dw, dy;
    // cotangent of: return l
    dl = __dout;
    // pullback of: const [l, __1] = sumAll(y);
    dy = __pb16(dl);
    // pullback of: const [y, __] = bar([x, w]);
    [dx, dw] = __pb15(dy);
    // cotangents of the parameter, in its structure
    return [dx, dw];
  }];
});
