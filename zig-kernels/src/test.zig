//! Aggregates the Zig unit tests of every kernel file (`zig build test`): refAllDecls makes every
//! declaration of every file (and so every test in it) part of the build.
const std = @import("std");

test {
    std.testing.refAllDecls(@import("pool.zig"));
    std.testing.refAllDecls(@import("simd.zig"));
    std.testing.refAllDecls(@import("philox.zig"));
    std.testing.refAllDecls(@import("elementwise.zig"));
    std.testing.refAllDecls(@import("reduce.zig"));
    std.testing.refAllDecls(@import("permute.zig"));
    std.testing.refAllDecls(@import("softmax.zig"));
    std.testing.refAllDecls(@import("layernorm.zig"));
    std.testing.refAllDecls(@import("cross_entropy.zig"));
    std.testing.refAllDecls(@import("embedding.zig"));
    std.testing.refAllDecls(@import("dropout.zig"));
    std.testing.refAllDecls(@import("adam.zig"));
    std.testing.refAllDecls(@import("attention.zig"));
    std.testing.refAllDecls(@import("memory.zig"));
    std.testing.refAllDecls(@import("gemm.zig"));
    std.testing.refAllDecls(@import("signals.zig"));
    std.testing.refAllDecls(@import("linear_cross_entropy.zig"));
}
