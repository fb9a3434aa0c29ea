// Implicit mode — cleanup: simplifies a rule's steps before its reverse is written (Tangent has
// such a pass too). Forwarding: a temporary whose only reader is a copy into a variable
// (`x = f(x)` is `const [__v_f, …] = f(x); x = __v_f;`) or the return in the same unit takes its
// cotangent straight from that reader — the variable's consumed cotangent `__o_d_x`, or `__dy` —
// instead of through a cotangent variable of its own:
//
//   before                                   after
//   let __d_f: any = null;                   const __o_d_x = d_x;
//   const __o_d_x = d_x;                     d_x = null;
//   d_x = null;                              if (__o_d_x !== null) …__pb_f(__o_d_x)…
//   __d_f = __o_d_x;
//   if (__d_f !== null) …__pb_f(__d_f)…
import { consumedName, stepOperands, type Active, type Unit } from "./reverse.ts";

/** Forwards single-use cotangents (see above); returns the temporaries left without a cotangent variable. */
export function forwardCotangents(units: Unit[]): Set<Active> {
  const readers = new Map<Active, number>();
  for (const u of units)
    for (const st of u.steps) for (const o of stepOperands(st)) if ("adj" in o && o.kind === "temp") readers.set(o, (readers.get(o) ?? 0) + 1);
  const forwarded = new Set<Active>();
  for (const u of units) {
    const produced = new Set<Active>();
    for (const st of u.steps) {
      if (st.k === "ret" && st.src.kind === "temp" && produced.has(st.src) && readers.get(st.src) === 1) {
        st.forward = true;
        st.src.adj = "__dy";
        forwarded.add(st.src);
      } else if (st.k === "copy" && st.out.kind === "acc" && st.src.kind === "temp" && produced.has(st.src) && readers.get(st.src) === 1) {
        st.forward = true;
        st.src.adj = consumedName(st.out.adj);
        forwarded.add(st.src);
      }
      if ("out" in st) produced.add(st.out);
    }
  }
  return forwarded;
}
