//! Embedding lookups and their scatter-add backward.
//!
//!   take:           out[i, :] = table[idx[i], :]                 table (V, C), idx (K), out (K, C)
//!   take backward:  dtable[idx[i], :] += dy[i, :]  for i = 0..K  (repeated indices accumulate)
//!   pick:           out[i] = x[rows[i], cols[i]]                 x (N, M), out (K)
//!   pick backward:  dx[rows[i], cols[i]] += dy[i]
//!
//! take backward is parallel and race-free: task t owns the vocabulary range
//! [v_begin, v_end) of the table and scans every index, adding only the rows it owns, in index
//! order. Each table row is therefore accumulated by one task in the same order as a serial loop,
//! so the result is identical for any thread count. Indices are validated in TypeScript.
const std = @import("std");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;

const Take = struct { table: [*]const f32, idx: [*]const i32, out: [*]f32, k: usize, v: usize, c: usize, tasks: usize };

fn takeTask(a: Take, t: usize) void {
    const r = pool.splitRange(a.k, a.tasks, t);
    for (r.begin..r.end) |i| {
        const row: usize = @intCast(a.idx[i]);
        std.debug.assert(row < a.v);
        @memcpy(a.out[i * a.c ..][0..a.c], a.table[row * a.c ..][0..a.c]);
    }
}

const Scatter = struct { dy: [*]const f32, idx: [*]const i32, dtable: [*]f32, k: usize, v: usize, c: usize, tasks: usize };

fn addRow(dst: []f32, src: []const f32) void {
    var j: usize = 0;
    while (j + V <= dst.len) : (j += V) simd.storeAt(dst, j, simd.loadAt(dst, j) + simd.loadAt(src, j));
    while (j < dst.len) : (j += 1) dst[j] += src[j];
}

fn scatterTask(a: Scatter, t: usize) void {
    const r = pool.splitRange(a.v, a.tasks, t);
    for (0..a.k) |i| {
        const row: usize = @intCast(a.idx[i]);
        std.debug.assert(row < a.v);
        if (row < r.begin or row >= r.end) continue;
        addRow(a.dtable[row * a.c ..][0..a.c], a.dy[i * a.c ..][0..a.c]);
    }
}

fn tasksFor(units: usize, work: usize) usize {
    return @max(1, @min(@min(units, 64), work / 32768));
}

// ---- C ABI --------------------------------------------------------------------------

export fn pb_embedding_take(table: [*]const f32, idx: [*]const i32, out: [*]f32, k: usize, v: usize, c: usize) void {
    const tasks = tasksFor(k, k * c);
    pool.parallelFor(tasks, Take{ .table = table, .idx = idx, .out = out, .k = k, .v = v, .c = c, .tasks = tasks }, takeTask);
}

/// dtable (V, C) += scatter of dy (K, C) by idx; the caller passes dtable zeroed for a plain gradient.
export fn pb_embedding_take_backward(dy: [*]const f32, idx: [*]const i32, dtable: [*]f32, k: usize, v: usize, c: usize) void {
    // Every task scans all K indices, so keep tasks few unless the rows are wide.
    const tasks = tasksFor(v, k * c);
    pool.parallelFor(tasks, Scatter{ .dy = dy, .idx = idx, .dtable = dtable, .k = k, .v = v, .c = c, .tasks = tasks }, scatterTask);
}

fn at(rows: [*]const i32, cols: [*]const i32, i: usize, n: usize, m: usize) usize {
    const r: usize = @intCast(rows[i]);
    const c: usize = @intCast(cols[i]);
    std.debug.assert(r < n and c < m);
    return r * m + c;
}

export fn pb_embedding_pick(x: [*]const f32, rows: [*]const i32, cols: [*]const i32, out: [*]f32, k: usize, n: usize, m: usize) void {
    for (0..k) |i| out[i] = x[at(rows, cols, i, n, m)];
}

/// dx (N, M) += dy scattered to (rows[i], cols[i]); the caller passes dx zeroed.
export fn pb_embedding_pick_backward(dy: [*]const f32, rows: [*]const i32, cols: [*]const i32, dx: [*]f32, k: usize, n: usize, m: usize) void {
    for (0..k) |i| dx[at(rows, cols, i, n, m)] += dy[i];
}

// ---- tests ----------------------------------------------------------------------------

test "take backward accumulates repeated indices, identically for 1 and all threads" {
    const alloc = std.testing.allocator;
    const k = 5000;
    const v = 37;
    const c = 67;
    const idx = try alloc.alloc(i32, k);
    defer alloc.free(idx);
    const dy = try alloc.alloc(f32, k * c);
    defer alloc.free(dy);
    const got = try alloc.alloc(f32, v * c);
    defer alloc.free(got);
    const got1 = try alloc.alloc(f32, v * c);
    defer alloc.free(got1);
    const want = try alloc.alloc(f32, v * c);
    defer alloc.free(want);
    var prng = std.Random.DefaultPrng.init(4);
    const rand = prng.random();
    for (idx) |*i| i.* = @intCast(rand.uintLessThan(u32, v));
    for (dy) |*d| d.* = rand.float(f32) - 0.5;
    @memset(want, 0);
    for (0..k) |i| {
        const row: usize = @intCast(idx[i]);
        for (0..c) |j| want[row * c + j] += dy[i * c + j];
    }
    @memset(got, 0);
    pb_embedding_take_backward(dy.ptr, idx.ptr, got.ptr, k, v, c);
    try std.testing.expectEqualSlices(f32, want, got);
    const before = pool.threadCount();
    _ = pool.setThreads(1);
    @memset(got1, 0);
    pb_embedding_take_backward(dy.ptr, idx.ptr, got1.ptr, k, v, c);
    _ = pool.setThreads(before);
    try std.testing.expectEqualSlices(f32, got, got1);
    // take then round-trips the table rows.
    const out = try alloc.alloc(f32, k * c);
    defer alloc.free(out);
    pb_embedding_take(want.ptr, idx.ptr, out.ptr, k, v, c);
    for (0..k) |i| try std.testing.expectEqualSlices(f32, want[@as(usize, @intCast(idx[i])) * c ..][0..c], out[i * c ..][0..c]);
}
