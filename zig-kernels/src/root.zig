//! The pullback kernel library: every C-ABI export bun:ffi calls.
//!
//! Conventions (every kernel file follows them):
//! - float32, row-major, contiguous buffers, passed as pointer + sizes (usize).
//! - No memory ownership crosses the boundary: the caller (TypeScript) allocates every
//!   buffer, including outputs and saved statistics; kernels never allocate on the heap.
//! - Shapes and indices are validated in TypeScript before the call; kernels assert them
//!   again in Debug/ReleaseSafe builds.
//! - Exports are named `pb_<family>_<op>`; forward and backward of a family live side by side
//!   in one file, each with a plain scalar reference beside the fast path where useful.
const pool = @import("pool.zig");
const philox = @import("philox.zig");
const gemm = @import("gemm.zig");

comptime {
    _ = pool;
    _ = philox;
    _ = gemm;
}

/// Library ABI version; the TypeScript loader refuses a library whose version differs.
export fn pb_abi_version() u32 {
    return 1;
}
