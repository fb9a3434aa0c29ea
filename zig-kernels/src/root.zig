//! The pullback kernel library: every C-ABI export bun:ffi calls.
//!
//! Conventions (every kernel file follows them):
//! - float32, row-major, contiguous buffers, passed as pointer + sizes (usize).
//! - No memory ownership crosses the boundary: the caller (TypeScript) allocates every
//!   buffer, including outputs and saved statistics; kernels never allocate on the heap.
//! - Shapes and indices are validated in TypeScript before the call; where it is cheap, kernels
//!   assert them again (enforced in Debug/ReleaseSafe builds).
//! - Exports are named `pb_<family>_<op>`; forward and backward of a family live side by side
//!   in one file, each with a plain scalar reference beside the fast path where useful.
const std = @import("std");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const philox = @import("philox.zig");
const elementwise = @import("elementwise.zig");
const reduce = @import("reduce.zig");
const permute = @import("permute.zig");
const gemm = @import("gemm.zig");

comptime {
    _ = pool;
    _ = simd;
    _ = philox;
    _ = elementwise;
    _ = reduce;
    _ = permute;
    _ = @import("softmax.zig");
    _ = @import("layernorm.zig");
    _ = @import("cross_entropy.zig");
    _ = @import("embedding.zig");
    _ = @import("dropout.zig");
    _ = @import("adam.zig");
    _ = @import("attention.zig");
    _ = @import("memory.zig");
    _ = @import("linear_cross_entropy.zig");
    _ = gemm;
    _ = @import("signals.zig");
}

/// Library ABI version; the TypeScript loader refuses a library whose version differs.
export fn pb_abi_version() u32 {
    return 1;
}

test {
    std.testing.refAllDecls(@This());
}
