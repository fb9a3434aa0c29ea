export * from "./matmul.ts";
