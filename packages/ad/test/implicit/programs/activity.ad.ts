// Corpus: activity — shapes, indices and config objects flow through untouched. cfg is a
// parameter (so varied), but its values only reach sizes, indices and loop bounds: the rule makes
// no rule call for them and gives cfg no cotangent (corpus.test.ts reads the generated code).
import { add, mulScalar, reshape, splitAt, sumAlong, take, tanh, type Tensor } from "@pullback/tensor";

/** Uses x.shape[0], a config object and integer indices: only the ops on x and w are differentiated. */
export function windowed(x: Tensor, w: Tensor, cfg: { n: number }, ids: Int32Array): Tensor {
  const rows = x.shape[0];
  const cols = x.shape[1];
  const n = Math.min(cfg.n, rows);
  const width = n * cols;
  const [head] = splitAt(x, 0, n);
  const flat = reshape(head, [width]);
  const back = reshape(flat, [n, cols]);
  const picked = take(w, ids.subarray(0, n));
  const first = ids[0] % cols;
  let h = add(back, mulScalar(picked, 0.5));
  h = add(h, take(w, [first, ids[n - 1]]));
  for (let i = 0; i < cfg.n; i++) h = tanh(h);
  return sumAlong(h, 0);
}

/** The same config used both ways: cfg.n as a loop bound, cfg.scale as a differentiated number. */
export function configScale(x: Tensor, cfg: { n: number; scale: number }): Tensor {
  let h = x;
  for (let i = 0; i < cfg.n; i++) h = mulScalar(tanh(h), cfg.scale);
  return h;
}

/** An optional config object read with ?. and ?? in a loop bound. */
export function optionalInactive(x: Tensor, cfg?: { n: number }): Tensor {
  let h = x;
  for (let i = 0; i < (cfg?.n ?? 2); i++) h = tanh(h);
  return h;
}
