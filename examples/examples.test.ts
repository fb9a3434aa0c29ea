// Every example runs as a user would run it (`bun examples/<name>/main.ts`) and does what its
// comment says: the fitted values, accuracies, losses and gradchecks are checked here.
import { expect, test } from "bun:test";
import { join } from "node:path";

function run(name: string, ...args: string[]): string {
  const r = Bun.spawnSync(["bun", join(import.meta.dir, name, "main.ts"), ...args], {
    cwd: join(import.meta.dir, ".."),
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`examples/${name} exited ${r.exitCode}:\n${r.stderr.toString()}\n${out}`);
  return out;
}

const numbers = (line: string | undefined) => (line ?? "").match(/-?\d+(\.\d+)?(e[-+]?\d+)?/g)!.map(Number);
const lineOf = (out: string, start: string) => out.split("\n").find((l) => l.startsWith(start));

test("linear-regression recovers the true weights and bias", () => {
  const out = run("linear-regression");
  const [w0, w1, w2, t0, t1, t2] = numbers(lineOf(out, "w "));
  for (const [a, b] of [
    [w0, t0],
    [w1, t1],
    [w2, t2],
  ])
    expect(Math.abs(a - b)).toBeLessThan(0.02);
  const [b, trueB] = numbers(lineOf(out, "b "));
  expect(Math.abs(b - trueB)).toBeLessThan(0.02);
});

test("logistic-regression separates the two clouds", () => {
  const [accuracy] = numbers(lineOf(run("logistic-regression"), "accuracy"));
  expect(accuracy).toBeGreaterThan(0.95);
});

test("mlp fits sin(3x)", () => {
  const [first, last] = numbers(lineOf(run("mlp"), "loss"));
  expect(last).toBeLessThan(1e-3);
  expect(last).toBeLessThan(first / 100);
});

test("custom-rule: the hand-written rule and the generated rule calling it pass gradcheck", () => {
  const out = run("custom-rule");
  expect(lineOf(out, "softplus:")).toContain("gradcheck ok");
  expect(lineOf(out, "energy:")).toContain("gradcheck ok");
});

test("tiny-gpt2 trains from code: the loss falls", () => {
  const [first, last, steps] = numbers(lineOf(run("tiny-gpt2", "60"), "loss"));
  expect(steps).toBe(60);
  expect(last).toBeLessThan(first - 1.5);
}, 120_000);

test("directional-derivative: jvp equals ⟨grad, v⟩ and the central difference (float64)", () => {
  const out = run("directional-derivative");
  const [forward] = numbers(lineOf(out, "jvp (forward mode)"));
  const [reverse] = numbers(lineOf(out, "⟨grad, v⟩ (reverse mode)"));
  const [numeric] = numbers(lineOf(out, "central difference"));
  expect(forward).not.toBe(0);
  expect(Math.abs(forward - reverse) / Math.abs(reverse)).toBeLessThan(1e-8);
  expect(Math.abs(forward - numeric) / Math.abs(numeric)).toBeLessThan(1e-6);
  expect(lineOf(out, "time")).toContain("jvp / valueAndGrad");
}, 60_000);

test("hessian-vector: vᵀHv from hvp equals the central differences of the gradient and of the loss (float64)", () => {
  const out = run("hessian-vector");
  const [curvature] = numbers(lineOf(out, "vᵀHv"));
  const [, gradDifference] = numbers(lineOf(out, "gradient difference"));
  const [, lossDifference] = numbers(lineOf(out, "second difference of L"));
  expect(curvature).not.toBe(0);
  expect(Math.abs(curvature - gradDifference) / Math.abs(gradDifference)).toBeLessThan(1e-6);
  expect(Math.abs(curvature - lossDifference) / Math.abs(lossDifference)).toBeLessThan(1e-4);
  expect(lineOf(out, "Newton step along v")).toBeDefined();
  expect(lineOf(out, "time")).toContain("hvp / valueAndGrad");
}, 60_000);
