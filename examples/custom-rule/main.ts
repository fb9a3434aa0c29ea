// Checks the hand-written softplus rule, and the generated rule of a function calling it, against
// central finite differences (float64).
//   bun examples/custom-rule/main.ts
import { gradcheckFunction } from "@pullback/ad";
import { Tensor } from "@pullback/tensor";
import { energy, softplus } from "./softplus.ad.ts";

const x = Tensor.randn([3, 4], { seed: 4, dtype: "float64" });
for (const [name, f] of [
  ["softplus", softplus],
  ["energy", energy],
] as const) {
  const report = gradcheckFunction(f as (x: Tensor) => unknown, [x]);
  const worst = Math.max(...report.entries.map((e) => e.maxRel));
  console.log(`${name}: gradcheck ${report.ok ? "ok" : "FAILED"} (max relative error ${worst.toExponential(2)})`);
  if (!report.ok) process.exitCode = 1;
}
