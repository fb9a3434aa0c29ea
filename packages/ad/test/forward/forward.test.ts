// Forward mode end to end: jvp of an .ad.ts network equals the reverse gradient dotted with the
// tangent (float64, relative 1e-10), and the forward rules that come from elsewhere — customVjp,
// defineRrule, checkpoint, nonDifferentiable, stopGradient — and the errors for missing ones.
// (Every construct of implicit mode is checked in forward mode by test/implicit/corpus.test.ts.)
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transformAd } from "@pullback/ad/transform";
import { forwardRules } from "../../src/runtime/forward.ts";
import { jvp, jvpcheck, NoForwardRuleError, randomTangent, valueAndGrad } from "@pullback/ad";
import { exp, mul, mulScalar, Rng, tanh, Tensor } from "@pullback/tensor";
import { treeDot } from "./check.ts";
import * as fx from "./fixtures/network.ad.ts";

const rng = new Rng(3);
const r = (...shape: number[]) => Tensor.randn(shape, { rng, dtype: "float64" });
const values = (t: Tensor) => Array.from(t.data as Float64Array);

describe("jvp equals the reverse gradient along v", () => {
  test("a tanh/matmul/exp network (relative error < 1e-10)", () => {
    const x = r(5, 4);
    const layers = [
      { w: r(4, 6), b: r(6) },
      { w: r(6, 6), b: r(6) },
      { w: r(6, 3), b: r(3) },
    ].map(({ w, b }) => ({ w: mulScalar(w, 0.5), b }));
    const readout = mulScalar(r(3, 2), 0.5);
    const args: [Tensor, fx.Layer[], Tensor] = [x, layers, readout];
    const v = args.map((a) => randomTangent(a, rng));
    const [y, dy] = jvp(fx.network, args, v);
    const [value, grads] = valueAndGrad(fx.network, { argnums: [0, 1, 2] })(...args);
    expect(y).toBe(value);
    const reverse = grads.reduce((s: number, g: unknown, i: number) => s + treeDot(g, v[i]), 0);
    expect(typeof dy).toBe("number");
    expect(Math.abs(dy - reverse) / Math.abs(reverse)).toBeLessThan(1e-10);
    expect(jvpcheck(fx.network, args, { tangents: v }).ok).toBe(true);
  });
  test("a null tangent is a zero one; the tangent comes back with explicit zeros", () => {
    const x = r(2, 4),
      layers = [{ w: r(4, 3), b: r(3) }],
      readout = r(3, 2);
    const [, d] = jvp(fx.network, [x, layers, readout], [null, null, null]);
    expect(d).toBe(0);
    const [, t] = jvp(fx.tripled, [x], [null]);
    expect(t).toBeInstanceOf(Tensor);
    expect(values(t).every((e) => e === 0)).toBe(true);
  });
});

describe("forward rules from elsewhere", () => {
  test("customVjp of an .ad.ts function: its generated forward rule is used (exp', not the custom 3·)", () => {
    const x = r(2, 3),
      v = r(2, 3);
    const [, t] = jvp(fx.tripled, [x], [v]);
    expect(values(t)).toEqual(values(mul(exp(x), v)));
  });
  test("a function with a reverse rule only (defineRrule) is an error naming it and the call site", () => {
    const x = r(2, 3);
    expect(() => jvp(fx.callsReverseOnly, [x], [r(2, 3)])).toThrow(NoForwardRuleError);
    expect(() => jvp(fx.callsReverseOnly, [x], [r(2, 3)])).toThrow(
      /no forward rule for scaledTwice \(called at [^)]*network\.ad\.ts:26:15\): it has a hand-written reverse rule/,
    );
  });
  test("a function of a plain .ts module is an error naming it and the call site", () => {
    expect(() => jvp(fx.callsPlain, [r(2, 3)], [r(2, 3)])).toThrow(/no forward rule for plainScale \(called at [^)]*network\.ad\.ts:31:10\)/);
  });
  test("a callback of .reduce without a forward rule is an error naming it and the call site", () => {
    expect(() => jvp(fx.reducesPlain, [r(2, 3), [2, 3]], [r(2, 3)])).toThrow(
      /no forward rule for plainScale \(called at [^)]*network\.ad\.ts:36:13\)/,
    );
  });
  test("nonDifferentiable and stopGradient give zero tangents", () => {
    const x = r(2, 3),
      v = r(2, 3);
    const [, t] = jvp(fx.constants, [x], [v]);
    const n = Math.sqrt(values(x).reduce((s, e) => s + e * e, 0));
    // d/dx of tanh(x)·s/(1 + n) with s and n constants: (1 − tanh²x)·s·v/(1 + n)
    const s = tanh(x);
    values(t).forEach((e, i) => expect(e).toBeCloseTo(((1 - values(s)[i] ** 2) * values(s)[i] * values(v)[i]) / (1 + n), 12));
  });
  test("checkpoint: forward mode runs the function's forward rule", () => {
    const [x, w1, w2] = [r(2, 3), r(3, 3), r(3, 3)];
    const [vx, v1, v2] = [r(2, 3), r(3, 3), r(3, 3)];
    const [y, t] = jvp(fx.checkpointed, [x, w1, w2], [vx, v1, v2]);
    const [h, th] = jvp(fx.block, [x, w1], [vx, v1]);
    const [y2, t2] = jvp(fx.block, [h, w2], [th, v2]);
    expect(values(y)).toEqual(values(y2));
    expect(values(t)).toEqual(values(t2));
  });
});

describe("forward rules are generated on demand", () => {
  const file = join(import.meta.dir, "fixtures", "network.ad.ts");
  test("the loaded module names them; `forward: true` (ad:expand --forward) generates them", () => {
    const source = readFileSync(file, "utf8");
    const loaded = transformAd(source, file, { noCache: true });
    expect(loaded.code).toContain('__fwd.rule("network__frule")');
    expect(loaded.code).not.toContain("function network__frule");
    expect(
      loaded.code
        .split("\n")
        .slice(0, source.split("\n").length - 1)
        .slice(1)
        .join("\n"),
    ).toBe(source.split("\n").slice(1, -1).join("\n"));
    const forward = transformAd(source, file, { forward: true, noCache: true });
    expect(forward.forwardRules).toEqual([
      "network__frule",
      "tripled__frule",
      "callsReverseOnly__frule",
      "callsPlain__frule",
      "reducesPlain__frule",
      "constants__frule",
      "block__frule",
      "checkpointed__frule",
    ]);
    expect(forward.code).toContain("function network__frule(__a: any[], __ta: any[])");
    expect(forward.code).toContain('__ad.fopOf("tanh", ');
  });
  test("a file changed on disk since it was loaded is an error, not rules of another source", () => {
    const dir = mkdtempSync(join(tmpdir(), "pullback-forward-"));
    try {
      const path = join(dir, "f.ad.ts");
      writeFileSync(path, "export function f(x: number): number { return x * x; }\n");
      const handle = forwardRules(path, "not-the-hash", () => ({}));
      expect(() => handle.get("f__frule")).toThrow(/changed on disk since it was loaded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
