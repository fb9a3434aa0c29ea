// Adam / AdamW update over flat buffers, in place:
//   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  p −= lr·(m̂/(√v̂ + eps) + wd·p)
// with m̂ = m/(1 − β1^step), v̂ = v/(1 − β2^step). Float32Array buffers run on
// zig-kernels/src/adam.zig; Float64Array buffers (or PULLBACK_BACKEND=reference) on the reference.
import { getBackend } from "../backend.ts";
import { check, TensorError } from "../errors.ts";
import { bindKernels } from "../native/library.ts";
import * as ref from "../reference/adam.ts";
import type { AdamOptions } from "../reference/adam.ts";

export type { AdamOptions } from "../reference/adam.ts";

const K = bindKernels({
  pb_adam_update: { args: ["ptr", "ptr", "ptr", "ptr", "u64", "f32", "f32", "f32", "f32", "f32", "u64"], returns: "void" },
});

type Buf = Float32Array | Float64Array;

/** One AdamW step on `params` (and the moments `m`, `v`) in place, from `grads`. */
export function adamUpdate(params: Buf, grads: Buf, m: Buf, v: Buf, options: AdamOptions): void {
  const op = "adamUpdate";
  const bufs = { params, grads, m, v };
  for (const [name, b] of Object.entries(bufs)) {
    if (!(b instanceof Float32Array || b instanceof Float64Array)) {
      throw new TensorError(op, `${name} must be a Float32Array or Float64Array, got ${(b as object)?.constructor?.name ?? typeof b}`);
    }
    check(b.length === params.length, op, () => `${name} has ${b.length} elements but params has ${params.length}`);
  }
  const { lr, beta1, beta2, eps, weightDecay = 0, step } = options ?? ({} as AdamOptions);
  check(Number.isInteger(step) && step >= 1, op, () => `step must be a positive integer (1-based), got ${step}`);
  for (const [name, b] of [
    ["beta1", beta1],
    ["beta2", beta2],
  ] as const) {
    check(typeof b === "number" && b >= 0 && b < 1, op, () => `${name} must be in [0, 1), got ${b}`);
  }
  for (const [name, x] of [
    ["lr", lr],
    ["eps", eps],
    ["weightDecay", weightDecay],
  ] as const) {
    check(typeof x === "number" && Number.isFinite(x) && x >= 0, op, () => `${name} must be a finite non-negative number, got ${x}`);
  }
  const native = getBackend() === "native" && Object.values(bufs).every((b) => b instanceof Float32Array);
  if (!native) return ref.adamUpdate(params, grads, m, v, { lr, beta1, beta2, eps, weightDecay, step });
  if (params.length > 0) K.pb_adam_update(params, grads, m, v, params.length, lr, beta1, beta2, eps, weightDecay, step);
}
