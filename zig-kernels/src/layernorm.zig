//! LayerNorm over the last axis of x (N, C) with weight w (C) and bias b (C).
//!
//! Forward, per row:   μ = Σx/C,  σ² = Σ(x − μ)²/C,  rstd = 1/√(σ² + eps)
//!                     x̂ = (x − μ)·rstd,  y = x̂·w + b          (μ and rstd are saved)
//! Backward, per row:  g = dy·w,  dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
//!                     dw = Σ_rows dy·x̂,  db = Σ_rows dy
//!
//! The dw/db reductions over rows run in parallel over a fixed number of row chunks
//! (`backwardChunks`, a function of N and C only, never of the thread count): each chunk
//! writes its partial sums into caller-provided scratch (chunks × 2C floats), then the chunks
//! are added in chunk order. The result is therefore bit-identical for any number of threads.
const std = @import("std");
const pool = @import("pool.zig");
const sm = @import("softmax.zig");
const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;
const load = simd.loadAt;
const store = simd.storeAt;

const Fwd = struct { x: [*]const f32, w: [*]const f32, b: [*]const f32, y: [*]f32, mean: [*]f32, rstd: [*]f32, c: usize, eps: f32 };

fn forwardRow(a: Fwd, row: usize) void {
    const c = a.c;
    const x = a.x[row * c ..][0..c];
    const y = a.y[row * c ..][0..c];
    const w = a.w[0..c];
    const b = a.b[0..c];
    const inv_c = 1.0 / @as(f32, @floatFromInt(c));
    const mu = simd.sum(x) * inv_c;
    // Two-pass variance (the row is in L1): no cancellation from E[x²] − μ².
    const muv: F = @splat(mu);
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= c) : (i += V) {
        const d = load(x, i) - muv;
        acc = @mulAdd(F, d, d, acc);
    }
    var ss = @reduce(.Add, acc);
    while (i < c) : (i += 1) ss += (x[i] - mu) * (x[i] - mu);
    const rstd: f32 = 1.0 / @sqrt(ss * inv_c + a.eps);
    a.mean[row] = mu;
    a.rstd[row] = rstd;
    const rv: F = @splat(rstd);
    i = 0;
    while (i + V <= c) : (i += V) store(y, i, @mulAdd(F, (load(x, i) - muv) * rv, load(w, i), load(b, i)));
    while (i < c) : (i += 1) y[i] = (x[i] - mu) * rstd * w[i] + b[i];
}

const Bwd = struct {
    dy: [*]const f32,
    x: [*]const f32,
    w: [*]const f32,
    mean: [*]const f32,
    rstd: [*]const f32,
    dx: [*]f32,
    /// chunks × 2C partial sums: chunk k holds dw at [2kC, 2kC + C) and db at [2kC + C, 2(k+1)C).
    scratch: [*]f32,
    n: usize,
    c: usize,
    chunks: usize,
};

fn backwardRow(a: Bwd, row: usize, dw: []f32, db: []f32) void {
    const c = a.c;
    const x = a.x[row * c ..][0..c];
    const dy = a.dy[row * c ..][0..c];
    const dx = a.dx[row * c ..][0..c];
    const w = a.w[0..c];
    const mu = a.mean[row];
    const rstd = a.rstd[row];
    const muv: F = @splat(mu);
    const rv: F = @splat(rstd);
    // Pass 1: Σg and Σg·x̂ (g = dy·w); accumulate dw += dy·x̂ and db += dy.
    var sg: F = @splat(0);
    var sgx: F = @splat(0);
    var i: usize = 0;
    while (i + V <= c) : (i += V) {
        const xh = (load(x, i) - muv) * rv;
        const d = load(dy, i);
        const g = d * load(w, i);
        sg += g;
        sgx = @mulAdd(F, g, xh, sgx);
        store(dw, i, @mulAdd(F, d, xh, load(dw, i)));
        store(db, i, load(db, i) + d);
    }
    var sum_g = @reduce(.Add, sg);
    var sum_gx = @reduce(.Add, sgx);
    while (i < c) : (i += 1) {
        const xh = (x[i] - mu) * rstd;
        const g = dy[i] * w[i];
        sum_g += g;
        sum_gx += g * xh;
        dw[i] += dy[i] * xh;
        db[i] += dy[i];
    }
    const inv_c = 1.0 / @as(f32, @floatFromInt(c));
    const mg = sum_g * inv_c;
    const mgx = sum_gx * inv_c;
    const mgv: F = @splat(mg);
    const mgxv: F = @splat(mgx);
    // Pass 2: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
    i = 0;
    while (i + V <= c) : (i += V) {
        const xh = (load(x, i) - muv) * rv;
        const g = load(dy, i) * load(w, i);
        store(dx, i, rv * (g - mgv - xh * mgxv));
    }
    while (i < c) : (i += 1) {
        const xh = (x[i] - mu) * rstd;
        dx[i] = rstd * (dy[i] * w[i] - mg - xh * mgx);
    }
}

fn backwardChunk(a: Bwd, k: usize) void {
    const part = a.scratch[2 * k * a.c ..][0 .. 2 * a.c];
    @memset(part, 0);
    const r = pool.splitRange(a.n, a.chunks, k);
    for (r.begin..r.end) |row| backwardRow(a, row, part[0..a.c], part[a.c..]);
}

/// Number of row chunks (and of 2C-float scratch blocks) the backward uses: ~16K elements per
/// chunk, at most 64 chunks, at most one per row. Depends on N and C only.
pub fn backwardChunks(n: usize, c: usize) usize {
    return @max(1, @min(@min(n, 64), (n * c) / 16384));
}

/// The tangent of the backward (second derivatives: its forward rule), given the tangents of its
/// inputs ḋy, ẋ, ẇ, μ̇ and ṙ (rstd's), per row, with c₁ = mean(g·x̂):
///   x̂̇ = (ẋ − μ̇)·rstd + (x − μ)·ṙ,   ġ = ḋy·w + dy·ẇ,   ċ₁ = mean(ġ·x̂ + g·x̂̇)
///   ḋx = ṙ·(g − mean(g) − x̂·c₁) + rstd·(ġ − mean(ġ) − x̂̇·c₁ − x̂·ċ₁)
///   ḋw = Σ_rows ḋy·x̂ + dy·x̂̇,   ḋb = Σ_rows ḋy         (rows in order, one thread: deterministic)
const BwdTangent = struct {
    dy: [*]const f32,
    x: [*]const f32,
    w: [*]const f32,
    mean: [*]const f32,
    rstd: [*]const f32,
    tdy: [*]const f32,
    tx: [*]const f32,
    tw: [*]const f32,
    tmean: [*]const f32,
    trstd: [*]const f32,
    tdx: [*]f32,
    tdw: [*]f32,
    tdb: [*]f32,
    c: usize,
};

fn backwardTangentRow(a: BwdTangent, row: usize) void {
    const c = a.c;
    const o = row * c;
    const x = a.x[o..][0..c];
    const dy = a.dy[o..][0..c];
    const tx = a.tx[o..][0..c];
    const tdy = a.tdy[o..][0..c];
    const tdx = a.tdx[o..][0..c];
    const w = a.w[0..c];
    const tw = a.tw[0..c];
    const tdw = a.tdw[0..c];
    const tdb = a.tdb[0..c];
    const mu: F = @splat(a.mean[row]);
    const r: F = @splat(a.rstd[row]);
    const tmu: F = @splat(a.tmean[row]);
    const tr: F = @splat(a.trstd[row]);
    // Pass 1: Σg, Σg·x̂, Σġ, Σ(ġ·x̂ + g·x̂̇); ḋw and ḋb accumulate.
    var sg: F = @splat(0);
    var sgx: F = @splat(0);
    var stg: F = @splat(0);
    var stgx: F = @splat(0);
    var i: usize = 0;
    while (i + V <= c) : (i += V) {
        const centered = load(x, i) - mu;
        const xh = centered * r;
        const txh = (load(tx, i) - tmu) * r + centered * tr;
        const d = load(dy, i);
        const td = load(tdy, i);
        const g = d * load(w, i);
        const tg = td * load(w, i) + d * load(tw, i);
        sg += g;
        sgx = @mulAdd(F, g, xh, sgx);
        stg += tg;
        stgx += tg * xh + g * txh;
        store(tdw, i, load(tdw, i) + td * xh + d * txh);
        store(tdb, i, load(tdb, i) + td);
    }
    var sum_g = @reduce(.Add, sg);
    var sum_gx = @reduce(.Add, sgx);
    var sum_tg = @reduce(.Add, stg);
    var sum_tgx = @reduce(.Add, stgx);
    while (i < c) : (i += 1) {
        const centered = x[i] - mu[0];
        const xh = centered * r[0];
        const txh = (tx[i] - tmu[0]) * r[0] + centered * tr[0];
        const g = dy[i] * w[i];
        const tg = tdy[i] * w[i] + dy[i] * tw[i];
        sum_g += g;
        sum_gx += g * xh;
        sum_tg += tg;
        sum_tgx += tg * xh + g * txh;
        tdw[i] += tdy[i] * xh + dy[i] * txh;
        tdb[i] += tdy[i];
    }
    const inv_c = 1.0 / @as(f32, @floatFromInt(c));
    const mg: F = @splat(sum_g * inv_c);
    const c1: F = @splat(sum_gx * inv_c);
    const mtg: F = @splat(sum_tg * inv_c);
    const tc1: F = @splat(sum_tgx * inv_c);
    // Pass 2: ḋx.
    i = 0;
    while (i + V <= c) : (i += V) {
        const centered = load(x, i) - mu;
        const xh = centered * r;
        const txh = (load(tx, i) - tmu) * r + centered * tr;
        const g = load(dy, i) * load(w, i);
        const tg = load(tdy, i) * load(w, i) + load(dy, i) * load(tw, i);
        store(tdx, i, tr * (g - mg - xh * c1) + r * (tg - mtg - txh * c1 - xh * tc1));
    }
    while (i < c) : (i += 1) {
        const centered = x[i] - mu[0];
        const xh = centered * r[0];
        const txh = (tx[i] - tmu[0]) * r[0] + centered * tr[0];
        const g = dy[i] * w[i];
        const tg = tdy[i] * w[i] + dy[i] * tw[i];
        tdx[i] = tr[0] * (g - mg[0] - xh * c1[0]) + r[0] * (tg - mtg[0] - txh * c1[0] - xh * tc1[0]);
    }
}

// ---- C ABI --------------------------------------------------------------------------

export fn pb_layernorm_forward(x: [*]const f32, w: [*]const f32, b: [*]const f32, y: [*]f32, mean: [*]f32, rstd: [*]f32, n: usize, c: usize, eps: f32) void {
    std.debug.assert(c > 0);
    sm.parallelRows(n, c, Fwd{ .x = x, .w = w, .b = b, .y = y, .mean = mean, .rstd = rstd, .c = c, .eps = eps }, forwardRow);
}

export fn pb_layernorm_backward_chunks(n: usize, c: usize) usize {
    return backwardChunks(n, c);
}

/// Writes dx (N, C), dw (C), db (C); `scratch` holds `pb_layernorm_backward_chunks(n, c)·2C` floats.
export fn pb_layernorm_backward(dy: [*]const f32, x: [*]const f32, w: [*]const f32, mean: [*]const f32, rstd: [*]const f32, dx: [*]f32, dw: [*]f32, db: [*]f32, scratch: [*]f32, n: usize, c: usize) void {
    const chunks = backwardChunks(n, c);
    const a = Bwd{ .dy = dy, .x = x, .w = w, .mean = mean, .rstd = rstd, .dx = dx, .scratch = scratch, .n = n, .c = c, .chunks = chunks };
    pool.parallelFor(chunks, a, backwardChunk);
    // Deterministic reduction: chunk 0 + chunk 1 + … in order.
    @memcpy(dw[0..c], scratch[0..c]);
    @memcpy(db[0..c], scratch[c .. 2 * c]);
    for (1..chunks) |k| {
        const part = scratch[2 * k * c ..][0 .. 2 * c];
        for (dw[0..c], part[0..c]) |*d, p| d.* += p;
        for (db[0..c], part[c..]) |*d, p| d.* += p;
    }
}

/// Writes ḋx (N, C), ḋw (C), ḋb (C): the tangent of pb_layernorm_backward along the tangents of
/// its inputs (tmean, trstd: one per row). Zero tangents are passed as zeros.
export fn pb_layernorm_backward_tangent(dy: [*]const f32, x: [*]const f32, w: [*]const f32, mean: [*]const f32, rstd: [*]const f32, tdy: [*]const f32, tx: [*]const f32, tw: [*]const f32, tmean: [*]const f32, trstd: [*]const f32, tdx: [*]f32, tdw: [*]f32, tdb: [*]f32, n: usize, c: usize) void {
    @memset(tdw[0..c], 0);
    @memset(tdb[0..c], 0);
    const a = BwdTangent{ .dy = dy, .x = x, .w = w, .mean = mean, .rstd = rstd, .tdy = tdy, .tx = tx, .tw = tw, .tmean = tmean, .trstd = trstd, .tdx = tdx, .tdw = tdw, .tdb = tdb, .c = c };
    for (0..n) |row| backwardTangentRow(a, row);
}

// ---- tests ----------------------------------------------------------------------------

test "layernorm forward/backward match a scalar float64 reference; dw/db independent of threads" {
    const alloc = std.testing.allocator;
    var prng = std.Random.DefaultPrng.init(2);
    const rand = prng.random();
    for ([_][2]usize{ .{ 1, 1 }, .{ 3, 7 }, .{ 5, 17 }, .{ 9, 64 }, .{ 4, 65 }, .{ 300, 129 } }) |shape| {
        const n = shape[0];
        const c = shape[1];
        const x = try alloc.alloc(f32, n * c);
        defer alloc.free(x);
        const dy = try alloc.alloc(f32, n * c);
        defer alloc.free(dy);
        const y = try alloc.alloc(f32, n * c);
        defer alloc.free(y);
        const dx = try alloc.alloc(f32, n * c);
        defer alloc.free(dx);
        const w = try alloc.alloc(f32, c);
        defer alloc.free(w);
        const b = try alloc.alloc(f32, c);
        defer alloc.free(b);
        const dw = try alloc.alloc(f32, c);
        defer alloc.free(dw);
        const db = try alloc.alloc(f32, c);
        defer alloc.free(db);
        const mean = try alloc.alloc(f32, n);
        defer alloc.free(mean);
        const rstd = try alloc.alloc(f32, n);
        defer alloc.free(rstd);
        const scratch = try alloc.alloc(f32, backwardChunks(n, c) * 2 * c);
        defer alloc.free(scratch);
        for (x) |*v| v.* = rand.float(f32) * 4 - 2;
        for (dy) |*v| v.* = rand.float(f32) * 2 - 1;
        for (w) |*v| v.* = rand.float(f32) + 0.5;
        for (b) |*v| v.* = rand.float(f32) - 0.5;
        pb_layernorm_forward(x.ptr, w.ptr, b.ptr, y.ptr, mean.ptr, rstd.ptr, n, c, 1e-5);
        pb_layernorm_backward(dy.ptr, x.ptr, w.ptr, mean.ptr, rstd.ptr, dx.ptr, dw.ptr, db.ptr, scratch.ptr, n, c);
        // Reference in float64.
        const cf: f64 = @floatFromInt(c);
        const rdw = try alloc.alloc(f64, c);
        defer alloc.free(rdw);
        const rdb = try alloc.alloc(f64, c);
        defer alloc.free(rdb);
        @memset(rdw, 0);
        @memset(rdb, 0);
        for (0..n) |r| {
            const xr = x[r * c ..][0..c];
            var mu: f64 = 0;
            for (xr) |v| mu += v;
            mu /= cf;
            var vr: f64 = 0;
            for (xr) |v| vr += (v - mu) * (v - mu);
            const rs = 1.0 / @sqrt(vr / cf + 1e-5);
            try std.testing.expectApproxEqAbs(mu, mean[r], 1e-5);
            try std.testing.expectApproxEqRel(rs, rstd[r], 1e-4);
            var sg: f64 = 0;
            var sgx: f64 = 0;
            for (0..c) |j| {
                const xh = (xr[j] - mu) * rs;
                try std.testing.expectApproxEqAbs(xh * w[j] + b[j], y[r * c + j], 1e-4);
                const g = @as(f64, dy[r * c + j]) * w[j];
                sg += g;
                sgx += g * xh;
                rdw[j] += dy[r * c + j] * xh;
                rdb[j] += dy[r * c + j];
            }
            for (0..c) |j| {
                const xh = (xr[j] - mu) * rs;
                const want = rs * (dy[r * c + j] * w[j] - sg / cf - xh * sgx / cf);
                try std.testing.expectApproxEqAbs(want, dx[r * c + j], 1e-3 * @max(1, @abs(want)));
            }
        }
        for (0..c) |j| {
            try std.testing.expectApproxEqAbs(rdw[j], dw[j], 1e-3 * @max(1, @abs(rdw[j])));
            try std.testing.expectApproxEqAbs(rdb[j], db[j], 1e-3 * @max(1, @abs(rdb[j])));
        }
        // Same bits with one thread as with all of them.
        const dw2 = try alloc.dupe(f32, dw);
        defer alloc.free(dw2);
        const before = pool.threadCount();
        _ = pool.setThreads(1);
        pb_layernorm_backward(dy.ptr, x.ptr, w.ptr, mean.ptr, rstd.ptr, dx.ptr, dw.ptr, db.ptr, scratch.ptr, n, c);
        _ = pool.setThreads(before);
        try std.testing.expectEqualSlices(f32, dw2, dw);
    }
}
