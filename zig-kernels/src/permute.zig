//! Permuted copy (permute, transpose, swapAxes): out[Σ_k i_k·os_k] = x[Σ_k i_k·xs_k] over an
//! iteration space `shape`, with x's and out's element strides per iteration axis.
//!
//! TypeScript (ops/shape.ts) drops size-1 axes, merges axes contiguous on both sides, and tiles the
//! walk: the input's fastest axis and the output's fastest axis are split into tiles so that each
//! tile reads and writes whole cache lines (without it, reads at strides like 768 B or 1 KiB — the
//! qkv split, a (8192, 256) transpose — conflict in the cache). The kernel walks the first ndim − 1
//! axes and copies a block of (row × last axis) per step; large copies are split over the pool.
const std = @import("std");
const ew = @import("elementwise.zig");

const L = ew.Layout(2);

/// out[i·os] = x[i·xs] for i < len.
fn copyRow(x: [*]const f32, xs: usize, out: [*]f32, os: usize, len: usize) void {
    if (xs == 1 and os == 1) {
        if (len >= 64) {
            @memcpy(out[0..len], x[0..len]);
        } else {
            for (0..len) |i| out[i] = x[i];
        }
    } else {
        for (0..len) |i| out[i * os] = x[i * xs];
    }
}

/// Copies x into out over an iteration space `shape` in which x has element strides `xs` and out
/// strides `os`: out[Σ i_k·os_k] = x[Σ i_k·xs_k]. TypeScript passes the axes in the order to walk
/// (the output's, tiled; see ops/shape.ts). The walker steps over the first ndim − 1 axes; each of
/// its rows copies a block of (row length × last axis) elements, so short last axes (D = 4) do not
/// pay the walker's per-row cost for every 4 elements.
export fn pb_permute_copy(x: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, xs: [*]const usize, os: [*]const usize) void {
    std.debug.assert(ndim >= 1 and ndim <= ew.max_dims);
    if (ndim == 1) {
        const Ctx = struct { x: [*]const f32, out: [*]f32, xs: usize, os: usize };
        ew.parallelRanges(shape[0], Ctx{ .x = x, .out = out, .xs = xs[0], .os = os[0] }, struct {
            fn run(c: Ctx, begin: usize, end: usize) void {
                copyRow(c.x + begin * c.xs, c.xs, c.out + begin * c.os, c.os, end - begin);
            }
        }.run);
        return;
    }
    const last = ndim - 1;
    const Ctx = struct { l: L, x: [*]const f32, out: [*]f32, n0: usize, xs0: usize, os0: usize };
    const ctx = Ctx{ .l = L.init(last, shape, .{ xs, os }), .x = x, .out = out, .n0 = shape[last], .xs0 = xs[last], .os0 = os[last] };
    ew.parallelUnits(ctx.l.size(), ctx.n0, &ctx, struct {
        fn run(c: *const Ctx, begin: usize, end: usize) void {
            c.l.walk(begin, end, c, struct {
                fn seg(cc: *const Ctx, offs: [2]usize, _: usize, len: usize) void {
                    const row = cc.l.ndim - 1;
                    const xs1 = cc.l.strides[0][row];
                    const os1 = cc.l.strides[1][row];
                    for (0..len) |i| copyRow(cc.x + offs[0] + i * xs1, cc.xs0, cc.out + offs[1] + i * os1, cc.os0, cc.n0);
                }
            }.seg);
        }
    }.run);
}

// ---- tests -------------------------------------------------------------------------------------

/// The plain definition: every output index decoded and its input offset summed.
fn naivePermute(x: []const f32, out: []f32, shape: []const usize, strides: []const usize) void {
    for (out, 0..) |*o, flat| {
        var rem = flat;
        var off: usize = 0;
        var d = shape.len;
        while (d > 0) {
            d -= 1;
            off += (rem % shape[d]) * strides[d];
            rem /= shape[d];
        }
        o.* = x[off];
    }
}

test "permuted copies match the naive definition ((B,T,H,D)→(B,H,T,D), a 5-d split, a big transpose)" {
    const alloc = std.testing.allocator;
    const Case = struct { shape: []const usize, strides: []const usize };
    // (B, T, H, D) = (3, 5, 4, 2) → (B, H, T, D): input strides (T·H·D, D, H·D, 1) permuted.
    // (B, T, 3, H, D) = (2, 3, 3, 2, 5) → (3, B, H, T, D).
    // (300, 257) → its transpose (257, 300): above the parallel threshold.
    const cases = [_]Case{
        .{ .shape = &.{ 3, 4, 5, 2 }, .strides = &.{ 40, 2, 8, 1 } },
        .{ .shape = &.{ 3, 2, 2, 3, 5 }, .strides = &.{ 10, 90, 5, 30, 1 } },
        .{ .shape = &.{ 257, 300 }, .strides = &.{ 1, 257 } },
        .{ .shape = &.{7}, .strides = &.{1} },
    };
    for (cases) |c| {
        var n: usize = 1;
        for (c.shape) |d| n *= d;
        const x = try alloc.alloc(f32, n);
        defer alloc.free(x);
        for (x, 0..) |*v, i| v.* = @floatFromInt(i);
        const got = try alloc.alloc(f32, n);
        defer alloc.free(got);
        const want = try alloc.alloc(f32, n);
        defer alloc.free(want);
        naivePermute(x, want, c.shape, c.strides);
        // In output order (out strides contiguous) ...
        var os: [8]usize = undefined;
        var acc: usize = 1;
        var d = c.shape.len;
        while (d > 0) {
            d -= 1;
            os[d] = acc;
            acc *= c.shape[d];
        }
        pb_permute_copy(x.ptr, got.ptr, c.shape.len, c.shape.ptr, c.strides.ptr, &os);
        try std.testing.expectEqualSlices(f32, want, got);
        // ... and with the iteration axes reversed (strided reads and writes everywhere).
        var rs: [8]usize = undefined;
        var rx: [8]usize = undefined;
        var ro: [8]usize = undefined;
        for (0..c.shape.len) |k| {
            rs[k] = c.shape[c.shape.len - 1 - k];
            rx[k] = c.strides[c.shape.len - 1 - k];
            ro[k] = os[c.shape.len - 1 - k];
        }
        @memset(got, 0);
        pb_permute_copy(x.ptr, got.ptr, c.shape.len, &rs, &rx, &ro);
        try std.testing.expectEqualSlices(f32, want, got);
    }
}
