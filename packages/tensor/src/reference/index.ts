// @pullback/tensor/reference — the plain TypeScript implementation of every op (float64 accumulation).
export * from "./philox.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export * from "./softmax.ts";
export * from "./layernorm.ts";
export * from "./cross_entropy.ts";
export * from "./linear_cross_entropy.ts";
export * from "./embedding.ts";
export * from "./dropout.ts";
export * from "./adam.ts";
export * from "./attention.ts";
export * from "./matmul.ts";
