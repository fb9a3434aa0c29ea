//! Fused softmax + cross-entropy over logits (N, V) with int32 targets (N).
//!
//! Forward, per row:  lse = log Σ_j exp(x_j),  loss = lse − x_target
//!   computed in ONE pass over the row with an online softmax (Milakov & Gimelshein 2018):
//!   every SIMD lane keeps a running max m and a sum s of exp(x − m); when a new vector
//!   raises the max of some lane, that lane's sum is rescaled by exp(m_old − m_new) (rare
//!   after the first few vectors). The lanes are merged at the end:
//!   M = max_l m_l, S = Σ_l s_l·exp(m_l − M), lse = M + log S.
//! Backward:  dx_j = (exp(x_j − lse) − [j = target])·scale,  scale = dloss/N,
//!   recomputed from the logits and the saved lse: probabilities are never stored.
//! Parallel over rows; the logits are read once in each direction (memory-bound at 8192×8000).
const std = @import("std");
const sm = @import("softmax.zig");
const simd = @import("simd.zig");

const V = simd.V;
const F = simd.F;
const load = simd.loadAt;
const store = simd.storeAt;
const expV = simd.exp;

/// log Σ exp(x) = max + log_sum of one row, in one pass (online softmax, see above).
pub const Lse = struct {
    max: f32,
    log_sum: f32,
    pub fn value(self: Lse) f32 {
        return self.max + self.log_sum;
    }
};

pub fn logSumExp(x: []const f32) Lse {
    // Lanes start at the most negative finite value (not −inf) so m_old − m_new is never NaN.
    var m: F = @splat(-std.math.floatMax(f32));
    var s: F = @splat(0);
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) {
        const xv = load(x, i);
        if (@reduce(.Or, xv > m)) {
            const nm = @max(m, xv);
            s *= expV(m - nm);
            m = nm;
        }
        s += expV(xv - m);
    }
    if (i < x.len) {
        // Tail: padded with −inf, whose exp adds exactly 0.
        var tail: F = @splat(-std.math.inf(f32));
        for (x[i..], 0..) |v, j| tail[j] = v;
        const nm = @max(m, tail);
        s = s * expV(m - nm) + expV(tail - nm);
        m = nm;
    }
    const big_m = @reduce(.Max, m);
    const total = @reduce(.Add, s * expV(m - @as(F, @splat(big_m))));
    return .{ .max = big_m, .log_sum = @floatCast(@log(@as(f64, total))) };
}

const Fwd = struct { logits: [*]const f32, targets: [*]const i32, losses: [*]f32, lse: [*]f32, v: usize };

fn forwardRow(a: Fwd, row: usize) void {
    const x = a.logits[row * a.v ..][0..a.v];
    const l = logSumExp(x);
    a.lse[row] = l.value();
    const t: usize = @intCast(a.targets[row]);
    std.debug.assert(t < a.v);
    // (max − x_t) + log Σ: accurate even for large logits (lse itself is rounded to float32).
    a.losses[row] = (l.max - x[t]) + l.log_sum;
}

const Bwd = struct { logits: [*]const f32, targets: [*]const i32, lse: [*]const f32, dlogits: [*]f32, v: usize, scale: f32 };

fn backwardRow(a: Bwd, row: usize) void {
    const x = a.logits[row * a.v ..][0..a.v];
    const dx = a.dlogits[row * a.v ..][0..a.v];
    const l = a.lse[row];
    const lv: F = @splat(l);
    const sv: F = @splat(a.scale);
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) store(dx, i, expV(load(x, i) - lv) * sv);
    while (i < x.len) : (i += 1) dx[i] = simd.expS(x[i] - l) * a.scale;
    const t: usize = @intCast(a.targets[row]);
    std.debug.assert(t < a.v);
    dx[t] -= a.scale;
}

// ---- C ABI --------------------------------------------------------------------------

/// losses[i] = lse[i] − logits[i, targets[i]]; lse[i] = log Σ_j exp(logits[i, j]).
export fn pb_cross_entropy_forward(logits: [*]const f32, targets: [*]const i32, losses: [*]f32, lse: [*]f32, n: usize, v: usize) void {
    sm.parallelRows(n, v, Fwd{ .logits = logits, .targets = targets, .losses = losses, .lse = lse, .v = v }, forwardRow);
}

/// dlogits = (softmax(logits) − onehot(targets))·scale, with softmax = exp(logits − lse).
export fn pb_cross_entropy_backward(logits: [*]const f32, targets: [*]const i32, lse: [*]const f32, dlogits: [*]f32, n: usize, v: usize, scale: f32) void {
    sm.parallelRows(n, v, Bwd{ .logits = logits, .targets = targets, .lse = lse, .dlogits = dlogits, .v = v, .scale = scale }, backwardRow);
}

// ---- tests ----------------------------------------------------------------------------

test "one-pass logsumexp matches a two-pass float64 reference" {
    var prng = std.Random.DefaultPrng.init(3);
    const rand = prng.random();
    var x: [1000]f32 = undefined;
    for ([_]usize{ 1, 3, 7, 17, 63, 64, 65, 127, 128, 129, 1000 }) |n| {
        for ([_]f32{ 1, 30 }) |spread| {
            // Increasing trend forces many rescalings of the running sums.
            for (x[0..n], 0..) |*v, j| v.* = (rand.float(f32) - 0.5) * spread + @as(f32, @floatFromInt(j)) * 0.05;
            var m: f64 = -std.math.inf(f64);
            for (x[0..n]) |v| m = @max(m, v);
            var s: f64 = 0;
            for (x[0..n]) |v| s += @exp(@as(f64, v) - m);
            const want = m + @log(s);
            try std.testing.expectApproxEqAbs(want, logSumExp(x[0..n]).value(), 1e-5 * @max(1, @abs(want)));
        }
    }
    const ninf = -std.math.inf(f32);
    try std.testing.expectApproxEqAbs(@as(f32, 2.0), logSumExp(&.{ ninf, 2.0, ninf }).value(), 1e-6);
}

test "cross-entropy backward rows sum to zero and hit -scale·(1 - p) at the target" {
    var x = [_]f32{ 0.5, -1, 2, 0.25, 3, -2, 1 } ** 3;
    const t = [_]i32{ 2, 0, 6 };
    var losses: [3]f32 = undefined;
    var lse: [3]f32 = undefined;
    var dx: [21]f32 = undefined;
    pb_cross_entropy_forward(&x, &t, &losses, &lse, 3, 7);
    pb_cross_entropy_backward(&x, &t, &lse, &dx, 3, 7, 0.5);
    for (0..3) |r| {
        var s: f32 = 0;
        for (dx[r * 7 ..][0..7]) |d| s += d;
        try std.testing.expectApproxEqAbs(@as(f32, 0), s, 1e-6);
        const p = @exp(x[r * 7 + @as(usize, @intCast(t[r]))] - lse[r]);
        try std.testing.expectApproxEqAbs(0.5 * (p - 1), dx[r * 7 + @as(usize, @intCast(t[r]))], 1e-6);
        try std.testing.expectApproxEqAbs(-@log(p), losses[r], 1e-5);
    }
}
