//! Dropout with a counter-based mask (Philox4x32-10, philox.zig).
//!
//!   y_i = x_i / (1 − p)   if uniform(seed, offset, i) ≥ p,   else 0
//!
//! The uniform is (word >> 8) / 2^24, so "uniform ≥ p" is the integer test
//! (word >> 8) ≥ threshold with threshold = ⌈p·2^24⌉ (computed in TypeScript, exact): the
//! mask is bit-identical to reference/philox.ts. The backward is the same map applied to dy
//! (the mask is regenerated, never stored).
//!
//! SIMD: simd.philoxWords computes V Philox blocks (4V elements) at once, in element order.
//! Parallel over contiguous ranges of 4V elements.
const std = @import("std");
const pool = @import("pool.zig");
const philox = @import("philox.zig");
const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;

const Args = struct { x: [*]const f32, y: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32, tasks: usize };

const group = simd.philox_group; // elements per SIMD step (V Philox blocks)

inline fn applyScalar(a: Args, i: usize) void {
    const word = philox.block(a.seed, a.offset, i / 4)[i % 4];
    a.y[i] = if ((word >> 8) >= a.threshold) a.x[i] * a.scale else 0;
}

fn task(a: Args, t: usize) void {
    const groups = (a.n + group - 1) / group;
    const r = pool.splitRange(groups, a.tasks, t);
    const end = @min(r.end * group, a.n);
    var i = r.begin * group;
    const scale: F = @splat(a.scale);
    const zero: F = @splat(0);
    while (i + group <= end) : (i += group) {
        const words = simd.philoxWords(a.seed, a.offset, i / 4);
        inline for (words, 0..) |wq, q| {
            const j = i + q * V;
            simd.store(a.y + j, @select(f32, simd.keep(wq, a.threshold), simd.load(a.x + j) * scale, zero));
        }
    }
    while (i < end) : (i += 1) applyScalar(a, i);
}

fn run(x: [*]const f32, y: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    std.debug.assert(threshold < 1 << 24); // p < 1
    const groups = (n + group - 1) / group;
    const tasks = @max(1, @min(@min(groups, 256), n / 16384));
    pool.parallelFor(tasks, Args{ .x = x, .y = y, .n = n, .seed = seed, .offset = offset, .threshold = threshold, .scale = scale, .tasks = tasks }, task);
}

// ---- C ABI --------------------------------------------------------------------------

/// y = x·mask/(1 − p); `threshold` = ⌈p·2^24⌉, `scale` = 1/(1 − p).
export fn pb_dropout_forward(x: [*]const f32, y: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    run(x, y, n, seed, offset, threshold, scale);
}

/// dx = dy·mask/(1 − p) with the mask regenerated from (seed, offset).
export fn pb_dropout_backward(dy: [*]const f32, dx: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    run(dy, dx, n, seed, offset, threshold, scale);
}

// ---- tests ----------------------------------------------------------------------------

test "dropout SIMD path equals the scalar definition at every size" {
    var x: [3 * group + 5]f32 = undefined;
    var y: [3 * group + 5]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @as(f32, @floatFromInt(i)) + 1;
    const threshold: u32 = @intFromFloat(@ceil(0.3 * 16777216.0));
    for ([_]usize{ 1, 3, 7, group - 1, group, group + 1, 3 * group + 5 }) |n| {
        pb_dropout_forward(&x, &y, n, 99, 3, threshold, 1.0 / 0.7);
        for (0..n) |i| {
            const keep = philox.uniformAt(99, 3, i) >= 0.3;
            try std.testing.expectEqual(if (keep) x[i] * (1.0 / 0.7) else 0, y[i]);
        }
    }
}
