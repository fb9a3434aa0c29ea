//! The SIMD helpers every kernel shares: the lane width, loads and stores with scalar tails,
//! horizontal reductions, the vectorized exp and the vectorized Philox4x32-10.
//!
//! Lane width: 16 f32 lanes with AVX-512. LLVM's `suggestVectorLength` answers 8 on CPUs that
//! prefer 256-bit vectors (its prefer-256-bit flag, set for Skylake-X and later, is about
//! auto-vectorized code); explicit 16-lane vectors still compile to zmm registers and are faster
//! for these memory-bound loops. Elsewhere the target's suggestion (8 if it has none).
const std = @import("std");
const builtin = @import("builtin");
const philox = @import("philox.zig");

const avx512 = builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);

/// f32 lanes per vector.
pub const V: usize = if (avx512) 16 else std.simd.suggestVectorLength(f32) orelse 8;
pub const F = @Vector(V, f32);
pub const I = @Vector(V, i32);
pub const U = @Vector(V, u32);

pub inline fn splat(x: f32) F {
    return @splat(x);
}

// ---- loads and stores ------------------------------------------------------------------------

/// The V floats at p.
pub inline fn load(p: [*]const f32) F {
    return p[0..V].*;
}
pub inline fn store(p: [*]f32, v: F) void {
    p[0..V].* = v;
}
/// The V floats s[i .. i + V] (bounds-checked in safe builds).
pub inline fn loadAt(s: []const f32, i: usize) F {
    return s[i..][0..V].*;
}
pub inline fn storeAt(s: []f32, i: usize, v: F) void {
    s[i..][0..V].* = v;
}
/// The first `len` (< V) elements of p, the other lanes `pad` (a scalar tail through vector code).
pub inline fn loadPartial(p: [*]const f32, len: usize, pad: f32) F {
    var buf: [V]f32 = @splat(pad);
    @memcpy(buf[0..len], p[0..len]);
    return buf;
}
/// Stores the first `len` (< V) lanes of v at p.
pub inline fn storePartial(p: [*]f32, len: usize, v: F) void {
    const buf: [V]f32 = v;
    @memcpy(p[0..len], buf[0..len]);
}

// ---- horizontal reductions -------------------------------------------------------------------

/// Σ_i x_i with V-lane accumulators, scalar tail.
pub fn sum(x: []const f32) f32 {
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) acc += loadAt(x, i);
    var s = @reduce(.Add, acc);
    while (i < x.len) : (i += 1) s += x[i];
    return s;
}

/// max_i x_i (−inf for an empty slice).
pub fn max(x: []const f32) f32 {
    var mv: F = @splat(-std.math.inf(f32));
    var i: usize = 0;
    while (i + V <= x.len) : (i += V) mv = @max(mv, loadAt(x, i));
    var m = @reduce(.Max, mv);
    while (i < x.len) : (i += 1) m = @max(m, x[i]);
    return m;
}

/// Σ_i a_i·b_i with V-lane fused multiply-add accumulators.
pub fn dot(a: []const f32, b: []const f32) f32 {
    std.debug.assert(a.len == b.len);
    var acc: F = @splat(0);
    var i: usize = 0;
    while (i + V <= a.len) : (i += V) acc = @mulAdd(F, loadAt(a, i), loadAt(b, i), acc);
    var s = @reduce(.Add, acc);
    while (i < a.len) : (i += 1) s += a[i] * b[i];
    return s;
}

// ---- vectorized exp --------------------------------------------------------------------------

/// e^x elementwise, within 1–2 ulp of the correctly rounded float32 result (checked against
/// float64 in the tests below), including the subnormal range; exp(x > 88.72) = +inf,
/// exp(x < −103.97) = 0, exp(−inf) = 0, NaN propagates.
///
/// Range reduction: x = n·ln2 + r with n = round(x / ln2), |r| ≤ ln2/2, where n·ln2 is
/// subtracted in two parts (Cody–Waite: ln2 = C1 + C2, C1 exact in 9 bits so n·C1 is exact).
/// e^r is a degree-7 minimax polynomial (Cephes expf: 1 + r + r²·P(r)), then scaled by 2^n,
/// built from the exponent bits. 2^n is applied as 2^(n/2)·2^(n − n/2) so results that are
/// subnormal (x < −87.3) or near the overflow limit round only once.
pub inline fn expN(comptime N: usize, x: @Vector(N, f32)) @Vector(N, f32) {
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

/// e^x on V lanes.
pub inline fn exp(x: F) F {
    return expN(V, x);
}

/// Scalar e^x with exactly the same arithmetic as `exp` (for tails).
pub inline fn expS(x: f32) f32 {
    return expN(1, .{x})[0];
}

// ---- vectorized Philox4x32-10 ----------------------------------------------------------------

const U64 = @Vector(V, u64);

/// hi and lo 32 bits of m·a for every lane: 32×32→64 products on the even lanes and on the odd
/// lanes (shifted down), then the halves recombined — no widening to 64-bit lanes.
inline fn mulHiLo(a: U, comptime m: u32) struct { hi: U, lo: U } {
    const W = @Vector(V / 2, u64);
    const low32: W = @splat(0xFFFF_FFFF);
    const a64: W = @bitCast(a);
    const mm: W = @splat(m);
    const even = (a64 & low32) * mm; // products of lanes 0, 2, 4, …
    const odd = (a64 >> @splat(32)) * mm; // products of lanes 1, 3, 5, …
    return .{
        .hi = @bitCast((even >> @splat(32)) | (odd & ~low32)),
        .lo = @bitCast((even & low32) | (odd << @splat(32))),
    };
}

/// Shuffle mask interleaving a and b: [a[h], b[h], a[h+1], b[h+1], …] with h = 0 (low) or V/2.
fn zipMask(comptime high: bool) @Vector(V, i32) {
    var m: [V]i32 = undefined;
    const base: i32 = if (high) V / 2 else 0;
    for (0..V) |i| {
        const src: i32 = base + @as(i32, @intCast(i / 2));
        m[i] = if (i % 2 == 0) src else ~src; // ~j selects element j of the second vector
    }
    return m;
}

inline fn zip(a: U, b: U, comptime high: bool) U {
    return @shuffle(u32, a, b, zipMask(high));
}

/// The Philox words of blocks blk0 … blk0 + V − 1 of the draw (seed, offset) — elements
/// 4·blk0 … 4·blk0 + 4V − 1 — in element order: result[q][l] is the word of element
/// 4·blk0 + q·V + l, i.e. philox.block(seed, offset, blk0 + (qV + l)/4)[(qV + l) % 4].
/// The same function as philox.zig and packages/tensor/src/reference/philox.ts (tests below).
pub fn philoxWords(seed: u64, offset: u64, blk0: u64) [4]U {
    const blk = @as(U64, @splat(blk0)) +% std.simd.iota(u64, V);
    var c0: U = @truncate(blk);
    var c1: U = @truncate(blk >> @splat(32));
    var c2: U = @splat(@as(u32, @truncate(offset)));
    var c3: U = @splat(@as(u32, @truncate(offset >> 32)));
    var k0: u32 = @truncate(seed);
    var k1: u32 = @truncate(seed >> 32);
    inline for (0..10) |round| {
        if (round > 0) {
            k0 +%= philox.w0;
            k1 +%= philox.w1;
        }
        const p0 = mulHiLo(c0, philox.m0);
        const p1 = mulHiLo(c2, philox.m1);
        c0 = p1.hi ^ c1 ^ @as(U, @splat(k0));
        c1 = p1.lo;
        c2 = p0.hi ^ c3 ^ @as(U, @splat(k1));
        c3 = p0.lo;
    }
    // Lane b holds (c0[b], c1[b], c2[b], c3[b]), the words of elements 4b … 4b + 3: interleave.
    const lo02 = zip(c0, c2, false);
    const hi02 = zip(c0, c2, true);
    const lo13 = zip(c1, c3, false);
    const hi13 = zip(c1, c3, true);
    return .{ zip(lo02, lo13, false), zip(lo02, lo13, true), zip(hi02, hi13, false), zip(hi02, hi13, true) };
}

/// Elements per philoxWords call.
pub const philox_group = 4 * V;

/// out[j] = the Philox word of element start + j of the draw (seed, offset), for any start.
pub fn philoxFill(seed: u64, offset: u64, start: u64, out: []u32) void {
    var j: usize = 0;
    var blk = start / 4;
    var skip: usize = @intCast(start % 4);
    while (j < out.len) {
        const words: [philox_group]u32 = @bitCast(philoxWords(seed, offset, blk));
        const take = @min(philox_group - skip, out.len - j);
        @memcpy(out[j..][0..take], words[skip..][0..take]);
        j += take;
        skip = 0;
        blk += V;
    }
}

/// Dropout keep-mask of a vector of Philox words: uniform = (word >> 8)/2^24 ≥ p, tested in
/// integers as (word >> 8) ≥ threshold with threshold = ⌈p·2^24⌉.
pub inline fn keep(words: U, threshold: u32) @Vector(V, bool) {
    return (words >> @splat(8)) >= @as(U, @splat(threshold));
}

// ---- tests ------------------------------------------------------------------------------------

fn ulpDistance(a: f32, b: f32) u32 {
    if (a == b) return 0;
    const ia: i64 = @as(i32, @bitCast(a));
    const ib: i64 = @as(i32, @bitCast(b));
    // Map the sign-magnitude bit patterns onto a monotonic integer line.
    const ma = if (ia < 0) -(ia & 0x7fffffff) else ia;
    const mb = if (ib < 0) -(ib & 0x7fffffff) else ib;
    return @intCast(@abs(ma - mb));
}

test "exp is within 2 ulp of float64 exp over the whole float32 range, with exact edge cases" {
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
        const e: [V]f32 = exp(buf);
        for (buf, e) |xi, ei| {
            const want: f32 = @floatCast(@exp(@as(f64, xi)));
            const d = ulpDistance(ei, want);
            if (d > worst) {
                worst = d;
                worst_x = xi;
            }
            // The scalar version is the same arithmetic.
            try std.testing.expectEqual(ei, expS(xi));
        }
    }
    // Measured: worst 1 ulp (at x ≈ −95.36, a subnormal result). Printed only on failure.
    if (worst > 2) std.debug.print("exp: worst {d} ulp (at x = {d}) vs float64 exp\n", .{ worst, worst_x });
    try std.testing.expect(worst <= 2);
    try std.testing.expectEqual(@as(f32, 1.0), expS(0.0));
    try std.testing.expectEqual(@as(f32, 0.0), expS(-1000.0));
    try std.testing.expectEqual(@as(f32, 0.0), expS(-std.math.inf(f32)));
    try std.testing.expect(std.math.isPositiveInf(expS(std.math.inf(f32))));
    try std.testing.expect(std.math.isPositiveInf(expS(89.0)));
    try std.testing.expect(std.math.isNan(expS(std.math.nan(f32))));
}

test "sum, max, dot, partial loads and stores agree with scalar loops at every size" {
    var a: [3 * V + 5]f32 = undefined;
    var b: [3 * V + 5]f32 = undefined;
    for (&a, &b, 0..) |*x, *y, i| {
        x.* = @floatFromInt((i * 37) % 23);
        y.* = @as(f32, @floatFromInt(i % 5)) - 2;
    }
    for ([_]usize{ 0, 1, 3, 7, V - 1, V, V + 1, 2 * V + 3, 3 * V + 5 }) |n| {
        var s: f32 = 0;
        var m: f32 = -std.math.inf(f32);
        var d: f32 = 0;
        for (a[0..n], b[0..n]) |x, y| {
            s += x;
            m = @max(m, x);
            d += x * y;
        }
        // Small integers: every order of summation is exact.
        try std.testing.expectEqual(s, sum(a[0..n]));
        try std.testing.expectEqual(m, max(a[0..n]));
        try std.testing.expectEqual(d, dot(a[0..n], b[0..n]));
    }
    for (0..V) |len| {
        const v = loadPartial(&a, len, -7);
        for (0..V) |l| try std.testing.expectEqual(if (l < len) a[l] else -7, v[l]);
        var out: [V]f32 = @splat(99);
        storePartial(&out, len, splat(5));
        for (0..V) |l| try std.testing.expectEqual(@as(f32, if (l < len) 5 else 99), out[l]);
    }
}

test "vectorized Philox words equal philox.block element for element, at any start" {
    for ([_]u64{ 0, 5, 0xffff_fff0, 0xffff_ffff_ffff_fff8 }) |blk0| {
        const w: [philox_group]u32 = @bitCast(philoxWords(12345, 0x1_0000_0007, blk0));
        for (w, 0..) |word, e| {
            const blk = blk0 +% e / 4;
            try std.testing.expectEqual(philox.block(12345, 0x1_0000_0007, blk)[e % 4], word);
        }
    }
    var buf: [3 * philox_group + 7]u32 = undefined;
    for ([_]u64{ 0, 1, 3, 6, 4 * V + 2 }) |start| {
        philoxFill(0xdead_beef_1234, 77, start, &buf);
        for (buf, 0..) |word, j| {
            const e = start + j;
            try std.testing.expectEqual(philox.block(0xdead_beef_1234, 77, e / 4)[@intCast(e % 4)], word);
        }
    }
}

test "Philox uniforms equal the TypeScript reference (reference/philox.ts) on known values" {
    // philoxUniform(seed, offset, i) for i = 0..7 from packages/tensor/src/reference/philox.ts,
    // as the integer word >> 8 (uniform · 2^24).
    const w: [philox_group]u32 = @bitCast(philoxWords(42, 3, 0));
    const want = [_]u32{ 676262, 7476362, 12130502, 10035291, 8759519, 1937841, 11120944, 4172358 };
    for (want, 0..) |u, i| try std.testing.expectEqual(u, w[i] >> 8);
}
