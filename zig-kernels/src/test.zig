//! Aggregates the Zig unit tests of every kernel file (`zig build test`).
test {
    _ = @import("pool.zig");
    _ = @import("philox.zig");
    _ = @import("gemm.zig");
}
