// Which implementation runs an op: the Zig kernels ("native", the default) or the plain
// TypeScript reference ("reference": simple loops, float64 accumulation — slow, for debugging).
// float64 tensors always run on the reference.
//   PULLBACK_BACKEND=reference bun test
import type { Tensor } from "./tensor.ts";

export type Backend = "native" | "reference";

let current: Backend = parseBackend(process.env.PULLBACK_BACKEND);

function parseBackend(value: string | undefined): Backend {
  if (value === undefined || value === "" || value === "native") return "native";
  if (value === "reference") return "reference";
  throw new Error(`PULLBACK_BACKEND must be "native" or "reference", got "${value}"`);
}

export function getBackend(): Backend {
  return current;
}

export function setBackend(backend: Backend): void {
  current = parseBackend(backend);
}

/** True when an op over these tensors runs on the Zig kernels. */
export function useNative(...tensors: Tensor[]): boolean {
  if (current !== "native") return false;
  for (const t of tensors) if (t.dtype !== "float32") return false;
  return true;
}
