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

/// Every kernel file, listed once: the library exports what they export (`pb_*`), and
/// `zig build test` (this file is its root too) runs the tests of every one of them.
const modules = .{
    @import("pool.zig"),
    @import("simd.zig"),
    @import("philox.zig"),
    @import("elementwise.zig"),
    @import("reduce.zig"),
    @import("permute.zig"),
    @import("softmax.zig"),
    @import("layernorm.zig"),
    @import("cross_entropy.zig"),
    @import("embedding.zig"),
    @import("dropout.zig"),
    @import("adam.zig"),
    @import("attention.zig"),
    @import("memory.zig"),
    @import("linear_cross_entropy.zig"),
    @import("gemm.zig"),
    @import("signals.zig"),
};

comptime {
    for (modules) |module| _ = module;
}

/// Library ABI version; the TypeScript loader refuses a library whose version differs.
export fn pb_abi_version() u32 {
    return 1;
}

test {
    inline for (modules) |module| std.testing.refAllDecls(module);
}
