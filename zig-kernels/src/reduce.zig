//! Reductions: the sum of all elements, sums and maxima along one axis, and the max backward.
//!
//! An axis reduction sees the tensor as (outer, n, inner) — `n` the reduced axis, `inner` the
//! product of the axes after it — and writes (outer, inner). Sums accumulate in float64 (vector
//! lanes of f64), so they agree with the float64 reference to float32 rounding whatever n is.
//! Work is split over outer rows (inner == 1) or over (outer, column tile) pairs (inner > 1), never
//! over n, so a result does not depend on the thread count.
//!
//! maxAlong returns the first index of the maximum (NumPy argmax); a NaN counts as the maximum
//! (the first NaN wins), so NaNs propagate like NumPy's max.
const std = @import("std");
const pool = @import("pool.zig");
const ew = @import("elementwise.zig");
const simd = @import("simd.zig");

const V = simd.V;
const Vf = simd.F;
const Vd = @Vector(V, f64);
const Vi = @Vector(V, i32);

const load = simd.load;
inline fn widen(v: Vf) Vd {
    return @floatCast(v);
}

/// Σ x[begin..end) in float64.
fn sumRange(x: [*]const f32, begin: usize, end: usize) f64 {
    var acc0: Vd = @splat(0);
    var acc1: Vd = @splat(0);
    var i = begin;
    while (i + 2 * V <= end) : (i += 2 * V) {
        acc0 += widen(load(x + i));
        acc1 += widen(load(x + i + V));
    }
    var s = @reduce(.Add, acc0 + acc1);
    while (i < end) : (i += 1) s += x[i];
    return s;
}

/// Chunks of the sum of all elements: fixed in size (not in the thread count), at most max_chunks.
const sum_chunk: usize = 1 << 16;
const max_chunks: usize = 1024;

export fn pb_reduce_sum(x: [*]const f32, n: usize, out: *f64) void {
    const chunk = @max(sum_chunk, (n + max_chunks - 1) / max_chunks);
    const tasks = (n + chunk - 1) / chunk;
    var partial: [max_chunks]f64 = undefined;
    const Ctx = struct { x: [*]const f32, n: usize, chunk: usize, partial: [*]f64 };
    pool.parallelFor(tasks, Ctx{ .x = x, .n = n, .chunk = chunk, .partial = &partial }, struct {
        fn run(c: Ctx, t: usize) void {
            const begin = t * c.chunk;
            c.partial[t] = sumRange(c.x, begin, @min(c.n, begin + c.chunk));
        }
    }.run);
    var s: f64 = 0;
    for (partial[0..tasks]) |p| s += p;
    out.* = s;
}

/// Columns of one (outer, tile) task when inner > 1: the f64 accumulators live on the stack.
const tile: usize = 256;

/// Splits `units` independent units of about `unit_elems` elements each into tasks of ≳ 32K elements.
fn unitsPerTask(units: usize, unit_elems: usize) usize {
    const total = units * unit_elems;
    if (total < ew.parallel_threshold) return units;
    const per = @max(1, (1 << 15) / @max(unit_elems, 1));
    return @max(1, @min(per, units / (4 * pool.threadCount())));
}

fn forUnits(units: usize, unit_elems: usize, ctx: anytype, comptime func: fn (@TypeOf(ctx), usize) void) void {
    const per = unitsPerTask(units, unit_elems);
    const Task = struct { ctx: @TypeOf(ctx), units: usize, per: usize };
    pool.parallelFor((units + per - 1) / per, Task{ .ctx = ctx, .units = units, .per = per }, struct {
        fn run(t: Task, i: usize) void {
            const begin = i * t.per;
            for (begin..@min(t.units, begin + t.per)) |u| func(t.ctx, u);
        }
    }.run);
}

const AxisCtx = struct { x: [*]const f32, outer: usize, n: usize, inner: usize };

/// out[o, i] = Σ_k x[o, k, i].
export fn pb_reduce_sum_along(x: [*]const f32, out: [*]f32, outer: usize, n: usize, inner: usize) void {
    const Ctx = struct { a: AxisCtx, out: [*]f32 };
    const ctx = Ctx{ .a = .{ .x = x, .outer = outer, .n = n, .inner = inner }, .out = out };
    if (inner == 1) {
        forUnits(outer, n, ctx, struct {
            fn row(c: Ctx, o: usize) void {
                c.out[o] = @floatCast(sumRange(c.a.x + o * c.a.n, 0, c.a.n));
            }
        }.row);
        return;
    }
    const tiles = (inner + tile - 1) / tile;
    forUnits(outer * tiles, n * @min(inner, tile), ctx, struct {
        fn cols(c: Ctx, u: usize) void {
            const o = u / ((c.a.inner + tile - 1) / tile);
            const j0 = (u % ((c.a.inner + tile - 1) / tile)) * tile;
            const w = @min(tile, c.a.inner - j0);
            var acc: [tile]f64 = undefined;
            @memset(acc[0..w], 0);
            const base = c.a.x + o * c.a.n * c.a.inner + j0;
            for (0..c.a.n) |k| {
                const row = base + k * c.a.inner;
                var j: usize = 0;
                while (j + V <= w) : (j += V) {
                    const dst: *[V]f64 = acc[j..][0..V];
                    dst.* = @as(Vd, dst.*) + widen(load(row + j));
                }
                while (j < w) : (j += 1) acc[j] += row[j];
            }
            const dst = c.out + o * c.a.inner + j0;
            for (0..w) |j| dst[j] = @floatCast(acc[j]);
        }
    }.cols);
}

/// values[o, i] = max_k x[o, k, i], indices[o, i] = its first k (a NaN counts as the maximum).
export fn pb_reduce_max_along(x: [*]const f32, values: [*]f32, indices: [*]i32, outer: usize, n: usize, inner: usize) void {
    std.debug.assert(n >= 1 and n <= std.math.maxInt(i32));
    const Ctx = struct { a: AxisCtx, values: [*]f32, indices: [*]i32 };
    const ctx = Ctx{ .a = .{ .x = x, .outer = outer, .n = n, .inner = inner }, .values = values, .indices = indices };
    if (inner == 1) {
        forUnits(outer, n, ctx, struct {
            fn row(c: Ctx, o: usize) void {
                const r = c.a.x + o * c.a.n;
                // Pass 1: the maximum (vector lanes; NaN noted separately). Pass 2: its first index.
                var best: Vf = @splat(-std.math.inf(f32));
                var nan = false;
                var k: usize = 0;
                while (k + V <= c.a.n) : (k += V) {
                    const v = load(r + k);
                    best = @max(best, v);
                    nan = nan or @reduce(.Or, v != v);
                }
                var m = @reduce(.Max, best);
                while (k < c.a.n) : (k += 1) {
                    m = @max(m, r[k]);
                    nan = nan or std.math.isNan(r[k]);
                }
                var at: usize = 0;
                while (at < c.a.n) : (at += 1) {
                    if (if (nan) std.math.isNan(r[at]) else r[at] == m) break;
                }
                c.values[o] = r[at];
                c.indices[o] = @intCast(at);
            }
        }.row);
        return;
    }
    const tiles = (inner + V - 1) / V;
    forUnits(outer * tiles, n * V, ctx, struct {
        fn cols(c: Ctx, u: usize) void {
            const o = u / ((c.a.inner + V - 1) / V);
            const j0 = (u % ((c.a.inner + V - 1) / V)) * V;
            const w = @min(V, c.a.inner - j0);
            const base = c.a.x + o * c.a.n * c.a.inner + j0;
            var best: Vf = @splat(-std.math.inf(f32));
            var idx: Vi = @splat(0);
            var buf: [V]f32 = @splat(0);
            for (0..c.a.n) |k| {
                const v: Vf = if (w == V) load(base + k * c.a.inner) else blk: {
                    @memcpy(buf[0..w], (base + k * c.a.inner)[0..w]);
                    break :blk buf;
                };
                // Strictly greater keeps the first maximum; a NaN beats any number, not another NaN.
                const take = (v > best) | ((v != v) & (best == best));
                best = @select(f32, take, v, best);
                idx = @select(i32, take, @as(Vi, @splat(@intCast(k))), idx);
            }
            const bv: [V]f32 = best;
            const iv: [V]i32 = idx;
            @memcpy((c.values + o * c.a.inner + j0)[0..w], bv[0..w]);
            @memcpy((c.indices + o * c.a.inner + j0)[0..w], iv[0..w]);
        }
    }.cols);
}

/// dx[o, indices[o, i], i] = dy[o, i]; the rest of dx is left as it is (the caller zeroes it).
export fn pb_reduce_max_along_backward(dy: [*]const f32, indices: [*]const i32, dx: [*]f32, outer: usize, n: usize, inner: usize) void {
    for (0..outer) |o| {
        for (0..inner) |i| {
            const k: usize = @intCast(indices[o * inner + i]);
            std.debug.assert(k < n);
            dx[(o * n + k) * inner + i] = dy[o * inner + i];
        }
    }
}

// ---- tests -------------------------------------------------------------------------------------

fn naiveSumAlong(x: []const f32, out: []f32, outer: usize, n: usize, inner: usize) void {
    for (0..outer) |o| for (0..inner) |i| {
        var s: f64 = 0;
        for (0..n) |k| s += x[(o * n + k) * inner + i];
        out[o * inner + i] = @floatCast(s);
    };
}

test "sum and sumAlong match naive float64 loops at odd sizes" {
    const alloc = std.testing.allocator;
    const shapes = [_][3]usize{ .{ 1, 1, 1 }, .{ 3, 7, 1 }, .{ 2, 17, 3 }, .{ 5, 3, 65 }, .{ 1, 129, 300 }, .{ 300, 257, 1 }, .{ 2, 300, 129 } };
    var prng = std.Random.DefaultPrng.init(1);
    for (shapes) |s| {
        const size = s[0] * s[1] * s[2];
        const x = try alloc.alloc(f32, size);
        defer alloc.free(x);
        for (x) |*v| v.* = prng.random().float(f32) * 2 - 1;
        const got = try alloc.alloc(f32, s[0] * s[2]);
        defer alloc.free(got);
        const want = try alloc.alloc(f32, s[0] * s[2]);
        defer alloc.free(want);
        pb_reduce_sum_along(x.ptr, got.ptr, s[0], s[1], s[2]);
        naiveSumAlong(x, want, s[0], s[1], s[2]);
        try std.testing.expectEqualSlices(f32, want, got);
        var total: f64 = undefined;
        pb_reduce_sum(x.ptr, size, &total);
        var naive: f64 = 0;
        for (x) |v| naive += v;
        try std.testing.expectApproxEqAbs(naive, total, 1e-9 * @as(f64, @floatFromInt(size)));
    }
}

test "maxAlong finds the first maximum, NaN wins, and the backward scatters to it" {
    // x (2, 3, 2): along axis 1.
    const x = [_]f32{ 1, 5, 3, 5, 3, -1, 0, std.math.nan(f32), 2, 4, 2, std.math.nan(f32) };
    var vals: [4]f32 = undefined;
    var idx: [4]i32 = undefined;
    pb_reduce_max_along(&x, &vals, &idx, 2, 3, 2);
    try std.testing.expectEqualSlices(i32, &.{ 1, 0, 1, 0 }, &idx);
    try std.testing.expectEqual(@as(f32, 3), vals[0]);
    try std.testing.expect(std.math.isNan(vals[3]));
    // Rows (inner == 1), with a row longer than a vector and ties.
    var row: [2 * V + 3]f32 = undefined;
    for (&row, 0..) |*v, i| v.* = @floatFromInt(i % 5);
    var vx1: [1]f32 = undefined;
    var ix1: [1]i32 = undefined;
    pb_reduce_max_along(&row, &vx1, &ix1, 1, row.len, 1);
    try std.testing.expectEqual(@as(i32, 4), ix1[0]);
    row[2 * V + 1] = std.math.nan(f32);
    pb_reduce_max_along(&row, &vx1, &ix1, 1, row.len, 1);
    try std.testing.expectEqual(@as(i32, 2 * V + 1), ix1[0]);
    var dx: [12]f32 = @splat(0);
    pb_reduce_max_along_backward(&[_]f32{ 10, 20, 30, 40 }, &idx, &dx, 2, 3, 2);
    try std.testing.expectEqualSlices(f32, &.{ 0, 20, 10, 0, 0, 0, 0, 40, 30, 0, 0, 0 }, &dx);
}
