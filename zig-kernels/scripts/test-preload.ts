// `bun test` preload: (re)builds a missing or stale kernel library before any test starts, so the
// build never eats into a test's time limit.
import { ensureLibrary } from "./library.ts";

ensureLibrary();
