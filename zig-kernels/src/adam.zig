//! Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) over a flat parameter buffer, in place:
//!
//!   m ← β1·m + (1 − β1)·g
//!   v ← β2·v + (1 − β2)·g²
//!   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)          (t = step, 1-based)
//!   p ← p − lr·(m̂ / (√v̂ + eps) + wd·p)                (decoupled weight decay)
//!
//! Elementwise: SIMD with a scalar tail, parallel over contiguous ranges.
const std = @import("std");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;

const Args = struct {
    p: [*]f32,
    g: [*]const f32,
    m: [*]f32,
    v: [*]f32,
    n: usize,
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    /// 1/(1 − β1^t) and 1/(1 − β2^t).
    c1: f32,
    c2: f32,
    tasks: usize,
};

inline fn step(comptime T: type, a: Args, p: T, g: T, m: *T, v: *T) T {
    const one: T = if (T == f32) 1 else @splat(1);
    const sp = struct {
        inline fn s(x: f32) T {
            return if (T == f32) x else @splat(x);
        }
    }.s;
    m.* = sp(a.b1) * m.* + (one - sp(a.b1)) * g;
    v.* = sp(a.b2) * v.* + (one - sp(a.b2)) * g * g;
    const mhat = m.* * sp(a.c1);
    const vhat = v.* * sp(a.c2);
    return p - sp(a.lr) * (mhat / (@sqrt(vhat) + sp(a.eps)) + sp(a.wd) * p);
}

fn task(a: Args, t: usize) void {
    const r = pool.splitRange(a.n, a.tasks, t);
    var i = r.begin;
    while (i + V <= r.end) : (i += V) {
        var m: F = a.m[i..][0..V].*;
        var v: F = a.v[i..][0..V].*;
        const p: F = a.p[i..][0..V].*;
        const g: F = a.g[i..][0..V].*;
        a.p[i..][0..V].* = step(F, a, p, g, &m, &v);
        a.m[i..][0..V].* = m;
        a.v[i..][0..V].* = v;
    }
    while (i < r.end) : (i += 1) a.p[i] = step(f32, a, a.p[i], a.g[i], &a.m[i], &a.v[i]);
}

// ---- C ABI --------------------------------------------------------------------------

export fn pb_adam_update(params: [*]f32, grads: [*]const f32, m: [*]f32, v: [*]f32, n: usize, lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, t: u64) void {
    std.debug.assert(t >= 1);
    const tf: f64 = @floatFromInt(t);
    const c1: f32 = @floatCast(1.0 / (1.0 - std.math.pow(f64, beta1, tf)));
    const c2: f32 = @floatCast(1.0 / (1.0 - std.math.pow(f64, beta2, tf)));
    const tasks = @max(1, @min(256, n / 32768));
    pool.parallelFor(tasks, Args{ .p = params, .g = grads, .m = m, .v = v, .n = n, .lr = lr, .b1 = beta1, .b2 = beta2, .eps = eps, .wd = weight_decay, .c1 = c1, .c2 = c2, .tasks = tasks }, task);
}

// ---- tests ----------------------------------------------------------------------------

test "adam SIMD and scalar paths agree with a float64 loop" {
    var p: [37]f32 = undefined;
    var g: [37]f32 = undefined;
    var m = [_]f32{0} ** 37;
    var v = [_]f32{0} ** 37;
    var rp: [37]f64 = undefined;
    var rm = [_]f64{0} ** 37;
    var rv = [_]f64{0} ** 37;
    for (&p, &rp, 0..) |*x, *r, i| {
        x.* = @as(f32, @floatFromInt(i)) * 0.1 - 1;
        r.* = x.*;
    }
    for (1..4) |t| {
        for (&g, 0..) |*x, i| x.* = @sin(@as(f32, @floatFromInt(i * t)));
        pb_adam_update(&p, &g, &m, &v, 37, 1e-2, 0.9, 0.95, 1e-8, 0.1, t);
        const tf: f64 = @floatFromInt(t);
        for (0..37) |i| {
            rm[i] = 0.9 * rm[i] + 0.1 * @as(f64, g[i]);
            rv[i] = 0.95 * rv[i] + 0.05 * @as(f64, g[i]) * g[i];
            const mh = rm[i] / (1 - std.math.pow(f64, 0.9, tf));
            const vh = rv[i] / (1 - std.math.pow(f64, 0.95, tf));
            rp[i] -= 1e-2 * (mh / (@sqrt(vh) + 1e-8) + 0.1 * rp[i]);
            try std.testing.expectApproxEqAbs(rp[i], p[i], 1e-5);
        }
    }
}
