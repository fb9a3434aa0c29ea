export * from "./softmax.ts";
export * from "./layernorm.ts";
export * from "./cross_entropy.ts";
export * from "./embedding.ts";
export * from "./dropout.ts";
export * from "./adam.ts";
