import { generate } from "./bench/expand.ts";
import { transformAd } from "./src/transform.ts";
const src = generate(10);
const t = performance.now();
transformAd(src, "x.ad.ts", { map: true, noCache: true });
console.log("cold", (performance.now() - t).toFixed(1));
