// Seeded token-level mutations of TypeScript programs, for fuzzing the .ad.ts loader: a token is
// deleted, two tokens are swapped, or a token is duplicated; whitespace between tokens stays.

import { FuzzRng } from "@pullback/tensor/fuzz";

export { FuzzRng };

// Comments, strings, template literals (without nesting), numbers, identifiers, operators, any other character.
const tokenPattern =
  /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?n?|[A-Za-z_$][\w$]*|=>|\.\.\.|\?\?=?|\?\.|[=!]==?|[<>]=?|&&=?|\|\|=?|[-+*/%]=?|\+\+|--|\S/g;

export interface Token {
  start: number;
  end: number;
}

/** The tokens of a source (comments included: deleting or moving one is a mutation too). */
export function tokenize(source: string): Token[] {
  const out: Token[] = [];
  for (const m of source.matchAll(tokenPattern)) out.push({ start: m.index!, end: m.index! + m[0].length });
  return out;
}

export const programMutations = ["delete", "swap", "duplicate"] as const;
export type ProgramMutation = (typeof programMutations)[number];

/** 1–3 token mutations of `source`; returns the mutated source and the kind of the first. */
export function mutateProgram(source: string, tokens: Token[], rng: FuzzRng): { kind: ProgramMutation; source: string } {
  // Edits are applied to a per-token text array, so positions stay those of the original tokens.
  const texts = tokens.map((t) => source.slice(t.start, t.end));
  const kind = rng.pick(programMutations);
  const edits = 1 + (rng.int(4) === 0 ? rng.int(3) : 0);
  for (let e = 0; e < edits; e++) {
    const k = e === 0 ? kind : rng.pick(programMutations);
    const i = rng.int(texts.length);
    if (k === "delete") texts[i] = "";
    else if (k === "duplicate") texts[i] = `${texts[i]} ${texts[i]}`;
    else {
      // A neighbour most of the time (a local mistake), any token otherwise.
      const j = rng.int(3) > 0 ? Math.min(texts.length - 1, i + 1 + rng.int(3)) : rng.int(texts.length);
      [texts[i], texts[j]] = [texts[j], texts[i]];
    }
  }
  let out = "",
    pos = 0;
  tokens.forEach((t, i) => {
    out += source.slice(pos, t.start) + texts[i];
    pos = t.end;
  });
  return { kind, source: out + source.slice(pos) };
}
