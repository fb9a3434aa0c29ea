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
//   PULLBACK_BF16=auto|amx|avx512|emulated   the bf16 kernel (also setBf16Kernel); default auto
//
// AMX (tdpbf16ps on tile registers) is used where CPUID, XCR0 and Linux (arch_prctl
// ARCH_REQ_XCOMP_PERM) allow it; it multiplies the same bf16 inputs, summing in another float32 order.
import { bindKernels } from "./native/library.ts";

export type Precision = "fp32" | "bf16";
/**
 * Which bf16 kernel runs: "auto" the fastest available (AMX, else vdpbf16ps, else the emulation),
 * "amx" (AMX-BF16 tiles), "avx512" (AVX512_BF16 vdpbf16ps), "emulated" (float32 FMAs on the same
 * bf16 inputs, bit-identical to vdpbf16ps). An unavailable choice falls back as "auto" does.
 */
export type Bf16Kernel = "auto" | "amx" | "avx512" | "emulated";
export const bf16Kernels: readonly Bf16Kernel[] = ["auto", "amx", "avx512", "emulated"];
/** Codes of the `impl` argument of pb_gemm_bf16 (Bf16Impl in gemm.zig). */
export const bf16KernelCode: Record<Bf16Kernel, number> = { auto: 0, emulated: 1, avx512: 2, amx: 3 };

export const precisions: readonly Precision[] = ["fp32", "bf16"];

function parsePrecision(value: string | undefined, what: string): Precision {
  if (value === undefined || value === "" || value === "fp32") return "fp32";
  if (value === "bf16") return "bf16";
  throw new Error(`${what} must be "fp32" or "bf16", got "${value}"`);
}

function parseKernel(value: string | undefined, what: string): Bf16Kernel {
  if (value === undefined || value === "") return "auto";
  if ((bf16Kernels as readonly string[]).includes(value)) return value as Bf16Kernel;
  throw new Error(`${what} must be one of ${bf16Kernels.map((k) => `"${k}"`).join(", ")}, got "${value}"`);
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

/** Chooses the bf16 kernel (see Bf16Kernel); returns the previous choice. */
export function setBf16Kernel(k: Bf16Kernel): Bf16Kernel {
  const previous = kernel;
  kernel = parseKernel(k, "setBf16Kernel");
  return previous;
}

const K = bindKernels({
  pb_gemm_bf16_support: { args: [], returns: "u32" },
  pb_gemm_amx_support: { args: [], returns: "u32" },
  pb_gemm_bf16_resolve: { args: ["u32"], returns: "u32" },
});

export interface Bf16Support {
  /** CPUID reports AVX512F and AVX512_BF16. */
  cpu: boolean;
  /** The OS saves the AVX-512 register state (CPUID OSXSAVE, XCR0 bits 1, 2, 5, 6, 7). */
  os: boolean;
  /** The kernel library contains the vdpbf16ps kernel (an x86-64 build with AVX-512). */
  build: boolean;
  /** All three: vdpbf16ps can run. */
  native: boolean;
  /** AMX-BF16 and AMX-TILE (CPUID), tile state enabled (XCR0) and granted by Linux, kernel in the build. */
  amx: boolean;
  /** One line for logs: which bf16 kernel runs, and why. */
  message: string;
}

let support: Bf16Support | null = null;

/** What the run-time detection found (probed once, in Zig: CPUID and XGETBV). */
export function bf16Support(): Bf16Support {
  if (support) return support;
  const bits = K.pb_gemm_bf16_support();
  const cpu = (bits & 1) !== 0,
    os = (bits & 2) !== 0,
    build = (bits & 4) !== 0;
  const native = cpu && os && build;
  const amx = K.pb_gemm_amx_support() === 7;
  const missing = [
    cpu ? null : "the CPU has no AVX512_BF16 (or no AVX-512F)",
    os ? null : "the OS does not enable the AVX-512 register state (XCR0)",
    build ? null : "the kernel library was built without AVX-512 (rebuild for this CPU: bun run build:kernels)",
  ].filter((x) => x !== null);
  const message = amx
    ? `bf16 GEMMs run on AMX-BF16 (tdpbf16ps)${native ? "; AVX512_BF16 (vdpbf16ps) also available" : ""}`
    : native
      ? "bf16 GEMMs run on AVX512_BF16 (vdpbf16ps); no AMX-BF16 here"
      : `bf16 GEMMs run on the emulated kernel (same results, bf16 speed not measurable here): ${missing.join("; ")}`;
  support = { cpu, os, build, native, amx, message };
  return support;
}

/** The kernel a bf16 GEMM asked for `k` runs on this machine (after fallbacks). */
export function resolveBf16Kernel(k: Bf16Kernel = kernel): "amx" | "avx512" | "emulated" {
  const code = K.pb_gemm_bf16_resolve(bf16KernelCode[k]);
  return code === 3 ? "amx" : code === 2 ? "avx512" : "emulated";
}

const kernelName = { amx: "AMX-BF16 (tdpbf16ps)", avx512: "AVX512_BF16 (vdpbf16ps)", emulated: "the emulated kernel (float32 FMAs on bf16 inputs)" };

/** Which bf16 kernel the next bf16 GEMM runs, and a line for logs saying so (and why). */
export function bf16KernelInUse(): { kernel: "amx" | "avx512" | "emulated"; message: string } {
  const s = bf16Support();
  const used = resolveBf16Kernel();
  if (kernel === "auto") return { kernel: used, message: s.message };
  const fell = kernel !== used ? ` (${kernel} asked for, not available here: ${s.message})` : ` (chosen by PULLBACK_BF16 / setBf16Kernel)`;
  return { kernel: used, message: `bf16 GEMMs run on ${kernelName[used]}${fell}` };
}
