//! Aggregates the Zig unit tests of every kernel file (`zig build test`).
test {
    _ = @import("pool.zig");
    _ = @import("philox.zig");
    _ = @import("elementwise.zig");
    _ = @import("reduce.zig");
    _ = @import("permute.zig");
    _ = @import("softmax.zig");
    _ = @import("layernorm.zig");
    _ = @import("cross_entropy.zig");
    _ = @import("embedding.zig");
    _ = @import("dropout.zig");
    _ = @import("adam.zig");
    _ = @import("attention.zig");
    _ = @import("gemm.zig");
    _ = @import("linear_cross_entropy.zig");
}
