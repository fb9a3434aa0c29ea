// Learning-rate schedules: linear warmup, then constant or cosine decay to a floor.

export interface ScheduleOptions {
  lr: number;
  warmup: number;
  schedule: "constant" | "cosine";
  minLr: number;
  /** Length of the cosine (the run's --steps). */
  steps: number;
}

/**
 * Learning rate of optimizer step `step` (1-based: the first update is step 1).
 * Warmup: lr·step/warmup for step ≤ warmup (so step `warmup` reaches the peak).
 * Cosine: minLr + (lr − minLr)·(1 + cos(π·progress))/2, progress = (step − warmup)/(steps − warmup)
 * from 0 right after warmup to 1 at the last step; past `steps` it stays at minLr.
 */
export function learningRate(step: number, o: ScheduleOptions): number {
  if (step < 1) throw new Error(`learningRate: steps are 1-based, got ${step}`);
  if (o.warmup > 0 && step <= o.warmup) return (o.lr * step) / o.warmup;
  if (o.schedule === "constant") return o.lr;
  const span = o.steps - o.warmup;
  if (span <= 0) return o.minLr;
  const progress = Math.min(1, (step - o.warmup) / span);
  return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos(Math.PI * progress));
}
