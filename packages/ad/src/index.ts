// @pullback/ad — source-to-source reverse-mode AD for `*.ad.ts` files (see docs/ad.md).
export { ad, AdLoaderError } from "./runtime/marker.ts";
export { fork, detach, attach, splitFirst } from "./runtime/rrules.ts";
export { valueAndGrad, grad, type RRule, type GradOptions } from "./runtime/grad.ts";
export {
  treeMap,
  treeZip,
  treeAdd,
  treeZerosLike,
  treeFlatten,
  treeUnflatten,
  flattenTree,
  unflattenTree,
  isLeaf,
  type Tree,
  type Leaf,
} from "./runtime/tree.ts";
export { gradcheck, formatGradcheck, GradcheckError, type GradcheckOptions, type GradcheckReport, type GradcheckEntry } from "./runtime/gradcheck.ts";
export { AdSyntaxError, type Diagnostic } from "./diagnostics.ts";
