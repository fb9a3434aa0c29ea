// @pullback/tensor/reference — the plain TypeScript implementation of every op (float64 accumulation).
export * from "./philox.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
