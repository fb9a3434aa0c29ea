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
  return [z, function square_pullback(__dout) { let dz, dx, dx1, dx2, dy, dca; dz = __dout; [dy, dca] = __pb4(dz); [dx1, dx2] = __pb2(dy); dx = __pb1([dx1, dx2]); return dx; }];
});

/** Object parameters and outputs in an object: cotangents come back in the same structure. */
export const objects = __ad.explicit("objects", ({ w, b }: { w: Tensor; b: Tensor }) => {
  const [wb, __pb5] = bar([w, b]);
  const [[p, q], __pb6] = fork(wb);
  const [sp, __pb7] = foo(p, 2);
  return [{ first: sp, second: [q] }, function objects_pullback(__dout) { let dsp, dq, dw, db, dwb, dp; ({ first: dsp, second: [dq] } = __dout); dp = __pb7(dsp); dwb = __pb6([dp, dq]); [dw, db] = __pb5(dwb); return { w: dw, b: db }; }];
});

/** detach: the second copy is read (no gradient) to compute a scale. */
export const detached = __ad.explicit("detached", (x) => {
  const [[x1, x2], __pb8] = fork(x);
  const [xv, __pb9] = detach(x2);
  let m = 0;
  for (let i = 0; i < xv.size; i++) m = Math.max(m, Math.abs(xv.data[i]));
  const [y, __pb10] = foo(x1, 1 / (1 + m));
  return [y, function detached_pullback(__dout) { let dy, dx, dx1, dx2; dy = __dout; dx1 = __pb10(dy); dx2 = __pb9(); dx = __pb8([dx1, dx2]); return dx; }];
});

/** A scalar loss with an auxiliary output (for valueAndGrad's hasAux). */
export const lossWithAux = __ad.explicit("lossWithAux", ([x, w]) => {
  const [y, __pb11] = bar([x, w]);
  const [[y1, y2], __pb12] = fork(y);
  const [l, __pb13] = sumAll(y1);
  const [aux, __pb14] = baz(y2, 0);
  return [[l, aux], function lossWithAux_pullback(__dout) { let dl, daux, dx, dw, dy, dy1, dy2; [dl, daux] = __dout; dy2 = __pb14(daux); dy1 = __pb13(dl); dy = __pb12([dy1, dy2]); [dx, dw] = __pb11(dy); return [dx, dw]; }];
});

export const loss = __ad.explicit("loss", ([x, w]) => {
  const [y, __pb15] = bar([x, w]);
  const [l, __pb16] = sumAll(y);
  return [l, function loss_pullback(__dout) { let dl, dx, dw, dy; dl = __dout; dy = __pb16(dl); [dx, dw] = __pb15(dy); return [dx, dw]; }];
});
