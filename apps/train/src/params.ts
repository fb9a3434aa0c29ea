// Parameter trees (parameters, gradients, optimizer moments: ParamTree of @pullback/gpt2) for the
// trainer: the tree utilities of @pullback/ad typed for ParamTree, and the rebuilding of a tree from
// the named tensors of a checkpoint.
import { treeFlatten, treeMap, treeZerosLike } from "@pullback/ad";
import type { Tensor } from "@pullback/tensor";
import type { ParamTree } from "@pullback/gpt2";

/** Every Tensor of a tree with its dotted name (`blocks.0.attn.wqkv`), in a fixed order. */
export function namedTensors(tree: ParamTree): [string, Tensor][] {
  const { paths, leaves } = treeFlatten(tree);
  return paths.map((path, i) => [path, leaves[i] as Tensor]);
}

/** A tree of the same structure with `f` applied to every Tensor (and its dotted name). */
export function mapTree<P extends ParamTree>(tree: P, f: (t: Tensor, name: string) => Tensor): P {
  return treeMap(tree, f) as P;
}

/** Zeros shaped like every Tensor of `tree` (optimizer moments). */
export function zerosLike<P extends ParamTree>(tree: P): P {
  return treeZerosLike(tree) as P;
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
