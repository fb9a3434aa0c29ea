//! Dropout with a counter-based mask (Philox4x32-10, philox.zig).
//!
//!   y_i = x_i / (1 − p)   if uniform(seed, offset, i) ≥ p,   else 0
//!
//! The uniform is (word >> 8) / 2^24, so "uniform ≥ p" is the integer test
//! (word >> 8) ≥ threshold with threshold = ⌈p·2^24⌉ (computed in TypeScript, exact): the
//! mask is bit-identical to reference/philox.ts. The backward is the same map applied to dy
//! (the mask is regenerated, never stored).
//!
//! Fused with the residual add that follows every dropout of a transformer block:
//!
//!   out_i = r_i + y_i   with y_i as above      (backward: dr = dout, dx = dropout backward of dout)
//!
//! one pass over three arrays instead of a dropout pass and an add pass (and no intermediate).
//! r_i + (x_i·scale) is rounded exactly as the two separate ops round it: bit-identical results.
//!
//! SIMD: simd.philoxWords computes V Philox blocks (4V elements) at once, in element order.
//! Parallel over contiguous ranges of 4V elements.
const std = @import("std");
const pool = @import("pool.zig");
const philox = @import("philox.zig");
const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;

const Args = struct {
    x: [*]const f32,
    /// The residual added to the output, or null (plain dropout).
    r: ?[*]const f32,
    y: [*]f32,
    n: usize,
    seed: u64,
    offset: u64,
    threshold: u32,
    scale: f32,
    tasks: usize,
};

const group = simd.philox_group; // elements per SIMD step (V Philox blocks)

/// The scalar definition (tails, and the reference of the tests).
inline fn applyScalar(comptime residual: bool, a: Args, i: usize) void {
    const word = philox.block(a.seed, a.offset, i / 4)[i % 4];
    const d = if ((word >> 8) >= a.threshold) a.x[i] * a.scale else 0;
    a.y[i] = if (residual) a.r.?[i] + d else d;
}

fn task(comptime residual: bool, a: Args, t: usize) void {
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
            const d = @select(f32, simd.keep(wq, a.threshold), simd.load(a.x + j) * scale, zero);
            simd.store(a.y + j, if (residual) simd.load(a.r.? + j) + d else d);
        }
    }
    while (i < end) : (i += 1) applyScalar(residual, a, i);
}

fn run(x: [*]const f32, r: ?[*]const f32, y: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    std.debug.assert(threshold < 1 << 24); // p < 1
    const groups = (n + group - 1) / group;
    // ~16K elements (a few µs of Philox) per task at least, at most 256 tasks.
    const tasks = @max(1, @min(@min(groups, 256), n / 16384));
    const a = Args{ .x = x, .r = r, .y = y, .n = n, .seed = seed, .offset = offset, .threshold = threshold, .scale = scale, .tasks = tasks };
    if (r != null) pool.parallelFor(tasks, a, struct {
        fn f(c: Args, t: usize) void {
            task(true, c, t);
        }
    }.f) else pool.parallelFor(tasks, a, struct {
        fn f(c: Args, t: usize) void {
            task(false, c, t);
        }
    }.f);
}

// ---- C ABI --------------------------------------------------------------------------

/// y = x·mask/(1 − p); `threshold` = ⌈p·2^24⌉, `scale` = 1/(1 − p).
export fn pb_dropout_forward(x: [*]const f32, y: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    run(x, null, y, n, seed, offset, threshold, scale);
}

/// out = r + x·mask/(1 − p) (the residual add fused with the dropout); r, x, out have n elements.
/// The backward is dr = dout and dx = pb_dropout_backward(dout).
export fn pb_dropout_add_forward(r: [*]const f32, x: [*]const f32, out: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    run(x, r, out, n, seed, offset, threshold, scale);
}

/// dx = dy·mask/(1 − p) with the mask regenerated from (seed, offset).
export fn pb_dropout_backward(dy: [*]const f32, dx: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32) void {
    run(dy, null, dx, n, seed, offset, threshold, scale);
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

test "fused dropout + residual add equals r + dropout(x), bit for bit, at every size" {
    var x: [3 * group + 5]f32 = undefined;
    var r: [3 * group + 5]f32 = undefined;
    var d: [3 * group + 5]f32 = undefined;
    var y: [3 * group + 5]f32 = undefined;
    for (&x, &r, 0..) |*v, *w, i| {
        v.* = @as(f32, @floatFromInt(i)) * 0.37 - 5;
        w.* = @as(f32, @floatFromInt(i % 13)) * 0.11 - 0.3;
    }
    const threshold: u32 = @intFromFloat(@ceil(0.2 * 16777216.0));
    for ([_]usize{ 1, 3, 7, 17, 63, 64, 65, group - 1, group, group + 1, 3 * group + 5 }) |n| {
        pb_dropout_forward(&x, &d, n, 7, 0x1_0000_0002, threshold, 1.0 / 0.8);
        pb_dropout_add_forward(&r, &x, &y, n, 7, 0x1_0000_0002, threshold, 1.0 / 0.8);
        for (0..n) |i| try std.testing.expectEqual(r[i] + d[i], y[i]);
    }
}
