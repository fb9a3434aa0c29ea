// Philox uniforms from the Zig kernel library (for checking that TypeScript and Zig agree).
import { bindKernels } from "./library.ts";

const K = bindKernels({
  pb_philox_uniform: { args: ["ptr", "u64", "u64", "u64", "u64"], returns: "void" },
});

/** `n` uniforms of the draw (seed, offset), elements start … start+n-1. */
export function philoxUniforms(n: number, seed: number, offset: number, start = 0): Float32Array {
  const out = new Float32Array(n);
  if (n > 0) K.pb_philox_uniform(out, n, seed, offset, start);
  return out;
}
