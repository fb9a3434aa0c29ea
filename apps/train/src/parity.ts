// Parity with the JAX reference of tools/reference (llm.c's test_gpt2 in spirit): loads
// reference <name> of @pullback/gpt2 (loadReference), runs a TrainableModel on the same
// weights and batch (dropout off), and compares the loss, every gradient, and the losses of
// 5 Adam steps. The GPT-2 parity test only has to call `checkParity(model)` and assert `ok`.
import { Rng } from "@pullback/tensor";
import { loadReference, type ParamTree, type ReferenceName, type TrainableModel } from "@pullback/gpt2";
import { namedTensors, mapTree, unflattenLike } from "./params.ts";
import { adamStep, initAdam } from "./optimizer.ts";

export interface TensorDiff {
  name: string;
  maxAbs: number;
  /** Max element-wise |a − e| / max(|a|, |e|, 1e-6). Large for tiny elements in float32: informational. */
  maxRel: number;
  /** max|a − e| / max|e|: the error relative to the tensor's scale (what `ok` checks). */
  relToMax: number;
}

export interface ParityReport {
  ok: boolean;
  loss: { actual: number; expected: number; rel: number };
  grads: TensorDiff[];
  adam: { actual: number[]; expected: number[]; maxRel: number };
  /** One line per tensor, for printing. */
  lines: string[];
}

function compare(name: string, a: ArrayLike<number>, e: ArrayLike<number>): TensorDiff {
  if (a.length !== e.length) throw new Error(`parity: ${name} has ${a.length} elements, the reference ${e.length}`);
  let maxAbs = 0,
    maxRel = 0,
    maxE = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(a[i]), Math.abs(e[i]), 1e-6));
    maxE = Math.max(maxE, Math.abs(e[i]));
  }
  return { name, maxAbs, maxRel, relToMax: maxAbs / Math.max(maxE, 1e-12) };
}

/** Runs `model` (the tiny preset, dropout off) against reference `name` ("tiny" or "tiny-perturbed"). */
export function checkParity<P extends ParamTree>(model: TrainableModel<P>, options: { name?: ReferenceName; tolerance?: number } = {}): ParityReport {
  const { name = "tiny", tolerance = 1e-4 } = options;
  const { info, named, tokens, targets } = loadReference(name);
  const fresh = () => unflattenLike(model.initParams(new Rng(0)), named, `reference ${name}`);
  const batch = { tokens, targets, batch: info.batch.B, context: info.batch.T };
  const step = { dropoutSeed: 0, train: false };

  const params = fresh();
  const [loss, grads] = model.lossAndGrads(params, batch, step);
  const lossRel = Math.abs(loss - info.loss) / Math.abs(info.loss);
  const diffs = namedTensors(grads).map(([n, g]) => {
    const ref = named[`grad.${n}`];
    if (!ref) throw new Error(`parity: the model has a gradient "${n}" the reference does not`);
    return compare(n, g.data, ref.data);
  });
  const missing = (info.names as string[]).filter((n) => !diffs.some((d) => d.name === n));
  if (missing.length) throw new Error(`parity: the model gives no gradient for ${missing.join(", ")}`);

  // 5 Adam steps from the reference weights (cloned: unflattenLike returns the loaded tensors themselves).
  const p = mapTree(fresh(), (t) => t.clone());
  const adam = initAdam(p);
  const losses: number[] = [];
  for (let i = 0; i < info.adam.steps; i++) {
    const [l, g] = model.lossAndGrads(p, batch, step);
    losses.push(l);
    adamStep(p, g, adam, { lr: info.adam.lr, beta1: info.adam.beta1, beta2: info.adam.beta2, eps: info.adam.eps, weightDecay: 0 });
  }
  const adamRel = Math.max(...losses.map((l, i) => Math.abs(l - info.adam.losses[i]) / Math.abs(info.adam.losses[i])));

  const ok = lossRel <= tolerance && adamRel <= tolerance && diffs.every((d) => d.relToMax <= tolerance);
  const lines = [
    `loss ${loss.toFixed(8)} vs ${info.loss.toFixed(8)} (rel ${lossRel.toExponential(2)})`,
    ...diffs.map(
      (d) =>
        `grad ${d.name.padEnd(22)} max abs ${d.maxAbs.toExponential(2)}  rel to max ${d.relToMax.toExponential(2)}  max rel ${d.maxRel.toExponential(2)}`,
    ),
    `adam losses ${losses.map((l) => l.toFixed(6)).join(" ")} vs ${info.adam.losses.map((l) => l.toFixed(6)).join(" ")} (max rel ${adamRel.toExponential(2)})`,
  ];
  return {
    ok,
    loss: { actual: loss, expected: info.loss, rel: lossRel },
    grads: diffs,
    adam: { actual: losses, expected: info.adam.losses, maxRel: adamRel },
    lines,
  };
}
