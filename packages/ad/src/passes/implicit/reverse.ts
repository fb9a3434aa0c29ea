// Implicit mode — the steps a rule's forward is flattened into, and the reverse code of each.
//
// A step reads operands (tracked values: variables and single-use temporaries) and writes one
// value; its reverse reads the output's cotangent and adds each operand's share to that
// operand's cotangent. A variable's cotangent is consumed when the step that wrote it is reversed
// (its earlier value gets its own), so loops and reassignments need no renaming; a temporary's is
// simply assigned. `null` stands for a zero cotangent of any shape.
import type { Node } from "../parse.ts";

export interface Active {
  name: string;
  adj: string;
  /** "temp": used once, its cotangent is assigned; "acc": cotangents are summed (bindings). */
  kind: "temp" | "acc";
}
export interface Inactive {
  text: string;
}
export type Operand = Active | Inactive;
export const isActiveOp = (o: Operand): o is Active => (o as Active).name !== undefined;
export const opText = (o: Operand): string => (isActiveOp(o) ? o.name : o.text);

export type Step =
  | { k: "call"; out: Active; pb: string; args: Operand[]; origin: number }
  /** out = obj[key], or obj[k1][k2]… when `path` (key is then an array literal of the keys). */
  | { k: "get"; out: Active; obj: Active; key: string; path?: boolean; origin: number }
  | { k: "array"; out: Active; items: { op: Operand; len?: string }[]; origin: number }
  | { k: "object"; out: Active; props: { key: string; op: Operand }[]; origin: number }
  /** `forward`: src's cotangent is out's consumed cotangent itself (cleanup.ts). */
  | { k: "copy"; out: Active; src: Active; origin: number; forward?: boolean }
  | { k: "rest"; out: Active; src: Active; start: number; origin: number }
  /** `forward`: src's cotangent is `__dy` itself (cleanup.ts). */
  | { k: "ret"; src: Active; origin: number; forward?: boolean }
  | { k: "kill"; target: Active; origin: number };

/** The tracked steps of one statement; in tape mode they are replayed as one tape entry. */
export interface Unit {
  id: number;
  origin: Node;
  steps: Step[];
  saved: string[];
  /** Nesting under the function body (0: a top-level statement's own level). */
  depth: number;
  /** The top-level statement (or parameter pattern) the unit belongs to, in source order. */
  group: number;
}

/** The values a step reads (its inputs; `out` excluded). */
export function stepOperands(s: Step): Operand[] {
  switch (s.k) {
    case "call":
      return s.args;
    case "get":
      return [s.obj];
    case "array":
      return s.items.map((i) => i.op);
    case "object":
      return s.props.map((p) => p.op);
    case "copy":
    case "rest":
    case "ret":
      return [s.src];
    case "kill":
      return [s.target];
  }
}

/** The constant holding a variable's cotangent while its step is reversed: `__o_d_x` (`__o__d_xs` for a generated one). */
export const consumedName = (adj: string): string => (adj.startsWith("__") ? `__o${adj}` : `__o_${adj}`);

/** `dst ← dst + value` for a binding, `dst ← value` for a single-use temp. */
function give(dst: Operand, value: string): string | null {
  if (!isActiveOp(dst) || dst.adj === "__unused") return null;
  return dst.kind === "temp" ? `${dst.adj} = ${value};` : `${dst.adj} = __ad.acc(${dst.adj}, ${value});`;
}

/** The reverse code of a step: its output's cotangent, split among its operands. */
export function reverseStep(s: Step): string[] {
  const lines: string[] = [];
  /** Reads the output's cotangent; a binding's is consumed (its earlier value gets its own). */
  const read = (o: Active): string => {
    if (o.kind === "temp") return o.adj;
    const t = consumedName(o.adj);
    lines.push(`const ${t} = ${o.adj};`, `${o.adj} = null;`);
    return t;
  };
  const push = (x: string | null) => x !== null && lines.push(x);
  /**
   * dst ← f(dst's cotangent) for container updates. A temp too accumulates: a destructuring reads
   * several elements of one temp (`const [a, b] = splitAt(…)`), each get adding its part.
   */
  const update = (dst: Active, f: (base: string) => string) => lines.push(`${dst.adj} = ${f(dst.adj)};`);
  switch (s.k) {
    case "call": {
      const dy = read(s.out);
      const g = `__g_${s.pb.slice(5)}`; // __pb_<stem> → __g_<stem>
      const gives = s.args.map((a, i) => give(a, `${g}[${i}]`)).filter((x): x is string => x !== null);
      if (gives.length === 0) lines.push(`if (${dy} !== null) ${s.pb}(${dy});`);
      else if (gives.length === 1) {
        // One cotangent: `if (dy !== null) dx = pb(dy)[i];`
        const i = s.args.findIndex((a, j) => give(a, `${g}[${j}]`) !== null);
        lines.push(`if (${dy} !== null) ${give(s.args[i], `${s.pb}(${dy})[${i}]`)}`);
      } else lines.push(`if (${dy} !== null) {`, `  const ${g} = ${s.pb}(${dy});`, ...gives.map((x) => `  ${x}`), "}");
      break;
    }
    case "get": {
      const dy = read(s.out);
      update(s.obj, (base) => `__ad.${s.path ? "accPath" : "accAt"}(${base}, ${s.key}, ${dy})`);
      break;
    }
    case "array": {
      const dy = read(s.out);
      let offset = "0";
      let fixed = 0;
      const at = () => (offset === "0" ? String(fixed) : `${offset} + ${fixed}`);
      for (const item of s.items) {
        if (item.len) {
          push(give(item.op, `__ad.sliceCotangent(${dy}, ${at()}, ${item.len})`));
          offset = offset === "0" ? item.len : `${offset} + ${item.len}`;
        } else {
          push(give(item.op, `__ad.at(${dy}, ${at()})`));
          fixed++;
        }
      }
      break;
    }
    case "object": {
      const dy = read(s.out);
      for (const p of s.props) push(give(p.op, `__ad.at(${dy}, ${p.key})`));
      break;
    }
    case "copy": {
      const dy = read(s.out);
      if (!s.forward) push(give(s.src, dy));
      break;
    }
    case "rest": {
      const dy = read(s.out);
      update(s.src, (base) => `__ad.restCotangent(${base}, ${s.start}, ${dy})`);
      break;
    }
    case "ret":
      if (!s.forward) push(give(s.src, "__dy"));
      break;
    case "kill":
      lines.push(`${s.target.adj} = null;`);
      break;
  }
  return lines;
}
