// Test helpers: generated story text (never the shared sample's text), a loopback HTTP server with
// Range support and failure modes, temporary folders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Deterministic pseudo-stories (xorshift word picks), in the TinyStories format or blank-line separated. */
export function generateStories(count: number, seed = 1, format: "endoftext" | "blank-lines" = "endoftext"): { text: string; stories: string[] } {
  const words = [
    "the",
    "cat",
    "dog",
    "sun",
    "big",
    "little",
    "happy",
    "sad",
    "ran",
    "saw",
    "a",
    "tree",
    "ball",
    "mom",
    "Lily",
    "Tom",
    "played",
    "with",
    "friend",
    "day",
    "café",
    "naïve",
    "🙂",
    "jumped",
    "said",
    "and",
  ];
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const stories: string[] = [];
  for (let i = 0; i < count; i++) {
    const sentences: string[] = [];
    const ns = 2 + (rnd() % 6);
    for (let j = 0; j < ns; j++) {
      const nw = 3 + (rnd() % 9);
      const w = Array.from({ length: nw }, () => words[rnd() % words.length]);
      w[0] = w[0][0].toUpperCase() + w[0].slice(1);
      sentences.push(`${w.join(" ")}.`);
    }
    // paragraphs inside a story are separated by single newlines (as in TinyStories)
    const story = sentences.reduce((acc, x, k) => acc + (k === 0 ? "" : k % 3 === 0 ? "\n" : " ") + x, "");
    stories.push(story);
  }
  const text = format === "endoftext" ? stories.map((x) => `${x}\n<|endoftext|>\n`).join("") : stories.join("\n\n") + "\n";
  return { text, stories };
}

export function tempDir(prefix = "pullback-corpus-"): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ServerMode {
  /** Drop the connection after this many bytes of the next `dropTimes` responses. */
  dropAfter?: number;
  dropTimes?: number;
  /** End the body cleanly (no error) after this many bytes of the next `shortTimes` responses. */
  shortAfter?: number;
  shortTimes?: number;
  /** Announce this total instead of the real size. */
  lieTotal?: number;
  /** Ignore Range headers (always 200). */
  ignoreRange?: boolean;
}

/** A loopback server for `files`, with Range support; records the Range header of each request. */
export function serveFiles(files: Record<string, Uint8Array>, mode: ServerMode = {}) {
  const requests: { path: string; range: string | null }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    development: false,
    // The deliberately broken streams below end up here; answering quietly keeps test output clean.
    error: () => new Response("error", { status: 500 }),
    fetch(req) {
      const path = new URL(req.url).pathname.replace(/^\//, "");
      const range = req.headers.get("range");
      requests.push({ path, range });
      const data = files[path];
      if (!data) return new Response("not found", { status: 404 });
      const total = mode.lieTotal ?? data.length;
      let start = 0;
      let end = data.length - 1;
      let partial = false;
      if (range && !mode.ignoreRange) {
        const m = range.match(/^bytes=(\d+)-(\d*)$/);
        if (!m) return new Response("bad range", { status: 400 });
        start = Number(m[1]);
        if (m[2]) end = Math.min(end, Number(m[2]));
        if (start >= data.length) return new Response(null, { status: 416, headers: { "content-range": `bytes */${data.length}` } });
        partial = true;
      }
      const body = data.subarray(start, end + 1);
      const headers: Record<string, string> = { "content-type": "text/plain", etag: '"v1"', "accept-ranges": "bytes" };
      if (partial) headers["content-range"] = `bytes ${start}-${end}/${total}`;
      if ((mode.dropTimes ?? 0) > 0 && mode.dropAfter !== undefined && body.length > mode.dropAfter) {
        mode.dropTimes!--;
        const head = body.subarray(0, mode.dropAfter);
        // Announce the full length, send a part, then break the stream: the client sees a dropped connection.
        headers["content-length"] = String(body.length);
        const stream = new ReadableStream({
          async pull(controller) {
            controller.enqueue(head.slice());
            await Bun.sleep(20);
            controller.error(new Error("dropped"));
          },
        });
        return new Response(stream, { status: partial ? 206 : 200, headers });
      }
      if ((mode.shortTimes ?? 0) > 0 && mode.shortAfter !== undefined && body.length > mode.shortAfter) {
        mode.shortTimes!--;
        const head = body.subarray(0, mode.shortAfter);
        // A streamed (chunked) body that simply ends early.
        const stream = new ReadableStream({
          pull(controller) {
            controller.enqueue(head.slice());
            controller.close();
          },
        });
        return new Response(stream, { status: partial ? 206 : 200, headers });
      }
      return new Response(body.slice(), { status: partial ? 206 : 200, headers });
    },
  });
  return { server, url: `http://127.0.0.1:${server.port}`, requests, mode };
}
