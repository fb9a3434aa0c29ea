// The plain TypeScript reference of every op (float64 accumulation; float32 or float64 tensors).
export * from "./attention.ts";
