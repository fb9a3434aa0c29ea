// Integer index arguments (token ids, targets, rows/cols): accepted as Int32Array or number[],
// checked to be integers in range before anything crosses the FFI boundary.
import { TensorError } from "../errors.ts";

/**
 * `values` as an Int32Array (an Int32Array is used as is), every entry an integer in [0, limit).
 * On failure the message names the op, the value, its position and the limit, e.g.
 * `crossEntropy: target 8000 at row 17 is out of range for vocab 8000`.
 */
export function toIndices(
  op: string,
  values: Int32Array | readonly number[],
  limit: number,
  describe: (value: number, position: number) => string,
): Int32Array {
  if (!(values instanceof Int32Array) && !Array.isArray(values)) {
    throw new TensorError(op, `indices must be an Int32Array or an array of numbers, got ${(values as object)?.constructor?.name ?? typeof values}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= limit) throw new TensorError(op, describe(v, i));
  }
  return values instanceof Int32Array ? values : Int32Array.from(values);
}
