//! Elementwise kernels: broadcast binary ops (add, sub, mul, div), unary maps (exp, log, sqrt,
//! square, tanh, gelu) and their backward kernels, tensor-scalar ops and in-place accumulation.
//!
//! Broadcasting: TypeScript computes the NumPy broadcast output shape and, for each operand, its
//! element strides over that shape (0 on a broadcast axis), collapses mergeable axes and passes
//! ndim ≤ 8 with `shape`, `sa`, `sb` as small usize arrays. The output is contiguous. Every kernel
//! walks the output in rows (the last axis): a row is one call of an inner loop specialised on the
//! operands' last-axis strides — (1, 1) same-shape, (1, 0) b broadcasts (scalar, column), (0, 1)
//! a broadcasts, or general strided — so the row-vector (bias) case is a contiguous SIMD loop per row
//! and the scalar case one SIMD loop over the whole array.
//!
//! Accuracy: exp is simd.exp (within 2 ulp of float64 exp; exp(x > 88.72) = +inf,
//! exp(x < −103.97) = 0, NaN propagates).
//! tanh uses an odd polynomial for |x| < 0.625 and 1 − 2/(e^{2|x|} + 1) above (→ ±1, never NaN).
//! gelu (GPT-2 tanh approximation) is evaluated as x·σ(2u) = x / (1 + e^{−2u}), u = √(2/π)(x + 0.044715x³),
//! algebraically equal to 0.5·x·(1 + tanh u) but free of the cancellation of 1 + tanh u for x ≪ 0.
//! log goes through libm per lane (accurate; not on the model's hot path).
const std = @import("std");
const pool = @import("pool.zig");

const simd = @import("simd.zig");

const V = simd.V;
const Vf = simd.F;
const splat = simd.splat;
const load = simd.load;
const store = simd.store;
const loadPartial = simd.loadPartial;
const storePartial = simd.storePartial;
const expV = simd.exp;
pub const max_dims = 8;

// ---- parallel chunking ---------------------------------------------------------------------

/// Below this many elements a memory-bound loop runs serially (a parallel call costs more).
pub const parallel_threshold: usize = 1 << 16;
const min_chunk: usize = 1 << 15;

/// Runs `func(ctx, begin, end)` over 0..n in chunks (multiples of V), in parallel when n is large.
pub fn parallelRanges(n: usize, ctx: anytype, comptime func: fn (@TypeOf(ctx), usize, usize) void) void {
    parallelUnits(n, 1, ctx, func);
}

/// parallelRanges over n units of `unit` elements each (thresholds and chunks count elements).
pub fn parallelUnits(n: usize, unit: usize, ctx: anytype, comptime func: fn (@TypeOf(ctx), usize, usize) void) void {
    if (n * unit < parallel_threshold) {
        func(ctx, 0, n);
        return;
    }
    const threads = pool.threadCount();
    var chunk = @max(min_chunk / unit, n / (4 * threads), 1);
    chunk = (chunk + V - 1) / V * V;
    const Task = struct { ctx: @TypeOf(ctx), n: usize, chunk: usize };
    pool.parallelFor((n + chunk - 1) / chunk, Task{ .ctx = ctx, .n = n, .chunk = chunk }, struct {
        fn run(t: Task, i: usize) void {
            const begin = i * t.chunk;
            func(t.ctx, begin, @min(t.n, begin + t.chunk));
        }
    }.run);
}

// ---- vector math -----------------------------------------------------------------------------

/// tanh x, vectorized (see the file comment).
pub fn tanhV(x: Vf) Vf {
    const ax = @abs(x);
    const z = x * x;
    var p = splat(-5.70498872745e-3);
    p = @mulAdd(Vf, p, z, splat(2.06390887954e-2));
    p = @mulAdd(Vf, p, z, splat(-5.37397155531e-2));
    p = @mulAdd(Vf, p, z, splat(1.33314422036e-1));
    p = @mulAdd(Vf, p, z, splat(-3.33332819422e-1));
    const small = @mulAdd(Vf, p * z, x, x);
    const e = expV(splat(2.0) * ax); // +inf for |x| > 44: 2/inf = 0, tanh = ±1
    const big_abs = splat(1.0) - splat(2.0) / (e + splat(1.0));
    const big = @select(f32, x < splat(0.0), -big_abs, big_abs);
    return @select(f32, ax < splat(0.625), small, big);
}

const gelu_c: f32 = 0.7978845608028654; // √(2/π)
const gelu_k: f32 = 0.044715;

/// GPT-2 gelu: 0.5·x·(1 + tanh u) = x / (1 + e^{−2u}), u = √(2/π)(x + 0.044715x³).
pub fn geluV(x: Vf) Vf {
    const u = splat(gelu_c) * @mulAdd(Vf, splat(gelu_k) * x * x, x, x);
    return x / (splat(1.0) + expV(splat(-2.0) * u));
}

/// d gelu/dx = s + 2·x·s·(1 − s)·u′ with s = σ(2u), 1 − s = e·s (e = e^{−2u}),
/// u′ = √(2/π)(1 + 3·0.044715x²). 2u is clamped to ±80 so e stays finite (the clamped terms are < 1e-34).
pub fn geluGradV(x: Vf) Vf {
    const x2 = x * x;
    const u = splat(gelu_c) * @mulAdd(Vf, splat(gelu_k) * x2, x, x);
    const e = expV(@min(@max(splat(-2.0) * u, splat(-80.0)), splat(80.0)));
    const s = splat(1.0) / (splat(1.0) + e);
    const du = splat(gelu_c) * @mulAdd(Vf, splat(3.0 * gelu_k), x2, splat(1.0));
    return @mulAdd(Vf, splat(2.0) * x * e * s * s, du, s);
}

/// d² gelu/dx² = s(1 − s)·(4u′ + 2x·u″ − 4x·u′²·(2s − 1)), with s, e, u′ as in geluGradV
/// (s(1 − s) = e·s²) and u″ = 6·√(2/π)·0.044715·x: what second derivatives of the MLP need.
pub fn geluSecondV(x: Vf) Vf {
    const x2 = x * x;
    const u = splat(gelu_c) * @mulAdd(Vf, splat(gelu_k) * x2, x, x);
    const e = expV(@min(@max(splat(-2.0) * u, splat(-80.0)), splat(80.0)));
    const s = splat(1.0) / (splat(1.0) + e);
    const du = splat(gelu_c) * @mulAdd(Vf, splat(3.0 * gelu_k), x2, splat(1.0));
    const d2u = splat(6.0 * gelu_c * gelu_k) * x;
    const bracket = splat(4.0) * du + splat(2.0) * x * d2u - splat(4.0) * x * du * du * (splat(2.0) * s - splat(1.0));
    return e * s * s * bracket;
}

// ---- unary maps ------------------------------------------------------------------------------

const UnaryFn = fn (Vf) Vf;
const BinaryFn = fn (Vf, Vf) Vf;

fn expOp(x: Vf) Vf {
    return expV(x);
}
fn logOp(x: Vf) Vf {
    return @log(x);
}
fn sqrtOp(x: Vf) Vf {
    return @sqrt(x);
}
fn squareOp(x: Vf) Vf {
    return x * x;
}
fn tanhOp(x: Vf) Vf {
    return tanhV(x);
}
fn geluOp(x: Vf) Vf {
    return geluV(x);
}

// Backward kernels: (saved input or output, dy) → dx.
fn expBack(y: Vf, dy: Vf) Vf {
    return dy * y;
}
fn logBack(x: Vf, dy: Vf) Vf {
    return dy / x;
}
fn sqrtBack(y: Vf, dy: Vf) Vf {
    return splat(0.5) * dy / y;
}
fn squareBack(x: Vf, dy: Vf) Vf {
    return splat(2.0) * x * dy;
}
fn tanhBack(y: Vf, dy: Vf) Vf {
    return dy * (splat(1.0) - y * y);
}
fn geluBack(x: Vf, dy: Vf) Vf {
    return dy * geluGradV(x);
}
fn geluSecondBack(x: Vf, dy: Vf) Vf {
    return dy * geluSecondV(x);
}

fn addOp(a: Vf, b: Vf) Vf {
    return a + b;
}
fn subOp(a: Vf, b: Vf) Vf {
    return a - b;
}
fn mulOp(a: Vf, b: Vf) Vf {
    return a * b;
}
fn divOp(a: Vf, b: Vf) Vf {
    return a / b;
}

/// out[i] = f(x[i]) for i in begin..end (the tail through a padded vector, so every element
/// goes through the same vector code).
fn unaryRange(comptime f: UnaryFn, x: [*]const f32, out: [*]f32, begin: usize, end: usize) void {
    var i = begin;
    while (i + V <= end) : (i += V) store(out + i, f(load(x + i)));
    if (i < end) storePartial(out + i, end - i, f(loadPartial(x + i, end - i, 1.0)));
}

fn unary(comptime f: UnaryFn, x: [*]const f32, out: [*]f32, n: usize) void {
    const Ctx = struct { x: [*]const f32, out: [*]f32 };
    parallelRanges(n, Ctx{ .x = x, .out = out }, struct {
        fn run(c: Ctx, begin: usize, end: usize) void {
            unaryRange(f, c.x, c.out, begin, end);
        }
    }.run);
}

/// out[i] = f(a[i], b[i]) over flat same-length arrays.
fn zipRange(comptime f: BinaryFn, a: [*]const f32, b: [*]const f32, out: [*]f32, begin: usize, end: usize) void {
    var i = begin;
    while (i + V <= end) : (i += V) store(out + i, f(load(a + i), load(b + i)));
    if (i < end) storePartial(out + i, end - i, f(loadPartial(a + i, end - i, 1.0), loadPartial(b + i, end - i, 1.0)));
}

fn zip(comptime f: BinaryFn, a: [*]const f32, b: [*]const f32, out: [*]f32, n: usize) void {
    const Ctx = struct { a: [*]const f32, b: [*]const f32, out: [*]f32 };
    parallelRanges(n, Ctx{ .a = a, .b = b, .out = out }, struct {
        fn run(c: Ctx, begin: usize, end: usize) void {
            zipRange(f, c.a, c.b, c.out, begin, end);
        }
    }.run);
}

/// out[i] = f(x[i], s).
fn withScalar(comptime f: BinaryFn, x: [*]const f32, s: f32, out: [*]f32, n: usize) void {
    const Ctx = struct { x: [*]const f32, s: f32, out: [*]f32 };
    parallelRanges(n, Ctx{ .x = x, .s = s, .out = out }, struct {
        fn run(c: Ctx, begin: usize, end: usize) void {
            const sv = splat(c.s);
            var i = begin;
            while (i + V <= end) : (i += V) store(c.out + i, f(load(c.x + i), sv));
            if (i < end) storePartial(c.out + i, end - i, f(loadPartial(c.x + i, end - i, 1.0), sv));
        }
    }.run);
}

// ---- strided walking (shared with permute.zig) -----------------------------------------------

/// An N-d iteration space (the contiguous output's shape) and K operands' element strides over it.
pub fn Layout(comptime K: usize) type {
    return struct {
        ndim: usize,
        shape: [max_dims]usize,
        strides: [K][max_dims]usize,

        const Self = @This();

        pub fn init(ndim: usize, shape: [*]const usize, strides: [K][*]const usize) Self {
            std.debug.assert(ndim >= 1 and ndim <= max_dims);
            var l = Self{ .ndim = ndim, .shape = @splat(1), .strides = @splat(@splat(0)) };
            for (0..ndim) |d| {
                std.debug.assert(shape[d] > 0);
                l.shape[d] = shape[d];
                for (0..K) |k| l.strides[k][d] = strides[k][d];
            }
            return l;
        }

        pub fn size(l: Self) usize {
            var n: usize = 1;
            for (l.shape[0..l.ndim]) |d| n *= d;
            return n;
        }

        /// Calls `seg(ctx, offs, pos, len)` for each piece of the output range [begin, end) that lies
        /// in one row (last axis): output elements pos..pos+len, operand k starting at offs[k] with
        /// stride strides[k][last].
        pub fn walk(l: *const Self, begin: usize, end: usize, ctx: anytype, comptime seg: fn (@TypeOf(ctx), [K]usize, usize, usize) void) void {
            if (begin >= end) return;
            const last = l.ndim - 1;
            var idx: [max_dims]usize = undefined;
            var off: [K]usize = @splat(0);
            var rem = begin;
            var d = l.ndim;
            while (d > 0) {
                d -= 1;
                idx[d] = rem % l.shape[d];
                rem /= l.shape[d];
                for (0..K) |k| off[k] += idx[d] * l.strides[k][d];
            }
            var pos = begin;
            while (true) {
                const len = @min(l.shape[last] - idx[last], end - pos);
                seg(ctx, off, pos, len);
                pos += len;
                if (pos >= end) return;
                // The row is finished: rewind the last axis and step the axes before it.
                for (0..K) |k| off[k] -= idx[last] * l.strides[k][last];
                idx[last] = 0;
                var e = last;
                while (true) {
                    e -= 1;
                    idx[e] += 1;
                    for (0..K) |k| off[k] += l.strides[k][e];
                    if (idx[e] < l.shape[e]) break;
                    for (0..K) |k| off[k] -= idx[e] * l.strides[k][e];
                    idx[e] = 0;
                }
            }
        }
    };
}

/// One row of a broadcast binary op, specialised on the last-axis strides.
fn binaryRow(comptime f: BinaryFn, a: [*]const f32, sa: usize, b: [*]const f32, sb: usize, out: [*]f32, len: usize) void {
    if (sa == 1 and sb == 1) {
        zipRange(f, a, b, out, 0, len);
    } else if (sa == 1 and sb == 0) {
        const bv = splat(b[0]);
        var i: usize = 0;
        while (i + V <= len) : (i += V) store(out + i, f(load(a + i), bv));
        if (i < len) storePartial(out + i, len - i, f(loadPartial(a + i, len - i, 1.0), bv));
    } else if (sa == 0 and sb == 1) {
        const av = splat(a[0]);
        var i: usize = 0;
        while (i + V <= len) : (i += V) store(out + i, f(av, load(b + i)));
        if (i < len) storePartial(out + i, len - i, f(av, loadPartial(b + i, len - i, 1.0)));
    } else {
        for (0..len) |i| out[i] = f(splat(a[i * sa]), splat(b[i * sb]))[0];
    }
}

fn broadcastBinary(comptime f: BinaryFn, a: [*]const f32, b: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, sa: [*]const usize, sb: [*]const usize) void {
    const L = Layout(2);
    const Ctx = struct { l: L, a: [*]const f32, b: [*]const f32, out: [*]f32 };
    const ctx = Ctx{ .l = L.init(ndim, shape, .{ sa, sb }), .a = a, .b = b, .out = out };
    parallelRanges(ctx.l.size(), &ctx, struct {
        fn run(c: *const Ctx, begin: usize, end: usize) void {
            c.l.walk(begin, end, c, struct {
                fn seg(cc: *const Ctx, offs: [2]usize, pos: usize, len: usize) void {
                    const last = cc.l.ndim - 1;
                    binaryRow(f, cc.a + offs[0], cc.l.strides[0][last], cc.b + offs[1], cc.l.strides[1][last], cc.out + pos, len);
                }
            }.seg);
        }
    }.run);
}

// ---- C ABI -----------------------------------------------------------------------------------

export fn pb_elementwise_add(a: [*]const f32, b: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, sa: [*]const usize, sb: [*]const usize) void {
    broadcastBinary(addOp, a, b, out, ndim, shape, sa, sb);
}
export fn pb_elementwise_sub(a: [*]const f32, b: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, sa: [*]const usize, sb: [*]const usize) void {
    broadcastBinary(subOp, a, b, out, ndim, shape, sa, sb);
}
export fn pb_elementwise_mul(a: [*]const f32, b: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, sa: [*]const usize, sb: [*]const usize) void {
    broadcastBinary(mulOp, a, b, out, ndim, shape, sa, sb);
}
export fn pb_elementwise_div(a: [*]const f32, b: [*]const f32, out: [*]f32, ndim: usize, shape: [*]const usize, sa: [*]const usize, sb: [*]const usize) void {
    broadcastBinary(divOp, a, b, out, ndim, shape, sa, sb);
}

export fn pb_elementwise_add_scalar(x: [*]const f32, s: f32, out: [*]f32, n: usize) void {
    withScalar(addOp, x, s, out, n);
}
export fn pb_elementwise_mul_scalar(x: [*]const f32, s: f32, out: [*]f32, n: usize) void {
    withScalar(mulOp, x, s, out, n);
}
export fn pb_elementwise_div_scalar(x: [*]const f32, s: f32, out: [*]f32, n: usize) void {
    withScalar(divOp, x, s, out, n);
}

/// dst += src (gradient accumulation), in place.
export fn pb_elementwise_add_into(dst: [*]f32, src: [*]const f32, n: usize) void {
    zip(addOp, dst, src, dst, n);
}

export fn pb_elementwise_exp(x: [*]const f32, out: [*]f32, n: usize) void {
    unary(expOp, x, out, n);
}
export fn pb_elementwise_log(x: [*]const f32, out: [*]f32, n: usize) void {
    unary(logOp, x, out, n);
}
export fn pb_elementwise_sqrt(x: [*]const f32, out: [*]f32, n: usize) void {
    unary(sqrtOp, x, out, n);
}
export fn pb_elementwise_square(x: [*]const f32, out: [*]f32, n: usize) void {
    unary(squareOp, x, out, n);
}
export fn pb_elementwise_tanh(x: [*]const f32, out: [*]f32, n: usize) void {
    unary(tanhOp, x, out, n);
}
export fn pb_elementwise_gelu(x: [*]const f32, out: [*]f32, n: usize) void {
    unary(geluOp, x, out, n);
}

export fn pb_elementwise_exp_backward(y: [*]const f32, dy: [*]const f32, dx: [*]f32, n: usize) void {
    zip(expBack, y, dy, dx, n);
}
export fn pb_elementwise_log_backward(x: [*]const f32, dy: [*]const f32, dx: [*]f32, n: usize) void {
    zip(logBack, x, dy, dx, n);
}
export fn pb_elementwise_sqrt_backward(y: [*]const f32, dy: [*]const f32, dx: [*]f32, n: usize) void {
    zip(sqrtBack, y, dy, dx, n);
}
export fn pb_elementwise_square_backward(x: [*]const f32, dy: [*]const f32, dx: [*]f32, n: usize) void {
    zip(squareBack, x, dy, dx, n);
}
export fn pb_elementwise_tanh_backward(y: [*]const f32, dy: [*]const f32, dx: [*]f32, n: usize) void {
    zip(tanhBack, y, dy, dx, n);
}
export fn pb_elementwise_gelu_backward(x: [*]const f32, dy: [*]const f32, dx: [*]f32, n: usize) void {
    zip(geluBack, x, dy, dx, n);
}
export fn pb_elementwise_gelu_second_backward(x: [*]const f32, dy: [*]const f32, out: [*]f32, n: usize) void {
    zip(geluSecondBack, x, dy, out, n);
}

// ---- tests: scalar references ------------------------------------------------------------------

fn ulpDiff(a: f32, b: f64) f64 {
    const bf: f32 = @floatCast(b);
    if (a == bf) return 0;
    const spacing = @abs(@as(f64, std.math.nextAfter(f32, bf, std.math.inf(f32))) - @as(f64, bf));
    return @abs(@as(f64, a) - b) / @max(spacing, std.math.floatTrueMin(f32));
}

fn applyScalar(comptime f: UnaryFn, x: f32) f32 {
    return f(splat(x))[0];
}

test "vectorized tanh is within a few ulp of f64 tanh and saturates without NaN" {
    var worst: f64 = 0;
    var x: f32 = -12.0;
    while (x < 12.0) : (x += 0.00173) {
        worst = @max(worst, ulpDiff(applyScalar(tanhOp, x), std.math.tanh(@as(f64, x))));
    }
    try std.testing.expect(worst <= 4.0);
    try std.testing.expectEqual(@as(f32, 1), applyScalar(tanhOp, 100.0));
    try std.testing.expectEqual(@as(f32, -1), applyScalar(tanhOp, -100.0));
    try std.testing.expectEqual(@as(f32, 1), applyScalar(tanhOp, std.math.inf(f32)));
}

test "gelu equals 0.5·x·(1 + tanh u) and its gradient matches finite differences" {
    var x: f32 = -8.0;
    while (x < 8.0) : (x += 0.01) {
        const xd: f64 = x;
        const u = 0.7978845608028654 * (xd + 0.044715 * xd * xd * xd);
        const want = 0.5 * xd * (1.0 + std.math.tanh(u));
        try std.testing.expectApproxEqAbs(want, @as(f64, applyScalar(geluOp, x)), 1e-6 + 1e-6 * @abs(want));
        const h = 1e-3;
        const g = struct {
            fn f(t: f64) f64 {
                return 0.5 * t * (1.0 + std.math.tanh(0.7978845608028654 * (t + 0.044715 * t * t * t)));
            }
        }.f;
        const fd = (g(xd + h) - g(xd - h)) / (2 * h);
        try std.testing.expectApproxEqAbs(fd, @as(f64, geluGradV(splat(x))[0]), 1e-4);
        // gelu'' against central differences of the f64 gradient
        const gp = struct {
            fn f(t: f64) f64 {
                const th = std.math.tanh(0.7978845608028654 * (t + 0.044715 * t * t * t));
                return 0.5 * (1.0 + th) + 0.5 * t * (1.0 - th * th) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * t * t);
            }
        }.f;
        const fd2 = (gp(xd + h) - gp(xd - h)) / (2 * h);
        try std.testing.expectApproxEqAbs(fd2, @as(f64, geluSecondV(splat(x))[0]), 1e-4);
    }
    try std.testing.expectEqual(@as(f32, 0), @abs(applyScalar(geluOp, -1000.0)));
    try std.testing.expect(@abs(geluSecondV(splat(-1000.0))[0]) < 1e-20);
    try std.testing.expect(@abs(geluSecondV(splat(1000.0))[0]) < 1e-20);
    try std.testing.expectEqual(@as(f32, 1000), applyScalar(geluOp, 1000.0));
    try std.testing.expect(@abs(geluGradV(splat(-1000.0))[0]) < 1e-20);
    try std.testing.expectEqual(@as(f32, 1), geluGradV(splat(1000.0))[0]);
}

test "broadcast add matches a naive loop (row, column, both-sides, strided) at odd sizes" {
    const a_buf = [_]f32{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 };
    var out: [64]f32 = undefined;
    // out (3, 7): a (3, 7) contiguous; b (7,) row broadcast.
    pb_elementwise_add(&a_buf, &a_buf, &out, 2, &[_]usize{ 3, 7 }, &[_]usize{ 7, 1 }, &[_]usize{ 0, 1 });
    for (0..3) |i| for (0..7) |j| try std.testing.expectEqual(a_buf[i * 7 + j] + a_buf[j], out[i * 7 + j]);
    // out (3, 7) = a (3, 1) − b (1, 7): both sides broadcast.
    pb_elementwise_sub(&a_buf, &a_buf, &out, 2, &[_]usize{ 3, 7 }, &[_]usize{ 1, 0 }, &[_]usize{ 0, 1 });
    for (0..3) |i| for (0..7) |j| try std.testing.expectEqual(a_buf[i] - a_buf[j], out[i * 7 + j]);
    // out (7, 3) = a (7, 3) · aᵀ viewed through strides (1, 7) (general strided path).
    pb_elementwise_mul(&a_buf, &a_buf, &out, 2, &[_]usize{ 7, 3 }, &[_]usize{ 3, 1 }, &[_]usize{ 1, 7 });
    for (0..7) |i| for (0..3) |j| try std.testing.expectEqual(a_buf[i * 3 + j] * a_buf[j * 7 + i], out[i * 3 + j]);
    // out (2, 3, 3) over three axes with a middle-axis broadcast b (2, 1, 3).
    pb_elementwise_div(&a_buf, &a_buf, &out, 3, &[_]usize{ 2, 3, 3 }, &[_]usize{ 9, 3, 1 }, &[_]usize{ 3, 0, 1 });
    for (0..2) |i| for (0..3) |j| for (0..3) |k| {
        try std.testing.expectEqual(a_buf[i * 9 + j * 3 + k] / a_buf[i * 3 + k], out[i * 9 + j * 3 + k]);
    };
}

test "a parallel broadcast walk over many rows starting mid-row equals the serial walk" {
    const rows = 300;
    const cols = 257;
    const n = rows * cols;
    const a = try std.testing.allocator.alloc(f32, n);
    defer std.testing.allocator.free(a);
    const out = try std.testing.allocator.alloc(f32, n);
    defer std.testing.allocator.free(out);
    var b: [cols]f32 = undefined;
    for (a, 0..) |*v, i| v.* = @floatFromInt(i % 1013);
    for (&b, 0..) |*v, i| v.* = @floatFromInt(i * 3);
    pb_elementwise_add(a.ptr, &b, out.ptr, 2, &[_]usize{ rows, cols }, &[_]usize{ cols, 1 }, &[_]usize{ 0, 1 });
    for (0..rows) |i| for (0..cols) |j| try std.testing.expectEqual(a[i * cols + j] + b[j], out[i * cols + j]);
}
