//! Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
//! a counter-based RNG. The random bits of element `i` are a pure function of
//! (seed, offset, i), so a backward pass regenerates a dropout mask instead of storing it.
//!
//! Element i of a draw with (seed, offset) takes lane `i % 4` of
//!   philox(counter = {lo(i/4), hi(i/4), lo(offset), hi(offset)}, key = {lo(seed), hi(seed)}).
//! packages/tensor/src/reference/philox.ts implements the same function in TypeScript.
const std = @import("std");

pub const m0: u32 = 0xD2511F53;
pub const m1: u32 = 0xCD9E8D57;
pub const w0: u32 = 0x9E3779B9;
pub const w1: u32 = 0xBB67AE85;

pub fn philox4x32(counter: [4]u32, key: [2]u32) [4]u32 {
    var c = counter;
    var k = key;
    inline for (0..10) |round| {
        if (round > 0) {
            k[0] +%= w0;
            k[1] +%= w1;
        }
        const p0 = @as(u64, m0) * c[0];
        const p1 = @as(u64, m1) * c[2];
        const hi0: u32 = @truncate(p0 >> 32);
        const lo0: u32 = @truncate(p0);
        const hi1: u32 = @truncate(p1 >> 32);
        const lo1: u32 = @truncate(p1);
        c = .{ hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0 };
    }
    return c;
}

/// The four random words of block `block` (elements 4·block … 4·block+3).
pub fn block(seed: u64, offset: u64, blk: u64) [4]u32 {
    return philox4x32(
        .{ @truncate(blk), @truncate(blk >> 32), @truncate(offset), @truncate(offset >> 32) },
        .{ @truncate(seed), @truncate(seed >> 32) },
    );
}

/// Uniform in [0, 1) from the top 24 bits of a word (exact in float32).
pub inline fn toUniform(word: u32) f32 {
    return @as(f32, @floatFromInt(word >> 8)) * (1.0 / 16777216.0);
}

/// Uniform in [0, 1) for element `i` of the draw (seed, offset).
pub fn uniformAt(seed: u64, offset: u64, i: u64) f32 {
    return toUniform(block(seed, offset, i / 4)[@intCast(i % 4)]);
}

/// Fills `out[j] = uniformAt(seed, offset, start + j)`, generating each block once.
pub fn fillUniform(seed: u64, offset: u64, start: u64, out: []f32) void {
    var j: usize = 0;
    while (j < out.len) {
        const i = start + j;
        const words = block(seed, offset, i / 4);
        var lane: usize = @intCast(i % 4);
        while (lane < 4 and j < out.len) : ({
            lane += 1;
            j += 1;
        }) out[j] = toUniform(words[lane]);
    }
}

export fn pb_philox_uniform(out: [*]f32, n: usize, seed: u64, offset: u64, start: u64) void {
    fillUniform(seed, offset, start, out[0..n]);
}

test "Philox4x32-10 known-answer vectors (Random123 kat_vectors)" {
    try std.testing.expectEqual([4]u32{ 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 }, philox4x32(.{ 0, 0, 0, 0 }, .{ 0, 0 }));
    try std.testing.expectEqual(
        [4]u32{ 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
        philox4x32(.{ 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, .{ 0xffffffff, 0xffffffff }),
    );
    try std.testing.expectEqual(
        [4]u32{ 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 },
        philox4x32(.{ 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, .{ 0xa4093822, 0x299f31d0 }),
    );
}

test "fillUniform agrees with uniformAt at any start" {
    var buf: [23]f32 = undefined;
    fillUniform(7, 3, 5, &buf);
    for (buf, 0..) |u, j| try std.testing.expectEqual(uniformAt(7, 3, 5 + j), u);
}
