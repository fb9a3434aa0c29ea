// The forward rules of @pullback/tensor, from its op table (@pullback/tensor/rules): every entry's
// and every kernel's forward rule is registered for its function when this module loads (origin
// "op", found by identity like every forward rule), and `fopOf` finds one by name for generated
// forward code (`__ad.fopOf("matmul", site)`).
import { kernelTable, opTable, type Frule } from "@pullback/tensor/rules";
import { defineFrule, NoForwardRuleError } from "./forward.ts";

const byName = new Map<string, Frule>();
for (const { name, op, frule } of [...Object.values(opTable), ...Object.values(kernelTable)]) {
  defineFrule(op, frule, "op");
  byName.set(name, frule);
}

/** The forward rule of the op `name` of @pullback/tensor for a call at `site` (generated code). */
export function fopOf(name: string, site: string): Frule {
  const r = byName.get(name);
  if (r) return r;
  throw new NoForwardRuleError(`\`${name}\` of @pullback/tensor`, site, "the op has no forward rule in the op table (packages/tensor/src/rules/).");
}
