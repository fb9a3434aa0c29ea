//! Permuted copy (permute, transpose, swapAxes): out[i0, …, i_{d−1}] = x[Σ_k i_k · strides[k]],
//! where `shape` is the output's shape and `strides[k]` the input's element stride along the input
//! axis that becomes output axis k. TypeScript drops size-1 axes and merges output axes that are
//! contiguous in the input too, so the model's (B, T, H, D) ↔ (B, H, T, D) arrives as 4 axes with a
//! contiguous last axis of D elements, and (B, T, 3, H, D) → (3, B, H, T, D) as 5.
//!
//! The output is written in order, one row (last axis) at a time: a memcpy when that axis is
//! contiguous in the input, a strided gather otherwise. Large copies are split in chunks over the
//! thread pool.
const std = @import("std");
const ew = @import("elementwise.zig");

const L = ew.Layout(1);

fn copyRow(x: [*]const f32, stride: usize, out: [*]f32, len: usize) void {
    if (stride == 1) {
        @memcpy(out[0..len], x[0..len]);
    } else {
        for (0..len) |i| out[i] = x[i * stride];
    }
}

export fn pb_permute_copy(x: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, strides: [*]const usize) void {
    const Ctx = struct { l: L, x: [*]const f32, out: [*]f32 };
    const ctx = Ctx{ .l = L.init(ndim, shape, .{strides}), .x = x, .out = out };
    ew.parallelRanges(ctx.l.size(), &ctx, struct {
        fn run(c: *const Ctx, begin: usize, end: usize) void {
            c.l.walk(begin, end, c, struct {
                fn seg(cc: *const Ctx, offs: [1]usize, pos: usize, len: usize) void {
                    copyRow(cc.x + offs[0], cc.l.strides[0][cc.l.ndim - 1], cc.out + pos, len);
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
        pb_permute_copy(x.ptr, got.ptr, c.shape.len, c.shape.ptr, c.strides.ptr);
        naivePermute(x, want, c.shape, c.strides);
        try std.testing.expectEqualSlices(f32, want, got);
    }
}
