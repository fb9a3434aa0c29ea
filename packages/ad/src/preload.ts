// Preload for `bun run` and `bun test` (bunfig.toml: `preload = ["@pullback/ad/preload"]` and the
// same under `[test]`): registers the .ad.ts loader, the stack-trace remap and the reporter of
// uncaught errors (uncaught.ts: .ad.ts positions, diagnostics printed once).
import { plugin } from "bun";
import { pullbackPlugin } from "./plugin.ts";
import { installStackRemap } from "./sourcemap.ts";
import { installUncaughtReport } from "./uncaught.ts";

plugin(pullbackPlugin);
installStackRemap();
installUncaughtReport();
