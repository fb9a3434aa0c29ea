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
      return [a, function layer_pullback(__dout) {
        let da, dhin, dwin, dz;
        // cotangent of: return a
        da = __dout;
        // pullback of: const [a, __1] = baz(z, l);
        dz = __pb4(da);
        // pullback of: const [z, __] = matmul([hin, win]);
        [dhin, dwin] = __pb3(dz);
        // cotangents of the parameter, in its structure
        return [dhin, dwin];
      }];
    });
    [w, __pb2] = attach(ws[l]); __stack2.push(__pb2); // the weights of this layer enter the tracked set (no gradient)
    [h, __pb2] = layer([h, w]); __stack2.push(__pb2);
  }
  return [h, function mlp_pullback(__dout) {
    let dh, dx, dw;
    // cotangent of: return h
    dh = __dout;
    // pullback of the loop on line 10 (`for (let l = 0; l < ws.length; l++)…`), iterations in reverse
    for (let __i = __stack2.length - 1; __i >= 0; ) {
      // pullback of: [h, __1] = layer([h, w]);
      [dh, dw] = __stack2[__i--](dh);
      // pullback of: [w, __1] = attach(ws[l]); (a constant: its cotangent dw is dropped)
      __i--;
    }
    // pullback of: let [h, __] = baz(x, 0);
    dx = __pb1(dh);
    // cotangents of the parameter, in its structure
    return dx;
  }];
});

/** Weights as tracked inputs: a per-layer closure called with each tracked weight. */
export const stack2 = __ad.explicit("stack2", ([x, w1, w2]) => {
  const layer = __ad.explicit("layer", ([h, w], bias: number) => {
    const [z, __pb9] = matmul([h, w]);
    const [a, __pb10] = baz(z, bias);
    return [a, function layer_pullback(__dout) {
      let da, dh, dw, dz;
      // cotangent of: return a
      da = __dout;
      // pullback of: const [a, __1] = baz(z, bias);
      dz = __pb10(da);
      // pullback of: const [z, __] = matmul([h, w]);
      [dh, dw] = __pb9(dz);
      // cotangents of the parameter, in its structure
      return [dh, dw];
    }];
  });
  const [h1, __pb5] = layer([x, w1], 0);
  const [h2, __pb6] = layer([h1, w2], 1);
  const [[o1, o2], __pb7] = fork(h2);
  const [o, __pb8] = add([o1, o2]);
  return [o, function stack2_pullback(__dout) {
    let do_, dx, dw1, dw2, dh1, dh2, do1, do2;
    // cotangent of: return o
    do_ = __dout;
    // pullback of: const [o, __3] = add([o1, o2]);
    [do1, do2] = __pb8(do_);
    // pullback of: const [[o1, o2], __2] = fork(h2);
    dh2 = __pb7([do1, do2]);
    // pullback of: const [h2, __1] = layer([h1, w2], 1);
    [dh1, dw2] = __pb6(dh2);
    // pullback of: const [h1, __] = layer([x, w1], 0);
    [dx, dw1] = __pb5(dh1);
    // cotangents of the parameter, in its structure
    return [dx, dw1, dw2];
  }];
});
