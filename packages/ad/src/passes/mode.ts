// Which convention a parsed `.ad.ts` file is written in, decided from its syntax tree: a file that
// imports `ad` from @pullback/ad (named, renamed, or through a namespace) and calls it is in
// explicit mode (proc-macro-gpt's rrule-call convention); any other file is in implicit mode.
// A comment or a string that mentions `ad(…)` changes nothing.
import type { Expression, ImportSpecifier, Program } from "oxc-parser";
import { eachChild, type Node } from "./parse.ts";

export type Mode = "explicit" | "implicit";

const AD_MODULE = "@pullback/ad";

export function detectMode(program: Program): Mode {
  const names = new Set<string>(); // local names of `ad`
  const namespaces = new Set<string>(); // `import * as pb from "@pullback/ad"`
  for (const s of program.body) {
    if (s.type !== "ImportDeclaration" || s.source?.value !== AD_MODULE || s.importKind === "type") continue;
    for (const spec of s.specifiers ?? []) {
      if (spec.type === "ImportSpecifier" && spec.importKind !== "type" && importedName(spec) === "ad") names.add(spec.local.name);
      else if (spec.type === "ImportNamespaceSpecifier") namespaces.add(spec.local.name);
    }
  }
  if (names.size === 0 && namespaces.size === 0) return "implicit";
  let found = false;
  const visit = (n: Node) => {
    if (found) return;
    if (n.type === "CallExpression" && callsAd(n.callee, names, namespaces)) {
      found = true;
      return;
    }
    eachChild(n, visit);
  };
  visit(program);
  return found ? "explicit" : "implicit";
}

function importedName(spec: ImportSpecifier): string | undefined {
  const imported = spec.imported;
  return imported?.type === "Identifier" ? imported.name : imported?.value;
}

function callsAd(callee: Expression, names: Set<string>, namespaces: Set<string>): boolean {
  if (callee.type === "Identifier") return names.has(callee.name);
  if (callee.type === "MemberExpression" && !callee.computed && callee.object?.type === "Identifier" && namespaces.has(callee.object.name)) {
    return callee.property?.name === "ad";
  }
  return false;
}
