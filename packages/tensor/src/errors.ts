// Errors thrown by tensor ops: they name the op and the shapes involved.

/** An op was called with arguments it cannot accept (shapes, indices, dtypes, lengths). */
export class TensorError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = "TensorError";
  }
}

/** `(2, 3)` — shapes as they appear in every error message. */
export function fmtShape(shape: readonly number[]): string {
  return `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;
}

/** Throws a TensorError for `op` unless `ok`. */
export function check(ok: boolean, op: string, message: () => string): asserts ok {
  if (!ok) throw new TensorError(op, message());
}
