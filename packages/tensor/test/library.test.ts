// The FFI layer: thread control, and the kernel profiler used by bench:train.
import { expect, test } from "bun:test";
import { add, getThreads, poolSize, setThreads, startKernelProfile, stopKernelProfile, Tensor } from "@pullback/tensor";

test("setThreads clamps to the pool and getThreads reports it", () => {
  const size = poolSize();
  expect(size).toBeGreaterThanOrEqual(1);
  expect(setThreads(1)).toBe(1);
  expect(getThreads()).toBe(1);
  expect(setThreads(size + 100)).toBe(size);
  expect(() => setThreads(0)).toThrow(/positive integer/);
  setThreads(size);
});

test("the kernel profile counts calls per kernel and stops cleanly", () => {
  const a = Tensor.ones([64, 64]),
    b = Tensor.ones([64, 64]);
  add(a, b); // binds the elementwise kernels before profiling starts
  startKernelProfile();
  for (let i = 0; i < 3; i++) add(a, b);
  const profile = stopKernelProfile();
  const entry = profile.find((p) => p.kernel.startsWith("pb_elementwise_add"));
  expect(entry?.calls).toBe(3);
  expect(entry!.ms).toBeGreaterThan(0);
  add(a, b);
  expect(stopKernelProfile()).toEqual([]);
});
