// What the loader knows of the exports of @pullback/tensor, by name — derived from tensor's op
// table (@pullback/tensor/rules), where every export is classified in exactly one place:
//   DIFFERENTIABLE_OPS         ops with a rule: a call with tracked arguments is differentiated;
//   DIFFERENTIABLE_ARGS        how many leading arguments of each are differentiable (activity);
//   NON_DIFFERENTIABLE_EXPORTS the result carries no gradient, whatever the arguments;
//   MUTATING_OPS               ops that write into arguments in place (positions listed);
//   NO_RULE_OPS                intentionally without a rule, with the reason (backward kernels…).
// Importing the table loads tensor's ops but not the Zig library (bound lazily on the first call).
import { MUTATING_OPS, NO_RULE_OPS, NON_DIFFERENTIABLE_EXPORTS, opTable } from "@pullback/tensor/rules";

export { MUTATING_OPS, NO_RULE_OPS, NON_DIFFERENTIABLE_EXPORTS };

export const DIFFERENTIABLE_ARGS: ReadonlyMap<string, number> = new Map(Object.entries(opTable).map(([name, entry]) => [name, entry.differentiable]));

export const DIFFERENTIABLE_OPS: ReadonlySet<string> = new Set(DIFFERENTIABLE_ARGS.keys());

/** The backward kernels and forward (statistics) forms the table's rules call, by export name. */
export const BACKWARD_KERNELS: readonly string[] = [
  ...new Set(Object.values(opTable).flatMap((entry) => [...entry.kernels, ...(entry.forward ? [entry.forward] : [])].map((k) => k.name))),
];
