// @pullback/corpus: TinyStories download, stories, GPT-2 BPE with a reduced vocabulary, cached token
// streams and random batches.
export * from "./errors.ts";
export * from "./paths.ts";
export * from "./progress.ts";
export * from "./download.ts";
export * from "./stories.ts";
export * from "./tokenize.ts";
export * from "./encode-source.ts";
export * from "./batches.ts";
export * from "./prepare.ts";
export * from "./cache.ts";
export * from "./synthetic.ts";
