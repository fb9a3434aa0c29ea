// @pullback/tensor/composed — ops written as compositions of primitive rrules in `.ad.ts` files
// (the rrule-call convention, docs/ad.md): reference compositions for the fused rules. Importing
// this module needs the pullback loader (bunfig.toml preload, or the plugin in Bun.build).
export { softmax } from "./softmax.ad.ts";
export { layerNorm } from "./layer_norm.ad.ts";
export { attention, causalMask } from "./attention.ad.ts";
