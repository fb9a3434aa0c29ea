// Reference Adam / AdamW step over flat buffers, in place (float64 arithmetic per element).
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled (AdamW) weight decay: p −= lr·wd·p. */
  weightDecay?: number;
  /** 1-based step count for the bias corrections 1 − β^step. */
  step: number;
}

type Buf = Float32Array | Float64Array;

export function adamUpdate(params: Buf, grads: Buf, m: Buf, v: Buf, o: AdamOptions): void {
  const wd = o.weightDecay ?? 0;
  const c1 = 1 - o.beta1 ** o.step,
    c2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    const mhat = m[i] / c1,
      vhat = v[i] / c2;
    params[i] = params[i] - o.lr * (mhat / (Math.sqrt(vhat) + o.eps) + wd * params[i]);
  }
}
