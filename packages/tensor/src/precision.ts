// GEMM precision: a process-wide setting (like torch autocast) read by the GEMM ops (gemm, matmul,
// bmm, linear and so their backward GEMMs).
//
//   "fp32" (the default): float32 inputs, float32 FMAs.
//   "bf16": each GEMM input rounded to bfloat16 (round to nearest even; bf16 subnormals flushed
//           to ±0), products summed in float32 (zig-kernels/src/gemm.zig, docs/kernels.md).
//
// Only float32 GEMMs change: float64 tensors (gradient checks) stay exact, and everything that is
// not a GEMM (master weights, Adam state, softmax, LayerNorm statistics, the loss) stays float32.
//
// The bf16 kernel is AVX512_BF16's vdpbf16ps when the CPU, the OS (XSAVE of the AVX-512 state)
// and the build allow it, detected at run time; otherwise an emulated kernel on the same packed
// bf16 data gives bit-identical results with float32 FMAs (slower: no speed-up to measure).
//
//   PULLBACK_PRECISION=bf16      the initial precision (default fp32)
//   PULLBACK_BF16=emulated       force the emulated bf16 kernel (also setBf16Kernel("emulated"))
import { bindKernels } from "./native/library.ts";

export type Precision = "fp32" | "bf16";
export type Bf16Kernel = "auto" | "emulated";

export const precisions: readonly Precision[] = ["fp32", "bf16"];

function parsePrecision(value: string | undefined, what: string): Precision {
  if (value === undefined || value === "" || value === "fp32") return "fp32";
  if (value === "bf16") return "bf16";
  throw new Error(`${what} must be "fp32" or "bf16", got "${value}"`);
}

function parseKernel(value: string | undefined, what: string): Bf16Kernel {
  if (value === undefined || value === "" || value === "auto") return "auto";
  if (value === "emulated") return "emulated";
  throw new Error(`${what} must be "auto" or "emulated", got "${value}"`);
}

let precision: Precision = parsePrecision(process.env.PULLBACK_PRECISION, "PULLBACK_PRECISION");
let kernel: Bf16Kernel = parseKernel(process.env.PULLBACK_BF16, "PULLBACK_BF16");

export function getPrecision(): Precision {
  return precision;
}

/** Sets the precision of every later float32 GEMM; returns the previous one. */
export function setPrecision(p: Precision): Precision {
  const previous = precision;
  precision = parsePrecision(p, "setPrecision");
  return previous;
}

/** Runs fn with the GEMM precision p, restoring the previous precision afterwards. */
export function withPrecision<T>(p: Precision, fn: () => T): T {
  const previous = setPrecision(p);
  try {
    return fn();
  } finally {
    precision = previous;
  }
}

export function getBf16Kernel(): Bf16Kernel {
  return kernel;
}

/** "auto": vdpbf16ps where available, else the emulation; "emulated": always the emulation. Returns the previous choice. */
export function setBf16Kernel(k: Bf16Kernel): Bf16Kernel {
  const previous = kernel;
  kernel = parseKernel(k, "setBf16Kernel");
  return previous;
}

const K = bindKernels({ pb_gemm_bf16_support: { args: [], returns: "u32" } });

export interface Bf16Support {
  /** CPUID reports AVX512F and AVX512_BF16. */
  cpu: boolean;
  /** The OS saves the AVX-512 register state (CPUID OSXSAVE, XCR0 bits 1, 2, 5, 6, 7). */
  os: boolean;
  /** The kernel library contains the vdpbf16ps kernel (an x86-64 build with AVX-512). */
  build: boolean;
  /** All three: bf16 GEMMs run on vdpbf16ps (unless the emulation is forced). */
  native: boolean;
  /** One line for logs: which bf16 kernel runs, and why. */
  message: string;
}

let support: Bf16Support | null = null;

/** What the run-time detection found (probed once, in Zig: CPUID and XGETBV). */
export function bf16Support(): Bf16Support {
  if (support) return support;
  const bits = K.pb_gemm_bf16_support();
  const cpu = (bits & 1) !== 0, os = (bits & 2) !== 0, build = (bits & 4) !== 0;
  const native = cpu && os && build;
  const missing = [
    cpu ? null : "the CPU has no AVX512_BF16 (or no AVX-512F)",
    os ? null : "the OS does not enable the AVX-512 register state (XCR0)",
    build ? null : "the kernel library was built without AVX-512 (rebuild for this CPU: bun run build:kernels)",
  ].filter((x) => x !== null);
  const message = native
    ? "bf16 GEMMs run on AVX512_BF16 (vdpbf16ps)"
    : `bf16 GEMMs run on the emulated kernel (same results, bf16 speed not measurable here): ${missing.join("; ")}`;
  support = { cpu, os, build, native, message };
  return support;
}

/** Which bf16 kernel the next bf16 GEMM runs: "native" (vdpbf16ps) or "emulated", and a line saying why. */
export function bf16KernelInUse(): { kernel: "native" | "emulated"; message: string } {
  const s = bf16Support();
  if (kernel === "emulated") return { kernel: "emulated", message: "bf16 GEMMs run on the emulated kernel (forced by PULLBACK_BF16=emulated or setBf16Kernel)" };
  return { kernel: s.native ? "native" : "emulated", message: s.message };
}
