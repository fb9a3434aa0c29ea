import * as __ad from "@pullback/ad/implicit"; // Nested ad: a layer closure created per layer inside the loop of the outer function.
import { ad, attach, fork } from "@pullback/ad";
import type { Tensor } from "@pullback/tensor";
import { add, baz, matmul } from "./ops.ts";

export const mlp = __ad.explicit("mlp", (x: Tensor, ws: Tensor[]) => {
  let [h, __pb1] = baz(x, 0);
  let w;
  let __pb2, __stack2 = [];
  for (let l = 0; l < ws.length; l++) {
    const layer = __ad.explicit("layer", ([hin, win]) => {
      const [z, __pb3] = matmul([hin, win]);
      const [a, __pb4] = baz(z, l);
      return [a, function layer_pullback(__dout) { let da, dhin, dwin, dz; da = __dout; dz = __pb4(da); [dhin, dwin] = __pb3(dz); return [dhin, dwin]; }];
    });
    [w, __pb2] = attach(ws[l]); __stack2.push(__pb2); // the weights of this layer enter the tracked set (no gradient)
    [h, __pb2] = layer([h, w]); __stack2.push(__pb2);
  }
  return [h, function mlp_pullback(__dout) { let dh, dx, dw; dh = __dout; for (let __i = __stack2.length - 1; __i >= 0; ) { [dh, dw] = __stack2[__i--](dh); __i--; } dx = __pb1(dh); return dx; }];
});

/** Weights as tracked inputs: a per-layer closure called with each tracked weight. */
export const stack2 = __ad.explicit("stack2", ([x, w1, w2]) => {
  const layer = __ad.explicit("layer", ([h, w], bias: number) => {
    const [z, __pb9] = matmul([h, w]);
    const [a, __pb10] = baz(z, bias);
    return [a, function layer_pullback(__dout) { let da, dh, dw, dz; da = __dout; dz = __pb10(da); [dh, dw] = __pb9(dz); return [dh, dw]; }];
  });
  const [h1, __pb5] = layer([x, w1], 0);
  const [h2, __pb6] = layer([h1, w2], 1);
  const [[o1, o2], __pb7] = fork(h2);
  const [o, __pb8] = add([o1, o2]);
  return [o, function stack2_pullback(__dout) { let do_, dx, dw1, dw2, dh1, dh2, do1, do2; do_ = __dout; [do1, do2] = __pb8(do_); dh2 = __pb7([do1, do2]); [dh1, dw2] = __pb6(dh2); [dx, dw1] = __pb5(dh1); return [dx, dw1, dw2]; }];
});
