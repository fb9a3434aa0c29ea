//! Builds the pullback kernel library (this folder: the @pullback/kernels package) as a shared library for bun:ffi.
//!
//!   zig build                      ReleaseFast, tuned for this CPU (the default)
//!   zig build -Dcpu=baseline       portable x86-64 build (no host-specific SIMD)
//!   zig build test                 Zig-only unit tests (every kernel file listed in src/root.zig)
//!
//! The library lands in zig-out/lib/libpullback.{so,dylib,dll}.
const std = @import("std");
const builtin = @import("builtin");

const pinned_zig = "0.15.2";

pub fn build(b: *std.Build) void {
    comptime {
        const want = std.SemanticVersion.parse(pinned_zig) catch unreachable;
        if (builtin.zig_version.order(want) != .eq) {
            @compileError("pullback pins Zig " ++ pinned_zig ++ ", but this is Zig " ++ builtin.zig_version_string ++
                ". Run `bun install` (it installs the pinned `ziglang` wheel into .toolchain/) or set $ZIG to a Zig " ++ pinned_zig ++ " binary.");
        }
    }

    const target = b.standardTargetOptions(.{});
    // ReleaseFast unless asked otherwise: the library is only useful fast.
    const optimize = b.option(std.builtin.OptimizeMode, "optimize", "optimization mode (default ReleaseFast)") orelse .ReleaseFast;

    const kernels = b.createModule(.{
        .root_source_file = b.path("src/root.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    });
    const lib = b.addLibrary(.{
        .name = "pullback",
        .linkage = .dynamic,
        .root_module = kernels,
    });
    b.installArtifact(lib);

    const test_module = b.createModule(.{
        .root_source_file = b.path("src/root.zig"),
        .target = target,
        .optimize = b.option(std.builtin.OptimizeMode, "test-optimize", "optimization of `zig build test`") orelse .ReleaseSafe,
        .link_libc = true,
    });
    const tests = b.addTest(.{ .root_module = test_module });
    const run_tests = b.addRunArtifact(tests);
    const test_step = b.step("test", "Run the Zig unit tests of zig-kernels");
    test_step.dependOn(&run_tests.step);
}
