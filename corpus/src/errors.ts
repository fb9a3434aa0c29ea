// Errors of the data pipeline: one clear message, no stack needed by the CLI.

/** A problem with the corpus (download, file format, cache) that the user can act on. */
export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorpusError";
  }
}
