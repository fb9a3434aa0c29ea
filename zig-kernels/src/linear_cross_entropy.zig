//! Fused linear + softmax cross-entropy: the vocabulary head and loss of a language model,
//! without ever materializing the (N, V) logits.
//!
//! X (N, C) rows, W (C, V), integer targets t (N):
//!   logits = X·W,  lse_i = log Σ_j exp(logits_ij),  loss_i = lse_i − logits_{i,t_i}
//! and, for the gradient of the mean loss L = (1/N) Σ_i loss_i:
//!   G = ∂L/∂logits = (softmax(logits) − onehot(t))/N
//!   ∂L/∂X = G·Wᵀ,   ∂L/∂W = Xᵀ·G.
//!
//! Rows are processed in chunks of `rows` rows (a few MB of logits): one task computes the chunk's
//! logits X_c·W into a scratch buffer of its own (reused chunk after chunk, so it stays in
//! cache), its losses (row max, then exp(x − max) stored and summed: one exp per logit), turns the
//! stored exponentials into G in place, then dX_c = G_c·Wᵀ (rows of dX are disjoint between
//! chunks) and dW_g += X_cᵀ·G_c. The products are the GEMM of gemm.zig, called from inside a pool
//! task (so they run on that task's thread alone). Wᵀ is transposed once per call into a (V, C)
//! buffer so that G·Wᵀ reads its B operand in place instead of packing Wᵀ for every chunk.
//! With a single group (dW partials too large next to the logits, e.g. a wide C) the chunks run
//! one after the other instead, each GEMM parallel over the pool (sequentialChunks).
//!
//! Determinism: the chunks are dealt to a fixed number of groups (`groups`, chosen from the
//! shapes only, never from the thread count); a group walks its chunks in order and accumulates
//! into its own dW partial; the partials are then summed in group order. Every GEMM runs with a
//! fixed k order for its shape (see gemmNoSplit; gemm.zig's grid only decides which thread
//! computes a tile, not the order of its sum), so the results are the same bits for any number
//! of threads and any scheduling; they depend on `rows` and `groups` (the order dW is summed in).
const std = @import("std");
const pool = @import("pool.zig");
const gemm = @import("gemm.zig");
const sm = @import("softmax.zig");

const simd = @import("simd.zig");
const V = simd.V;
const F = simd.F;
const rload = simd.loadAt;
const rstore = simd.storeAt;

fn rowMax(x: []const f32) f32 {
    var mv: F = @splat(-std.math.inf(f32));
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) mv = @max(mv, rload(x, i));
    var m = @reduce(.Max, mv);
    while (i < x.len) : (i += 1) m = @max(m, x[i]);
    return m;
}

/// Most groups (dW partials) a call uses; the caller provides (groups − 1)·C·V floats for them.
pub const max_groups = 8;

/// C = alpha·op(A)·op(B) + beta·C through gemm.gemm, never taking its k-split path: gemm.zig
/// splits k (for a small C with k ≥ 4·max(m, n)) only when a shared scratch is free, which from
/// two concurrent tasks is a race on the summation order. Slicing k below 4·max(m, n) (in
/// multiples of 256, gemm's k block, where possible) keeps every element's sum in one fixed order.
fn gemmNoSplit(g: gemm.Gemm, bf16: ?gemm.Bf16Impl) void {
    const limit = 4 * @max(g.m, g.n);
    if (g.k < limit) return product(g, bf16);
    const step = if (limit > 256) (limit - 1) / 256 * 256 else limit - 1;
    var part = g;
    var p: usize = 0;
    while (p < g.k) : (p += step) {
        part.k = @min(step, g.k - p);
        part.a = if (g.trans_a) g.a + p * g.lda else g.a + p;
        part.b = if (g.trans_b) g.b + p else g.b + p * g.ldb;
        part.beta = if (p == 0) g.beta else 1;
        product(part, bf16);
    }
}

/// One product in float32, or with bf16 inputs (float32 accumulation) under the bf16 precision.
fn product(g: gemm.Gemm, bf16: ?gemm.Bf16Impl) void {
    if (bf16) |impl| gemm.gemmBf16(g, impl) else gemm.gemm(g);
}

const Args = struct {
    /// The products' precision: null float32, else bf16 inputs on this kernel.
    bf16: ?gemm.Bf16Impl = null,
    x: [*]const f32,
    w: [*]const f32,
    targets: [*]const i32,
    losses: [*]f32,
    n: usize,
    c: usize,
    v: usize,
    rows: usize,
    chunks: usize,
    /// Scratch: `slots` buffers of rows·V floats, one per running task (see `busy`).
    scratch: [*]f32,
    slots: usize,
    busy: [*]std.atomic.Value(bool),
    // ---- gradients only
    grads: bool = false,
    wt: [*]f32 = undefined,
    dx: [*]f32 = undefined,
    dw: [*]f32 = undefined,
    partials: [*]f32 = undefined,
    groups: usize = 1,
    scale: f32 = 0,
};

fn acquire(a: *const Args) usize {
    while (true) {
        for (0..a.slots) |i| {
            const b = &a.busy[i];
            if (!b.load(.monotonic) and b.cmpxchgStrong(false, true, .acquire, .monotonic) == null) return i;
        }
        std.atomic.spinLoopHint();
    }
}

/// Σ_j exp(x_j − m) over a row, in lanes; with `store` the row is overwritten by exp(x_j − m).
fn sumExp(row: []f32, m: f32, comptime store: bool) f32 {
    const mv: F = @splat(m);
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= row.len) : (i += V) {
        const e = simd.exp(rload(row, i) - mv);
        if (store) rstore(row, i, e);
        acc += e;
    }
    var tail: f32 = 0;
    while (i < row.len) : (i += 1) {
        const e = simd.expS(row[i] - m);
        if (store) row[i] = e;
        tail += e;
    }
    return @reduce(.Add, acc) + tail;
}

/// One row of logits x → its loss (m − x_t) + log Σ_j exp(x_j − m), m = max_j x_j; with
/// gradients the row becomes G = (softmax(x) − onehot(t))·scale in place. Two passes (the max,
/// then exp stored and summed) and ONE exp per logit: softmax_j = exp(x_j − m)/Σ. The loss-only
/// path runs the same arithmetic (without the stores), so both give the same bits.
fn lossRow(row: []f32, target: i32, comptime grads: bool, scale: f32) f32 {
    const t: usize = @intCast(target);
    std.debug.assert(t < row.len);
    const m = rowMax(row);
    const xt = row[t];
    const total = sumExp(row, m, grads);
    const loss = (m - xt) + @as(f32, @floatCast(@log(@as(f64, total))));
    if (grads) {
        const k = scale / total;
        const kv: F = @splat(k);
        var i: usize = 0;
        while (i + V <= row.len) : (i += V) rstore(row, i, rload(row, i) * kv);
        while (i < row.len) : (i += 1) row[i] *= k;
        row[t] -= scale;
    }
    return loss;
}

/// Chunk `ci`: losses of its rows; with gradients also dX of its rows and dW_dst (+)= X_cᵀ·G_c
/// (`first`: overwrite dW_dst instead of adding).
fn runChunk(a: *const Args, ci: usize, logits: [*]f32, first: bool, dw_dst: [*]f32) void {
    const r0 = ci * a.rows;
    const m: usize = @min(a.rows, a.n - r0);
    const x = a.x + r0 * a.c;
    // logits_c = X_c·W  (m, V)
    gemmNoSplit(.{ .trans_a = false, .trans_b = false, .m = m, .n = a.v, .k = a.c, .alpha = 1, .a = x, .lda = a.c, .b = a.w, .ldb = a.v, .beta = 0, .c = logits, .ldc = a.v }, a.bf16);
    for (0..m) |i| {
        const row = logits[i * a.v ..][0..a.v];
        a.losses[r0 + i] = if (a.grads) lossRow(row, a.targets[r0 + i], true, a.scale) else lossRow(row, a.targets[r0 + i], false, 0);
    }
    if (!a.grads) return;
    // dX_c = G_c·Wᵀ = G_c·Wt  (m, C)
    gemmNoSplit(.{ .trans_a = false, .trans_b = false, .m = m, .n = a.c, .k = a.v, .alpha = 1, .a = logits, .lda = a.v, .b = a.wt, .ldb = a.c, .beta = 0, .c = a.dx + r0 * a.c, .ldc = a.c }, a.bf16);
    // dW (+)= X_cᵀ·G_c  (C, V)
    gemmNoSplit(.{ .trans_a = true, .trans_b = false, .m = a.c, .n = a.v, .k = m, .alpha = 1, .a = x, .lda = a.c, .b = logits, .ldb = a.v, .beta = if (first) 0 else 1, .c = dw_dst, .ldc = a.v }, a.bf16);
}

/// Loss only: one task per chunk.
fn lossTask(a: *const Args, ci: usize) void {
    const s = acquire(a);
    defer a.busy[s].store(false, .release);
    runChunk(a, ci, a.scratch + s * a.rows * a.v, true, undefined);
}

/// Gradients: group g walks its chunks in order into its own dW (group 0: dW itself).
fn groupTask(a: *const Args, g: usize) void {
    const s = acquire(a);
    defer a.busy[s].store(false, .release);
    const r = pool.splitRange(a.chunks, a.groups, g);
    const dst = if (g == 0) a.dw else a.partials + (g - 1) * a.c * a.v;
    if (r.begin == r.end) {
        // More groups than chunks (a caller's choice): an empty group contributes zeros.
        @memset(dst[0 .. a.c * a.v], 0);
        return;
    }
    for (r.begin..r.end) |ci| runChunk(a, ci, a.scratch + s * a.rows * a.v, ci == r.begin, dst);
}

/// One group: the chunks one after the other on the calling thread, each GEMM and the rows of
/// the softmax parallel over the pool (dW accumulates straight into dw; no partials). The GEMMs
/// cut C among the threads, so e.g. each thread keeps its own columns of dW in cache.
fn sequentialChunks(a: *const Args) void {
    const Rows = struct { a: *const Args, r0: usize, m: usize, logits: [*]f32, parts: usize };
    for (0..a.chunks) |ci| {
        const r0 = ci * a.rows;
        const m: usize = @min(a.rows, a.n - r0);
        const x = a.x + r0 * a.c;
        const logits = a.scratch;
        gemmNoSplit(.{ .trans_a = false, .trans_b = false, .m = m, .n = a.v, .k = a.c, .alpha = 1, .a = x, .lda = a.c, .b = a.w, .ldb = a.v, .beta = 0, .c = logits, .ldc = a.v }, a.bf16);
        const parts = sm.rowTasks(m, a.v);
        pool.parallelFor(parts, Rows{ .a = a, .r0 = r0, .m = m, .logits = logits, .parts = parts }, struct {
            fn run(ctx: Rows, t: usize) void {
                const r = pool.splitRange(ctx.m, ctx.parts, t);
                for (r.begin..r.end) |i| ctx.a.losses[ctx.r0 + i] = lossRow(ctx.logits[i * ctx.a.v ..][0..ctx.a.v], ctx.a.targets[ctx.r0 + i], true, ctx.a.scale);
            }
        }.run);
        gemmNoSplit(.{ .trans_a = false, .trans_b = false, .m = m, .n = a.c, .k = a.v, .alpha = 1, .a = logits, .lda = a.v, .b = a.wt, .ldb = a.c, .beta = 0, .c = a.dx + r0 * a.c, .ldc = a.c }, a.bf16);
        gemmNoSplit(.{ .trans_a = true, .trans_b = false, .m = a.c, .n = a.v, .k = m, .alpha = 1, .a = x, .lda = a.c, .b = logits, .ldb = a.v, .beta = if (ci == 0) 0 else 1, .c = a.dw, .ldc = a.v }, a.bf16);
    }
}

/// Wt (V, C) = Wᵀ for W (C, V), over row ranges of Wt.
fn transposeTask(a: *const Args, t: usize, parts: usize) void {
    const r = pool.splitRange(a.v, parts, t);
    const wt = a.wt;
    var j0 = r.begin;
    // Blocks of 16 columns of W: 16 contiguous floats read per row of W, 16 short rows written.
    while (j0 < r.end) : (j0 += 16) {
        const j1 = @min(j0 + 16, r.end);
        for (0..a.c) |i| {
            const src = a.w + i * a.v;
            for (j0..j1) |j| wt[j * a.c + i] = src[j];
        }
    }
}

/// dW += Σ_{g ≥ 1} partial_g, in group order, over element ranges of dW.
fn reduceTask(a: *const Args, t: usize, parts: usize) void {
    const len = a.c * a.v;
    const r = pool.splitRange(len, parts, t);
    const dw = a.dw[r.begin..r.end];
    var i: usize = 0;
    while (i + V <= dw.len) : (i += V) {
        var acc: F = simd.loadAt(dw, i);
        for (1..a.groups) |g| acc += simd.loadAt(a.partials[(g - 1) * len + r.begin ..][0..dw.len], i);
        simd.storeAt(dw, i, acc);
    }
    while (i < dw.len) : (i += 1) {
        var acc = dw[i];
        for (1..a.groups) |g| acc += a.partials[(g - 1) * len + r.begin + i];
        dw[i] = acc;
    }
}

fn parallelParts(a: *const Args, work: usize, comptime f: fn (*const Args, usize, usize) void) void {
    const parts: usize = @max(1, @min(4 * pool.threadCount(), work / 65536));
    const Ctx = struct { a: *const Args, parts: usize };
    pool.parallelFor(parts, Ctx{ .a = a, .parts = parts }, struct {
        fn run(ctx: Ctx, t: usize) void {
            f(ctx.a, t, ctx.parts);
        }
    }.run);
}

fn chunkCount(n: usize, rows: usize) usize {
    return (n + rows - 1) / rows;
}

// ---- C ABI --------------------------------------------------------------------------

/// `bf16` = 0: float32 products; else bf16 inputs on kernel `impl` (0 auto, 1 emulated, 2 vdpbf16ps, 3 AMX).
fn bf16Impl(bf16: u32, impl: u32) ?gemm.Bf16Impl {
    if (bf16 == 0) return null;
    return std.meta.intToEnum(gemm.Bf16Impl, impl) catch .auto;
}

/// losses[i] = log Σ_j exp((X·W)_ij) − (X·W)_{i,t_i} for x (n, c), w (c, v), targets (n),
/// `rows` rows per chunk, scratch of slots·rows·v floats (slots ≥ 1; one per thread is enough).
export fn pb_linear_cross_entropy_forward(x: [*]const f32, w: [*]const f32, targets: [*]const i32, losses: [*]f32, n: usize, c: usize, v: usize, rows: usize, scratch: [*]f32, slots: usize, bf16: u32, impl: u32) void {
    std.debug.assert(rows >= 1 and slots >= 1 and slots <= pool.max_threads);
    if (n == 0) return;
    var busy = [_]std.atomic.Value(bool){std.atomic.Value(bool).init(false)} ** pool.max_threads;
    const a = Args{ .bf16 = bf16Impl(bf16, impl), .x = x, .w = w, .targets = targets, .losses = losses, .n = n, .c = c, .v = v, .rows = rows, .chunks = chunkCount(n, rows), .scratch = scratch, .slots = slots, .busy = &busy };
    pool.parallelFor(a.chunks, &a, lossTask);
}

/// The losses as in the forward, and the gradients of their mean: dx (n, c) = G·Wᵀ and
/// dw (c, v) = Xᵀ·G with G = (softmax(X·W) − onehot(t))/n. Scratch: `scratch` as in the forward,
/// `wt` v·c floats (receives Wᵀ), `partials` (groups − 1)·c·v floats; 1 ≤ groups ≤ max_groups.
export fn pb_linear_cross_entropy_forward_backward(x: [*]const f32, w: [*]const f32, targets: [*]const i32, losses: [*]f32, dx: [*]f32, dw: [*]f32, n: usize, c: usize, v: usize, rows: usize, groups: usize, scratch: [*]f32, slots: usize, wt: [*]f32, partials: [*]f32, bf16: u32, impl: u32) void {
    std.debug.assert(rows >= 1 and slots >= 1 and slots <= pool.max_threads and groups >= 1 and groups <= max_groups);
    if (n == 0) {
        @memset(dw[0 .. c * v], 0);
        return;
    }
    var busy = [_]std.atomic.Value(bool){std.atomic.Value(bool).init(false)} ** pool.max_threads;
    const a = Args{
        .bf16 = bf16Impl(bf16, impl),
        .x = x,
        .w = w,
        .targets = targets,
        .losses = losses,
        .n = n,
        .c = c,
        .v = v,
        .rows = rows,
        .chunks = chunkCount(n, rows),
        .scratch = scratch,
        .slots = slots,
        .busy = &busy,
        .grads = true,
        .wt = wt,
        .dx = dx,
        .dw = dw,
        .partials = partials,
        .groups = groups,
        .scale = 1 / @as(f32, @floatFromInt(n)),
    };
    parallelParts(&a, c * v, transposeTask);
    if (groups == 1) return sequentialChunks(&a);
    pool.parallelFor(groups, &a, groupTask);
    parallelParts(&a, c * v * groups, reduceTask);
}

// ---- tests ----------------------------------------------------------------------------

const testing = std.testing;

/// The definition, in float64: logits, softmax, losses, dX and dW by plain loops.
fn reference(x: []const f32, w: []const f32, t: []const i32, n: usize, c: usize, v: usize, losses: []f64, dx: []f64, dw: []f64) void {
    const logits = testing.allocator.alloc(f64, v) catch unreachable;
    defer testing.allocator.free(logits);
    @memset(dw, 0);
    for (0..n) |i| {
        var m: f64 = -std.math.inf(f64);
        for (0..v) |j| {
            var s: f64 = 0;
            for (0..c) |p| s += @as(f64, x[i * c + p]) * w[p * v + j];
            logits[j] = s;
            m = @max(m, s);
        }
        var z: f64 = 0;
        for (logits) |l| z += @exp(l - m);
        const lse = m + @log(z);
        const ti: usize = @intCast(t[i]);
        losses[i] = lse - logits[ti];
        for (0..c) |p| dx[i * c + p] = 0;
        for (0..v) |j| {
            const g = (@exp(logits[j] - lse) - @as(f64, if (j == ti) 1 else 0)) / @as(f64, @floatFromInt(n));
            for (0..c) |p| {
                dx[i * c + p] += g * w[p * v + j];
                dw[p * v + j] += g * x[i * c + p];
            }
        }
    }
}

fn expectClose(want: []const f64, got: []const f32, tol: f64) !void {
    for (want, got) |e, g| {
        if (@abs(e - g) > tol * (1 + @abs(e))) {
            std.debug.print("want {d}, got {d}\n", .{ e, g });
            return error.TestExpectedApproxEqAbs;
        }
    }
}

test "fused linear cross-entropy matches the float64 definition (chunk boundaries, groups)" {
    const alloc = testing.allocator;
    var prng = std.Random.DefaultPrng.init(11);
    const rand = prng.random();
    const Case = struct { n: usize, c: usize, v: usize, rows: usize, groups: usize };
    const cases = [_]Case{
        .{ .n = 1, .c = 1, .v = 1, .rows = 1, .groups = 1 },
        .{ .n = 3, .c = 7, .v = 17, .rows = 2, .groups = 2 },
        .{ .n = 17, .c = 5, .v = 63, .rows = 4, .groups = 3 },
        .{ .n = 65, .c = 64, .v = 129, .rows = 16, .groups = 8 },
        .{ .n = 7, .c = 3, .v = 65, .rows = 64, .groups = 1 },
        .{ .n = 5, .c = 2, .v = 9, .rows = 1, .groups = 8 }, // 5 chunks, 8 groups: 3 empty ones
        .{ .n = 40, .c = 16, .v = 300, .rows = 6, .groups = 4 },
    };
    for (cases) |k| {
        const x = try alloc.alloc(f32, k.n * k.c);
        defer alloc.free(x);
        const w = try alloc.alloc(f32, k.c * k.v);
        defer alloc.free(w);
        const t = try alloc.alloc(i32, k.n);
        defer alloc.free(t);
        for (x) |*e| e.* = (rand.float(f32) - 0.5) * 2;
        for (w) |*e| e.* = (rand.float(f32) - 0.5) * 2;
        for (t) |*e| e.* = @intCast(rand.uintLessThan(usize, k.v));
        const losses = try alloc.alloc(f32, k.n);
        defer alloc.free(losses);
        const losses2 = try alloc.alloc(f32, k.n);
        defer alloc.free(losses2);
        const dx = try alloc.alloc(f32, k.n * k.c);
        defer alloc.free(dx);
        const dw = try alloc.alloc(f32, k.c * k.v);
        defer alloc.free(dw);
        const slots = 4;
        const scratch = try alloc.alloc(f32, slots * k.rows * k.v);
        defer alloc.free(scratch);
        const wt = try alloc.alloc(f32, k.v * k.c);
        defer alloc.free(wt);
        const partials = try alloc.alloc(f32, (k.groups - 1) * k.c * k.v);
        defer alloc.free(partials);
        @memset(dw, std.math.nan(f32)); // everything must be written
        @memset(dx, std.math.nan(f32));
        pb_linear_cross_entropy_forward_backward(x.ptr, w.ptr, t.ptr, losses.ptr, dx.ptr, dw.ptr, k.n, k.c, k.v, k.rows, k.groups, scratch.ptr, slots, wt.ptr, partials.ptr, 0, 0);
        pb_linear_cross_entropy_forward(x.ptr, w.ptr, t.ptr, losses2.ptr, k.n, k.c, k.v, k.rows, scratch.ptr, slots, 0, 0);
        const rl = try alloc.alloc(f64, k.n);
        defer alloc.free(rl);
        const rdx = try alloc.alloc(f64, k.n * k.c);
        defer alloc.free(rdx);
        const rdw = try alloc.alloc(f64, k.c * k.v);
        defer alloc.free(rdw);
        reference(x, w, t, k.n, k.c, k.v, rl, rdx, rdw);
        try expectClose(rl, losses, 1e-5);
        try testing.expectEqualSlices(f32, losses, losses2);
        try expectClose(rdx, dx, 1e-5);
        try expectClose(rdw, dw, 1e-5);
    }
}

test "gemmNoSplit: a sliced k gives the same product as the definition" {
    var prng = std.Random.DefaultPrng.init(5);
    const rand = prng.random();
    // m = 2, n = 3, k = 100 ≥ 4·max(m, n): sliced into pieces of 11.
    const m = 2;
    const n = 3;
    const k = 100;
    var a: [m * k]f32 = undefined;
    var b: [k * n]f32 = undefined;
    for (&a) |*e| e.* = rand.float(f32) - 0.5;
    for (&b) |*e| e.* = rand.float(f32) - 0.5;
    var c: [m * n]f32 = .{ 1, 2, 3, 4, 5, 6 };
    var want = c;
    const g: gemm.Gemm = .{ .trans_a = false, .trans_b = false, .m = m, .n = n, .k = k, .alpha = 1, .a = &a, .lda = k, .b = &b, .ldb = n, .beta = 0.5, .c = &c, .ldc = n };
    gemmNoSplit(g, null);
    var r = g;
    r.c = &want;
    gemm.gemmReference(r);
    for (want, c) |e, x| try testing.expectApproxEqAbs(e, x, 1e-5);
}
