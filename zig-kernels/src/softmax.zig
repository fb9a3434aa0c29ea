//! Softmax and log-softmax along the last axis of a (rows, cols) buffer, forward and backward.
//!
//!   softmax:      y_j = exp(x_j − m) / Σ_k exp(x_k − m),      m = max_k x_k (for stability)
//!                 dx_j = y_j · (dy_j − Σ_k dy_k·y_k)
//!   log-softmax:  y_j = x_j − m − log Σ_k exp(x_k − m)
//!                 dx_j = dy_j − exp(y_j) · Σ_k dy_k            (exp(y) is the softmax)
//!
//! Rows are independent: parallel over row ranges, SIMD along a row with scalar tails.
//! exp is simd.exp (within 2 ulp of float64 exp).
const std = @import("std");
const pool = @import("pool.zig");

const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;
const load = simd.loadAt;
const store = simd.storeAt;
const expV = simd.exp;
const expS = simd.expS;

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

/// y = exp(x − m) (when `y` is non-null) and returns Σ exp(x − m).
fn rowExpSum(x: []const f32, m: f32, y: ?[]f32) f32 {
    const mv: F = @splat(m);
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) {
        const e = expV(load(x, i) - mv);
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
    const s = rowExpSum(x, simd.max(x), y);
    scaleRow(y, 1.0 / s);
}

fn logSoftmaxRow(a: Fwd, row: usize) void {
    const x = a.x[row * a.cols ..][0..a.cols];
    const y = a.y[row * a.cols ..][0..a.cols];
    const m = simd.max(x);
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
    const s = simd.dot(dy, y);
    const sv: F = @splat(s);
    var i: usize = 0;
    while (i + V <= y.len) : (i += V) store(dx, i, load(y, i) * (load(dy, i) - sv));
    while (i < y.len) : (i += 1) dx[i] = y[i] * (dy[i] - s);
}

fn logSoftmaxBackwardRow(a: Bwd, row: usize) void {
    const y = a.y[row * a.cols ..][0..a.cols];
    const dy = a.dy[row * a.cols ..][0..a.cols];
    const dx = a.dx[row * a.cols ..][0..a.cols];
    const s = simd.sum(dy);
    const sv: F = @splat(s);
    var i: usize = 0;
    while (i + V <= y.len) : (i += V) store(dx, i, load(dy, i) - expV(load(y, i)) * sv);
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
