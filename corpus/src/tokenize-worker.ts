// Worker: encodes chunks of stories to GPT-2 ids (see encodeSource in encode-source.ts).
import { encodeChunk } from "./tokenize.ts";
import type { StoryFormat } from "./stories.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ id: number; text: string; format: StoryFormat }>) => {
  const { id, text, format } = event.data;
  try {
    const { tokens, stories } = encodeChunk(text, format);
    self.postMessage({ id, tokens, stories }, [tokens.buffer as ArrayBuffer]);
  } catch (e) {
    self.postMessage({ id, error: String((e as Error)?.stack ?? e) });
  }
};
