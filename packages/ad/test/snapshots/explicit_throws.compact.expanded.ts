import * as __ad from "@pullback/ad/implicit"; import { ad } from "@pullback/ad";
import { boom, scale } from "./ops.ts";

export const forwardThrows = __ad.explicit("forwardThrows", (x) => {
  const [a, __pb1] = scale(x, 2);
  const [b, __pb2] = boom(a, "forward");
  return [b, function forwardThrows_pullback(__dout) { let db, dx, da; db = __dout; da = __pb2(db); dx = __pb1(da); return dx; }];
});

export const pullbackThrows = __ad.explicit("pullbackThrows", (x) => {
  const [a, __pb3] = scale(x, 2);
  const [b, __pb4] = boom(a, "pullback");
  return [b, function pullbackThrows_pullback(__dout) { let db, dx, da; db = __dout; da = __pb4(db); dx = __pb3(da); return dx; }];
});
