//! Softmax and log-softmax along the last axis of a (rows, cols) buffer, forward and backward.
//!
//!   softmax:      y_j = exp(x_j − m) / Σ_k exp(x_k − m),      m = max_k x_k (for stability)
//!                 dx_j = y_j · (dy_j − Σ_k dy_k·y_k)
//!   log-softmax:  y_j = x_j − m − log Σ_k exp(x_k − m)
//!                 dx_j = dy_j − exp(y_j) · Σ_k dy_k            (exp(y) is the softmax)
//!
//! Rows are independent: parallel over row ranges, SIMD along a row with scalar tails.
//! `expV` is the vectorized exp shared with cross_entropy.zig (accurate to ~1 ulp).
const std = @import("std");
const pool = @import("pool.zig");

pub const V = std.simd.suggestVectorLength(f32) orelse 8;
pub const F = @Vector(V, f32);

// ---- vectorized exp -----------------------------------------------------------

/// e^x elementwise, within 1–2 ulp of the correctly rounded float32 result (checked against
/// float64 in the tests below), including the subnormal range; exp(+inf) = inf, exp(−inf) = 0,
/// NaN propagates.
///
/// Range reduction: x = n·ln2 + r with n = round(x / ln2), |r| ≤ ln2/2, where n·ln2 is
/// subtracted in two parts (Cody–Waite: ln2 = C1 + C2, C1 exact in 9 bits so n·C1 is exact).
/// e^r is a degree-7 minimax polynomial (Cephes expf: 1 + r + r²·P(r)), then scaled by 2^n,
/// built from the exponent bits. 2^n is applied as 2^(n/2)·2^(n − n/2) so results that are
/// subnormal (x < −87.3) or near the overflow limit round only once.
pub inline fn expV(comptime N: usize, x: @Vector(N, f32)) @Vector(N, f32) {
    @setFloatMode(.strict); // the rounding trick below must not be reassociated
    const Vf = @Vector(N, f32);
    const Vi = @Vector(N, i32);
    const hi: Vf = @splat(88.72283935546875); // largest float32 below ln(FLT_MAX)
    const lo: Vf = @splat(-103.972084045410); // e^lo is below half the smallest subnormal
    const xc = @min(@max(x, lo), hi);
    // n = round(x·log2 e) by the 1.5·2^23 trick: t's low mantissa bits hold n (no float→int
    // conversion needed). Strict float mode keeps t − magic exact.
    const magic: Vf = @splat(12582912.0);
    const t = @mulAdd(Vf, xc, @splat(1.44269504088896341), magic);
    const n = t - magic;
    var r = @mulAdd(Vf, n, @splat(-0.693359375), xc);
    r = @mulAdd(Vf, n, @splat(2.12194440e-4), r);
    var p: Vf = @splat(1.9875691500e-4);
    p = @mulAdd(Vf, p, r, @splat(1.3981999507e-3));
    p = @mulAdd(Vf, p, r, @splat(8.3334519073e-3));
    p = @mulAdd(Vf, p, r, @splat(4.1665795894e-2));
    p = @mulAdd(Vf, p, r, @splat(1.6666665459e-1));
    p = @mulAdd(Vf, p, r, @splat(5.0000001201e-1));
    p = @mulAdd(Vf, p, r * r, r + @as(Vf, @splat(1.0)));
    const ni: Vi = @as(Vi, @bitCast(t)) - @as(Vi, @bitCast(magic)); // n ∈ [−150, 128]
    const n1 = ni >> @splat(1);
    const n2 = ni - n1;
    const s1: Vf = @bitCast((n1 + @as(Vi, @splat(127))) << @splat(23));
    const s2: Vf = @bitCast((n2 + @as(Vi, @splat(127))) << @splat(23));
    const res = p * s1 * s2;
    const overflow = x > hi;
    const out = @select(f32, overflow, @as(Vf, @splat(std.math.inf(f32))), res);
    return @select(f32, x != x, x, out); // NaN in, NaN out (min/max would drop it)
}

/// Scalar e^x with exactly the same arithmetic as `expV` (for tails).
pub inline fn expS(x: f32) f32 {
    return expV(1, .{x})[0];
}

// ---- parallel over rows ---------------------------------------------------------

/// Tasks for `rows` independent rows of `cols` elements: about 16K elements per task (tens of
/// µs), at most one task per row, at most 1024 tasks; 1 for tiny problems (runs inline).
pub fn rowTasks(rows: usize, cols: usize) usize {
    const by_work = (rows * cols) / 16384;
    return @max(1, @min(@min(rows, 1024), by_work));
}

/// Calls `rowFn(ctx, row)` for every row in 0..rows, in parallel over contiguous row ranges.
pub fn parallelRows(rows: usize, cols: usize, ctx: anytype, comptime rowFn: fn (@TypeOf(ctx), usize) void) void {
    const Ctx = @TypeOf(ctx);
    const Task = struct { ctx: Ctx, rows: usize, tasks: usize };
    const tasks = rowTasks(rows, cols);
    pool.parallelFor(tasks, Task{ .ctx = ctx, .rows = rows, .tasks = tasks }, struct {
        fn run(t: Task, i: usize) void {
            const r = pool.splitRange(t.rows, t.tasks, i);
            for (r.begin..r.end) |row| rowFn(t.ctx, row);
        }
    }.run);
}

// ---- row kernels ------------------------------------------------------------------

pub inline fn load(p: []const f32, i: usize) F {
    return p[i..][0..V].*;
}

pub inline fn store(p: []f32, i: usize, v: F) void {
    p[i..][0..V].* = v;
}

pub fn rowMax(x: []const f32) f32 {
    var mv: F = @splat(-std.math.inf(f32));
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) mv = @max(mv, load(x, i));
    var m = @reduce(.Max, mv);
    while (i < x.len) : (i += 1) m = @max(m, x[i]);
    return m;
}

/// Σ_j a_j·b_j with V-lane accumulators.
pub fn rowDot(a: []const f32, b: []const f32) f32 {
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= a.len) : (i += V) acc = @mulAdd(F, load(a, i), load(b, i), acc);
    var s = @reduce(.Add, acc);
    while (i < a.len) : (i += 1) s += a[i] * b[i];
    return s;
}

pub fn rowSum(a: []const f32) f32 {
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= a.len) : (i += V) acc += load(a, i);
    var s = @reduce(.Add, acc);
    while (i < a.len) : (i += 1) s += a[i];
    return s;
}

/// y = exp(x − m) (when `y` is non-null) and returns Σ exp(x − m).
fn rowExpSum(x: []const f32, m: f32, y: ?[]f32) f32 {
    const mv: F = @splat(m);
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) {
        const e = expV(V, load(x, i) - mv);
        if (y) |out| store(out, i, e);
        acc += e;
    }
    var s = @reduce(.Add, acc);
    while (i < x.len) : (i += 1) {
        const e = expS(x[i] - m);
        if (y) |out| out[i] = e;
        s += e;
    }
    return s;
}

fn scaleRow(y: []f32, c: f32) void {
    const cv: F = @splat(c);
    var i: usize = 0;
    while (i + V <= y.len) : (i += V) store(y, i, load(y, i) * cv);
    while (i < y.len) : (i += 1) y[i] *= c;
}

const Fwd = struct { x: [*]const f32, y: [*]f32, cols: usize };
const Bwd = struct { y: [*]const f32, dy: [*]const f32, dx: [*]f32, cols: usize };

fn softmaxRow(a: Fwd, row: usize) void {
    const x = a.x[row * a.cols ..][0..a.cols];
    const y = a.y[row * a.cols ..][0..a.cols];
    const s = rowExpSum(x, rowMax(x), y);
    scaleRow(y, 1.0 / s);
}

fn logSoftmaxRow(a: Fwd, row: usize) void {
    const x = a.x[row * a.cols ..][0..a.cols];
    const y = a.y[row * a.cols ..][0..a.cols];
    const m = rowMax(x);
    const s = rowExpSum(x, m, null);
    // (x − m) − log s rather than x − (m + log s): exact first step, no rounding of m + log s.
    const log_s: f32 = @floatCast(@log(@as(f64, s)));
    const mv: F = @splat(m);
    const lv: F = @splat(log_s);
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) store(y, i, (load(x, i) - mv) - lv);
    while (i < x.len) : (i += 1) y[i] = (x[i] - m) - log_s;
}

fn softmaxBackwardRow(a: Bwd, row: usize) void {
    const y = a.y[row * a.cols ..][0..a.cols];
    const dy = a.dy[row * a.cols ..][0..a.cols];
    const dx = a.dx[row * a.cols ..][0..a.cols];
    const s = rowDot(dy, y);
    const sv: F = @splat(s);
    var i: usize = 0;
    while (i + V <= y.len) : (i += V) store(dx, i, load(y, i) * (load(dy, i) - sv));
    while (i < y.len) : (i += 1) dx[i] = y[i] * (dy[i] - s);
}

fn logSoftmaxBackwardRow(a: Bwd, row: usize) void {
    const y = a.y[row * a.cols ..][0..a.cols];
    const dy = a.dy[row * a.cols ..][0..a.cols];
    const dx = a.dx[row * a.cols ..][0..a.cols];
    const s = rowSum(dy);
    const sv: F = @splat(s);
    var i: usize = 0;
    while (i + V <= y.len) : (i += V) store(dx, i, load(dy, i) - expV(V, load(y, i)) * sv);
    while (i < y.len) : (i += 1) dx[i] = dy[i] - expS(y[i]) * s;
}

// ---- C ABI --------------------------------------------------------------------------

export fn pb_softmax_forward(x: [*]const f32, y: [*]f32, rows: usize, cols: usize) void {
    parallelRows(rows, cols, Fwd{ .x = x, .y = y, .cols = cols }, softmaxRow);
}

export fn pb_softmax_backward(y: [*]const f32, dy: [*]const f32, dx: [*]f32, rows: usize, cols: usize) void {
    parallelRows(rows, cols, Bwd{ .y = y, .dy = dy, .dx = dx, .cols = cols }, softmaxBackwardRow);
}

export fn pb_softmax_log_forward(x: [*]const f32, y: [*]f32, rows: usize, cols: usize) void {
    parallelRows(rows, cols, Fwd{ .x = x, .y = y, .cols = cols }, logSoftmaxRow);
}

export fn pb_softmax_log_backward(y: [*]const f32, dy: [*]const f32, dx: [*]f32, rows: usize, cols: usize) void {
    parallelRows(rows, cols, Bwd{ .y = y, .dy = dy, .dx = dx, .cols = cols }, logSoftmaxBackwardRow);
}

// ---- tests ----------------------------------------------------------------------------

fn ulpDistance(a: f32, b: f32) u32 {
    if (a == b) return 0;
    const ia: i64 = @as(i32, @bitCast(a));
    const ib: i64 = @as(i32, @bitCast(b));
    // Map the sign-magnitude bit patterns onto a monotonic integer line.
    const ma = if (ia < 0) -(ia & 0x7fffffff) else ia;
    const mb = if (ib < 0) -(ib & 0x7fffffff) else ib;
    return @intCast(@abs(ma - mb));
}

test "expV is within 2 ulp of float64 exp over the whole float32 range" {
    var worst: u32 = 0;
    var worst_x: f32 = 0;
    var x: f32 = -104.5;
    var buf: [V]f32 = undefined;
    var k: usize = 0;
    while (x < 89.0) : (x += 0.000731) {
        buf[k] = x;
        k += 1;
        if (k < V) continue;
        k = 0;
        const e: [V]f32 = expV(V, buf);
        for (buf, e) |xi, ei| {
            const want: f32 = @floatCast(@exp(@as(f64, xi)));
            const d = ulpDistance(ei, want);
            if (d > worst) {
                worst = d;
                worst_x = xi;
            }
        }
    }
    // Measured: worst 1 ulp (at x ≈ −95.36, a subnormal result). Printed only on failure.
    if (worst > 2) std.debug.print("expV: worst {d} ulp (at x = {d}) vs float64 exp\n", .{ worst, worst_x });
    try std.testing.expect(worst <= 2);
    try std.testing.expectEqual(@as(f32, 1.0), expS(0.0));
    try std.testing.expectEqual(@as(f32, 0.0), expS(-std.math.inf(f32)));
    try std.testing.expect(std.math.isPositiveInf(expS(std.math.inf(f32))));
    try std.testing.expect(std.math.isPositiveInf(expS(89.0)));
    try std.testing.expect(std.math.isNan(expS(std.math.nan(f32))));
}

/// Plain scalar reference (float64 accumulation).
fn softmaxRef(x: []const f32, y: []f32, rows: usize, cols: usize, log: bool) void {
    for (0..rows) |r| {
        const xr = x[r * cols ..][0..cols];
        var m: f64 = -std.math.inf(f64);
        for (xr) |v| m = @max(m, v);
        var s: f64 = 0;
        for (xr) |v| s += @exp(@as(f64, v) - m);
        for (xr, y[r * cols ..][0..cols]) |v, *o| {
            o.* = @floatCast(if (log) @as(f64, v) - m - @log(s) else @exp(@as(f64, v) - m) / s);
        }
    }
}

test "softmax and log-softmax match the scalar reference for every size" {
    var prng = std.Random.DefaultPrng.init(1);
    const rand = prng.random();
    var xbuf: [3 * 129]f32 = undefined;
    var y: [3 * 129]f32 = undefined;
    var want: [3 * 129]f32 = undefined;
    for ([_]usize{ 1, 3, 7, 17, 63, 64, 65, 127, 128, 129 }) |cols| {
        const n = 3 * cols;
        for (xbuf[0..n]) |*v| v.* = (rand.float(f32) - 0.5) * 20;
        for ([_]bool{ false, true }) |log| {
            if (log) pb_softmax_log_forward(&xbuf, &y, 3, cols) else pb_softmax_forward(&xbuf, &y, 3, cols);
            softmaxRef(xbuf[0..n], want[0..n], 3, cols, log);
            for (y[0..n], want[0..n]) |a, b| try std.testing.expectApproxEqAbs(b, a, 1e-5 * @max(1, @abs(b)));
        }
    }
}
