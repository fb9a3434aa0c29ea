//! Dropout with a counter-based mask (Philox4x32-10, philox.zig).
//!
//!   y_i = x_i / (1 − p)   if uniform(seed, offset, i) ≥ p,   else 0
//!
//! The uniform is (word >> 8) / 2^24, so "uniform ≥ p" is the integer test
//! (word >> 8) ≥ threshold with threshold = ⌈p·2^24⌉ (computed in TypeScript, exact): the
//! mask is bit-identical to reference/philox.ts. The backward is the same map applied to dy
//! (the mask is regenerated, never stored).
//!
//! SIMD: one Philox block yields the 4 words of elements 4b … 4b+3; V blocks are computed at
//! once in u32/u64 vector lanes (lane = block), and the 4 word vectors are interleaved with
//! two rounds of shuffles into element order. Parallel over contiguous ranges of 4V elements.
const std = @import("std");
const pool = @import("pool.zig");
const philox = @import("philox.zig");
const sm = @import("softmax.zig");

const V = sm.V;
const F = sm.F;
const U = @Vector(V, u32);
const U64 = @Vector(V, u64);

/// Philox4x32-10 on V consecutive blocks base, base+1, …, base+V−1 (same math as philox.zig).
fn philoxBlocks(seed: u64, offset: u64, base: u64) [4]U {
    const blk = @as(U64, @splat(base)) + std.simd.iota(u64, V);
    var c0: U = @truncate(blk);
    var c1: U = @truncate(blk >> @splat(32));
    var c2: U = @splat(@as(u32, @truncate(offset)));
    var c3: U = @splat(@as(u32, @truncate(offset >> 32)));
    var k0: u32 = @truncate(seed);
    var k1: u32 = @truncate(seed >> 32);
    inline for (0..10) |round| {
        if (round > 0) {
            k0 +%= 0x9E3779B9;
            k1 +%= 0xBB67AE85;
        }
        const p0 = @as(U64, @splat(0xD2511F53)) * @as(U64, c0);
        const p1 = @as(U64, @splat(0xCD9E8D57)) * @as(U64, c2);
        const hi0: U = @truncate(p0 >> @splat(32));
        const lo0: U = @truncate(p0);
        const hi1: U = @truncate(p1 >> @splat(32));
        const lo1: U = @truncate(p1);
        c0 = hi1 ^ c1 ^ @as(U, @splat(k0));
        c1 = lo1;
        c2 = hi0 ^ c3 ^ @as(U, @splat(k1));
        c3 = lo0;
    }
    return .{ c0, c1, c2, c3 };
}

fn zipMask(comptime high: bool) @Vector(V, i32) {
    var m: [V]i32 = undefined;
    const base: i32 = if (high) V / 2 else 0;
    for (0..V) |i| {
        const src: i32 = base + @as(i32, @intCast(i / 2));
        m[i] = if (i % 2 == 0) src else ~src; // ~j selects element j of the second vector
    }
    return m;
}

inline fn zip(a: U, b: U, comptime high: bool) U {
    return @shuffle(u32, a, b, zipMask(high));
}

const Args = struct { x: [*]const f32, y: [*]f32, n: usize, seed: u64, offset: u64, threshold: u32, scale: f32, tasks: usize };

const group = 4 * V; // elements per SIMD step

inline fn applyScalar(a: Args, i: usize) void {
    const word = philox.block(a.seed, a.offset, i / 4)[i % 4];
    a.y[i] = if ((word >> 8) >= a.threshold) a.x[i] * a.scale else 0;
}

fn task(a: Args, t: usize) void {
    const groups = (a.n + group - 1) / group;
    const r = pool.splitRange(groups, a.tasks, t);
    const end = @min(r.end * group, a.n);
    var i = r.begin * group;
    const thr: U = @splat(a.threshold);
    const scale: F = @splat(a.scale);
    const zero: F = @splat(0);
    while (i + group <= end) : (i += group) {
        const w = philoxBlocks(a.seed, a.offset, i / 4);
        // Element order 4b + lane: interleave the four word vectors.
        const lo02 = zip(w[0], w[2], false);
        const hi02 = zip(w[0], w[2], true);
        const lo13 = zip(w[1], w[3], false);
        const hi13 = zip(w[1], w[3], true);
        const words = [4]U{ zip(lo02, lo13, false), zip(lo02, lo13, true), zip(hi02, hi13, false), zip(hi02, hi13, true) };
        inline for (words, 0..) |wq, q| {
            const keep = (wq >> @splat(8)) >= thr;
            const j = i + q * V;
            const xv: F = a.x[j..][0..V].*;
            a.y[j..][0..V].* = @select(f32, keep, xv * scale, zero);
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

test "vectorized Philox blocks equal the scalar ones" {
    for ([_]u64{ 0, 5, 0xffff_fff0 }) |base| {
        const w = philoxBlocks(12345, 0x1_0000_0007, base);
        for (0..V) |b| {
            const s = philox.block(12345, 0x1_0000_0007, base + b);
            for (0..4) |k| try std.testing.expectEqual(s[k], w[k][b]);
        }
    }
}

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
