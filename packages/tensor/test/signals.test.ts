// Stop signals: SIGINT and SIGTERM caught by the kernel library become a request that abandons a
// `stoppable` computation at its next kernel call, and nothing outside one.
import { afterAll, expect, test } from "bun:test";
import {
  add,
  catchStopSignals,
  clearStopSignal,
  matmul,
  releaseStopSignals,
  stopSignal,
  stopSignalNumber,
  stoppable,
  StopRequested,
  Tensor,
} from "../src/index.ts";
import { thrown } from "../src/testing.ts";

afterAll(() => releaseStopSignals());

/** Sends `signal` to this process and waits until the native handler has recorded it. */
function raise(signal: "SIGINT" | "SIGTERM"): void {
  process.kill(process.pid, signal);
  for (let i = 0; i < 2000 && stopSignalNumber() === 0; i++) Bun.sleepSync(1);
}

test("a SIGINT abandons a stoppable computation at its next kernel call; outside one nothing happens", () => {
  catchStopSignals();
  const a = Tensor.randn([16, 16], { seed: 1 }),
    b = Tensor.randn([16, 16], { seed: 2 });
  let calls = 0;
  const work = () => {
    let x = a;
    for (let i = 0; i < 50; i++) {
      x = add(matmul(x, b), a);
      calls++;
      if (i === 9) raise("SIGINT");
    }
    return x;
  };
  expect(thrown(() => stoppable(work), StopRequested).signal).toBe("SIGINT");
  expect(calls).toBe(10); // the 11th matmul did not run
  expect(stopSignal()).toBe("SIGINT");
  // Outside stoppable the pending request changes nothing.
  expect(matmul(a, b).shape).toEqual([16, 16]);
  clearStopSignal();
  expect(stopSignal()).toBeUndefined();
  calls = 0;
  stoppable(() => {
    for (let i = 0; i < 5; i++) matmul(a, b), calls++;
  });
  expect(calls).toBe(5);
});

test("SIGTERM is a stop request too, named as such", () => {
  catchStopSignals();
  raise("SIGTERM");
  expect(stopSignal()).toBe("SIGTERM");
  expect(() => stoppable(() => matmul(Tensor.zeros([2, 2]), Tensor.zeros([2, 2])))).toThrow(/SIGTERM received/);
  clearStopSignal();
});
