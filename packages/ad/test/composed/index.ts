// Ops written as compositions of primitive rrules in `.ad.ts` files (explicit mode, docs/ad.md):
// reference compositions for the fused rules, used by composed.test.ts and
// packages/ad/bench/attention_vs_composed.ts. Importing this module needs the pullback loader.
export { softmax } from "./softmax.ad.ts";
export { layerNorm } from "./layer_norm.ad.ts";
export { attention, causalMask } from "./attention.ad.ts";
