// The README's explicit-mode example, kept compiling and correct by packages/gpt2/test/readme.test.ts.
import { ad, fork } from "@pullback/ad";
import { add, gelu, linear } from "@pullback/tensor/rrules";

export const mlp = ad(([x, w1, b1, w2, b2]) => {
  const [[x1, skip], __] = fork(x);            // x is used twice: fork it (cotangents are summed)
  const [h, __1] = linear([x1, w1, b1]);       // the first argument is differentiated
  const [g, __2] = gelu(h);
  const [y, __3] = linear([g, w2, b2]);
  const [z, __4] = add([skip, y]);
  return z;
});
