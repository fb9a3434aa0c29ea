// Preload for `bun run` and `bun test` (bunfig.toml: `preload = ["@pullback/ad/preload"]` and the
// same under `[test]`): registers the .ad.ts loader and the stack-trace column remap.
import { plugin } from "bun";
import { pullbackPlugin } from "./plugin.ts";
import { installStackRemap } from "./sourcemap.ts";

plugin(pullbackPlugin);
installStackRemap();
