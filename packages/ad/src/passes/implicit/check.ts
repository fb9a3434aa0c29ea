// Implicit mode, pass 2 — check: syntax the loader cannot differentiate, rejected at load time
// with its location and the reason (generators, async functions, eval, with, classes, try,
// getters and methods, this/arguments, reserved `__` names). Activity-dependent problems
// (mutation of tracked values, unsupported operations on them) are reported by the generator.
import { eachChild, type Node, type Parsed } from "../parse.ts";
import { isFunction, patternIds, type ScopeInfo } from "./scope.ts";

export interface Report {
  (node: { start: number; end: number }, reason: string, hint?: string): void;
}

export function checkImplicit(p: Parsed, scopes: ScopeInfo, report: Report): void {
  for (const f of scopes.functions) {
    const n = f.node;
    if (n.generator)
      report(
        { start: n.start, end: n.start + 8 },
        `generator functions cannot be differentiated (\`${f.name}\`)`,
        "return an array instead of yielding values, or move the generator to a .ts file",
      );
    if (n.async)
      report(
        { start: n.start, end: n.start + 5 },
        `async functions cannot be differentiated (\`${f.name}\`)`,
        "await outside the differentiated function and pass the values in, or move it to a .ts file",
      );
  }
  for (const b of scopes.owned.values()) {
    for (const binding of b) {
      if (binding.name.startsWith("__"))
        report(binding.id, `\`${binding.name}\`: names starting with \`__\` are reserved for generated code in .ad.ts files`, "rename it");
    }
  }
  const walk = (n: Node, inFunction: boolean, inArrowOnly: boolean): void => {
    if (!n || typeof n !== "object" || typeof n.type !== "string") return;
    switch (n.type) {
      case "ClassDeclaration":
      case "ClassExpression":
        report(
          { start: n.start, end: n.start + 5 },
          "classes are not supported in .ad.ts files: their methods cannot be given rules",
          "use functions and plain objects; keep classes in .ts files",
        );
        return;
      case "WithStatement":
        report(
          { start: n.start, end: n.start + 4 },
          "`with` is not supported: it makes variable resolution dynamic",
          "name the object: `o.a` instead of `with (o) { a }`",
        );
        break;
      case "TryStatement":
        if (inFunction)
          report(
            { start: n.start, end: n.start + 3 },
            "`try` is not supported in differentiated functions: an exception would leave the pullback half-recorded",
            "validate inputs before the computation, or catch around the call to the differentiated function",
          );
        break;
      case "ForOfStatement":
        if (n.await && inFunction)
          report(
            { start: n.start, end: n.start + 9 },
            "`for await` is not supported in differentiated functions",
            "await the values outside the differentiated function and loop over them with `for … of`",
          );
        break;
      case "CallExpression":
        if (n.callee.type === "Identifier" && n.callee.name === "eval" && !scopes.refs.has(n.callee))
          report(
            n.callee,
            "`eval` is not supported: the loader cannot see code built at run time",
            "write the code in the file, or keep the eval in a .ts file",
          );
        break;
      case "NewExpression":
        if (n.callee.type === "Identifier" && n.callee.name === "Function" && !scopes.refs.has(n.callee))
          report(
            n.callee,
            "`new Function` is not supported: the loader cannot see code built at run time",
            "write the function in the file, or keep it in a .ts file",
          );
        break;
      case "ThisExpression":
        if (inFunction) report(n, "`this` is not supported in differentiated functions", "pass the object as a parameter");
        break;
      case "Super":
        report(n, "`super` is not supported in .ad.ts files");
        break;
      case "Identifier":
        if (n.name === "arguments" && inFunction && !inArrowOnly && !scopes.refs.has(n))
          report(n, "`arguments` is not supported in differentiated functions", "use a rest parameter: `(...xs) => …`");
        break;
      case "Property":
        if (n.kind === "get" || n.kind === "set") {
          report(
            n.key,
            `${n.kind}ters are not supported in .ad.ts files: an accessor hides a computation from the loader`,
            "store the value as a plain property, or compute it with a function",
          );
          return;
        }
        if (n.method) {
          report(
            n.key,
            "object-literal methods are not supported in .ad.ts files",
            `write \`${n.key.type === "Identifier" ? n.key.name : "name"}: (…) => …\` instead`,
          );
          return;
        }
        break;
      case "ExportDefaultDeclaration":
        if (isFunction(n.declaration) && n.declaration.type === "FunctionDeclaration" && !n.declaration.id) {
          report(n.declaration, "an anonymous default-exported function cannot be given a rule", "name it: `export default function loss(…) { … }`");
        }
        break;
      case "TSModuleDeclaration":
      case "TSInterfaceDeclaration":
      case "TSTypeAliasDeclaration":
        return;
    }
    const fnHere = isFunction(n);
    const nextIn = inFunction || fnHere;
    const nextArrowOnly = fnHere ? n.type === "ArrowFunctionExpression" && (!inFunction || inArrowOnly) : inArrowOnly;
    eachChild(n, (c) => walk(c, nextIn, nextArrowOnly));
  };
  walk(p.program, false, false);
  void patternIds;
}
