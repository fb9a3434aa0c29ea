// @pullback/ad — source-to-source reverse-mode AD for `*.ad.ts` files (see docs/ad.md).
// The rules of the @pullback/tensor ops (its op table) are registered when the registry loads;
// their forward rules (jvp) when runtime/op_frules.ts loads.
import "./runtime/op_frules.ts";
export { ad, AdLoaderError } from "./runtime/marker.ts";
export { fork, detach, attach, splitFirst } from "./runtime/rrules.ts";
export { valueAndGrad, grad, pullback, type RRule, type GradOptions, type Cotangent, type GradsOf } from "./runtime/grad.ts";
export { stopGradient, nonDifferentiable, customVjp, checkpoint, rrule, primal, type Static } from "./runtime/custom.ts";
export { AnomalyError, setAnomalyDetection } from "./runtime/anomaly.ts";
export { defineRrule, findRule, ruleOrigin, NoRuleError, type Rule, type RulePullback } from "./runtime/registry.ts";
export { CotangentError } from "./runtime/cotangent_check.ts";
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
  completeCotangent,
  type Tree,
  type Leaf,
} from "./runtime/tree.ts";
export { hvp, hessian } from "./runtime/second_order.ts";
export { jvp, defineFrule, findFrule, fruleOrigin, NoForwardRuleError, type Frule } from "./runtime/forward.ts";
export {
  jvpcheck,
  hvpcheck,
  randomTangent,
  JvpcheckError,
  type JvpcheckOptions,
  type JvpcheckReport,
  type JvpcheckEntry,
} from "./runtime/jvpcheck.ts";
export {
  gradcheck,
  gradcheckFunction,
  formatGradcheck,
  GradcheckError,
  type GradcheckOptions,
  type GradcheckReport,
  type GradcheckEntry,
} from "./runtime/gradcheck.ts";
export { AdSyntaxError, type Diagnostic } from "./diagnostics.ts";
