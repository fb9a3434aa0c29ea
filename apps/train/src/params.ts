// Parameter trees (parameters, gradients, optimizer moments: ParamTree of @pullback/gpt2) for the
// trainer: flatten to named tensors, map, zeros, and rebuild from the named tensors of a checkpoint.
import { Tensor } from "@pullback/tensor";
import type { ParamTree } from "@pullback/gpt2";

/** Every Tensor of a tree with its dotted name (`blocks.0.attn.wqkv`), in a fixed order. */
export function flattenTree(tree: ParamTree, prefix = ""): [string, Tensor][] {
  if (tree instanceof Tensor) return [[prefix, tree]];
  const out: [string, Tensor][] = [];
  const entries: [string, ParamTree][] = Array.isArray(tree) ? tree.map((t, i) => [String(i), t]) : Object.entries(tree);
  for (const [key, child] of entries) out.push(...flattenTree(child, prefix ? `${prefix}.${key}` : key));
  return out;
}

/** A tree of the same structure with `f` applied to every Tensor. */
export function mapTree<P extends ParamTree>(tree: P, f: (t: Tensor, name: string) => Tensor, prefix = ""): P {
  if (tree instanceof Tensor) return f(tree, prefix) as P;
  const name = (key: string) => (prefix ? `${prefix}.${key}` : key);
  if (Array.isArray(tree)) return tree.map((t, i) => mapTree(t, f, name(String(i)))) as P;
  const out: Record<string, ParamTree> = {};
  for (const [key, child] of Object.entries(tree)) out[key] = mapTree(child, f, name(key));
  return out as P;
}

/** Zeros shaped like every Tensor of `tree` (optimizer moments). */
export function zerosLike<P extends ParamTree>(tree: P): P {
  return mapTree(tree, (t) => Tensor.zeros(t.shape, t.dtype));
}

/** Saved tensors that do not fit the model (a checkpoint of another config); the CLIs print the message. */
export class ParamMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParamMismatchError";
  }
}

/**
 * Rebuilds a tree shaped like `template` from named tensors (as loaded from a checkpoint):
 * every name must be present with the template's shape; `what` names the source in errors.
 */
export function unflattenLike<P extends ParamTree>(template: P, named: Record<string, Tensor>, what: string): P {
  return mapTree(template, (t, name) => {
    const found = named[name];
    if (!found) throw new ParamMismatchError(`${what}: tensor "${name}" is missing`);
    if (found.shape.join(",") !== t.shape.join(",")) {
      throw new ParamMismatchError(`${what}: tensor "${name}" has shape (${found.shape.join(", ")}), the model expects (${t.shape.join(", ")})`);
    }
    return found.dtype === t.dtype ? found : found.to(t.dtype);
  });
}
