// Implicit mode — names: the deterministic names of a rule's generated variables.
//
// A variable `x` of the function has the cotangent `d_x` (`d_x_2` for a second `x` the function
// declares, e.g. in a nested block, or when the file already uses `d_x`). A step's value, its
// pullback, the pullback's results and its cotangent share one stem, named after the op or the
// property path (`matmul`, `p_attn_wqkv`; `matmul_2` for the function's second matmul):
//
//   const [__v_matmul, __pb_matmul] = __ops.matmul(x, __v_p_w1);     forward
//   const __g_matmul = __pb_matmul(__d_matmul);                       pullback
//
// A forward rule (forward/generate.ts) names its steps with the same stems: the value `__v_matmul`
// and its tangent `__t_matmul` (a variable x has the tangent t_x).
//
// Names are numbered per function, in source order, so a change in one function renames nothing
// in another. Cotangents of variables are unique across a rule and the rules inlined into it (a
// closure's rule adds into its enclosing rule's `d_x`); stems only within one rule.
import type { Node } from "../parse.ts";
import { unwrapExpr } from "./scope.ts";

/** Cotangent names of variables, shared by a rule and the nested rules inlined into it. */
export class AdjointNames {
  private readonly used = new Set<string>();
  constructor(private readonly taken: Set<string>) {}

  /** `d_<name>`, or `d_<name>_2`, … when a variable of the same name (or the file) has it. */
  of(name: string): string {
    let adj = `d_${name}`;
    for (let i = 2; this.used.has(adj) || this.taken.has(adj); i++) adj = `d_${name}_${i}`;
    this.used.add(adj);
    return adj;
  }
}

/** Stems of one rule's steps (`matmul`, `matmul_2`, …) and its other generated names. */
export class StepNames {
  private readonly used = new Set<string>();
  constructor(private readonly taken: Set<string>) {}

  /** A stem not used yet in this rule: `stem`, then `stem_2`, `stem_3`, … */
  stem(base: string): string {
    const clean = base.replace(/[^\w$]+/g, "_").replace(/^_+|_+$/g, "") || "value";
    let s = clean;
    for (let i = 2; this.used.has(s) || this.taken.has(`__v_${s}`); i++) s = `${clean}_${i}`;
    this.used.add(s);
    return s;
  }

  /** A reserved name `__<role>` or `__<role>_<base>` (`__k_l` for the saved key `l`, `__n_xs` for a length). */
  fresh(role: string, base = ""): string {
    return `__${this.stem(base ? `${role}_${base}` : role)}`;
  }
}

/** What a value is, for its stem: the callee of a call, the path of a property read, … */
export function stemOf(e: Node): string {
  const n = unwrapExpr(e);
  switch (n.type) {
    case "Identifier":
      return n.name;
    case "CallExpression":
      return stemOf(n.callee);
    case "MemberExpression": {
      const key = n.computed ? unwrapExpr(n.property) : n.property;
      const last = key.type === "Identifier" ? key.name : key.type === "Literal" ? String(key.value) : "at";
      return `${stemOf(n.object)}_${last}`;
    }
    case "ThisExpression":
      return "this";
    default:
      return "value";
  }
}
