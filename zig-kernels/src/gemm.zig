//! GEMM: C = alpha·op(A)·op(B) + beta·C, float32, row-major, op ∈ {N, T} per operand,
//! plus batched strided GEMM (bmm).
//!
//! op(A) is m×k: A is stored m×k (lda ≥ k) when not transposed, k×m (lda ≥ m) when transposed.
//! op(B) is k×n: B is stored k×n (ldb ≥ n) when not transposed, n×k (ldb ≥ k) when transposed.
//! C is m×n (ldc ≥ n). beta = 0 never reads C (it may hold NaN garbage).
//!
//! Design (Goto's algorithm as in BLIS/OpenBLAS, adapted to the model's skinny shapes):
//! - Micro-kernel: an MR×NR tile of C (6 rows × 4 vectors of 16 = 64 columns with AVX-512)
//!   lives in 24 vector registers; each k step loads one row of B (4 vectors) and broadcasts
//!   one element of A per row: 24 FMAs (outer-product update). Edge strips of h < MR rows run
//!   an exact h-row instance (comptime), partial panels store whole vectors + a scalar tail.
//! - Blocking: k in blocks of KC, n in blocks of NC, m in blocks of MC. A kc×NR micro-panel
//!   of B stays in L1 while the kernel walks down the mc×kc block of A (L2).
//! - Operands are read IN PLACE whenever their layout already suits the kernel, which for
//!   these shapes is most of the time: a non-transposed B (rows of NR contiguous floats, step
//!   ldb), a transposed A (k-major, MR contiguous floats per k step), a non-transposed A (MR
//!   row pointers). Only a transposed B and partial B panels are packed (zero-padded) into
//!   per-task static buffers; so one micro-kernel serves all four transpose combinations.
//!   When all of op(B)'s packed columns for the whole k range fit the buffer they are packed
//!   once, and each row block of C then runs through every k block while it is hot in cache.
//! - In-place operands come in short pieces per row of a large matrix (too short for the
//!   hardware stream prefetchers), so the kernel prefetches the next A strip / B panel.
//! - A large C written once (beta = 0, a single k block) is written with streaming stores.
//! - Parallelism (pool.parallelFor): C is cut into a grid of ≥ 4 tasks per thread whose shape
//!   minimizes imbalance plus the reads duplicated between tasks. A small C with a long k
//!   (weight gradients Xᵀ·dY: 64×192 with k = 8192) is instead split along k into slices
//!   accumulated in static scratch matrices and summed at the end.
//!   Batched GEMM runs one batch element per task when batch ≥ threads.
//! - No heap: packing buffers come from a static slot table (one slot per running task).
const std = @import("std");
const builtin = @import("builtin");
const pool = @import("pool.zig");
/// For standalone benchmarks that import this file as a module.
pub const setThreads = pool.setThreads;

/// AVX-512 CPUs such as this Cascade Lake carry LLVM's `prefer-256-bit` tuning flag, so
/// `suggestVectorLength` answers 8 there; that flag is about auto-vectorized code and clock
/// throttling, while a GEMM micro-kernel is FMA-bound and runs twice as fast on 512-bit
/// registers (measured: 1.9 zmm FMAs/cycle). So GEMM uses 16 lanes whenever AVX-512F exists.
const avx512 = builtin.cpu.arch.isX86() and builtin.cpu.has(.x86, .avx512f);
const V = if (avx512) 16 else std.simd.suggestVectorLength(f32) orelse 8;
const Vec = @Vector(V, f32);
const vec_align = @alignOf(Vec);
/// Streaming stores of whole vectors need 64-byte alignment: only with 512-bit vectors.
const can_stream = avx512 and V * 4 == 64;
/// C larger than this (bytes) and written once (beta = 0, one k block) is streamed to memory.
const stream_bytes = 16 << 20;

/// Micro-tile: MR rows × NV vectors (NR = NV·V columns), MR·NV accumulators plus NV
/// B vectors in registers (32 vector registers with AVX-512, 16 otherwise).
const MR = 6;
const NV = if (avx512) 4 else 2;
const NR = NV * V;
/// Block sizes: a kc×NR micro-panel of B stays in L1/L2 while the micro-kernel walks down an
/// mc×kc block of A (L2); packed B blocks are kc×nc (or the whole k × packed columns).
const KC = 256;
const MC = 1020; // multiple of MR
const NC = 2048; // multiple of NR; KC·NC = 512K floats holds all of a 64-column Wᵀ (k = 8000)

const b_buf_len = KC * NC;
const a_buf_len = MC * KC;

// ---- packing buffers: one slot per concurrently running task -----------------------

const n_slots = 32;
const Slot = struct {
    b: [b_buf_len]f32 align(64),
    a: [a_buf_len]f32 align(64),
};
var slots: [n_slots]Slot = undefined;
var slot_busy: [n_slots]std.atomic.Value(bool) = [_]std.atomic.Value(bool){std.atomic.Value(bool).init(false)} ** n_slots;

fn acquireSlot() *Slot {
    while (true) {
        for (&slot_busy, 0..) |*busy, i| {
            if (!busy.load(.monotonic) and busy.cmpxchgStrong(false, true, .acquire, .monotonic) == null) return &slots[i];
        }
        std.atomic.spinLoopHint();
    }
}

fn releaseSlot(s: *Slot) void {
    const i = (@intFromPtr(s) - @intFromPtr(&slots[0])) / @sizeOf(Slot);
    slot_busy[i].store(false, .release);
}

// ---- packing -----------------------------------------------------------------------

/// Packs op(B)[pc .. pc+kc, j0 .. j0+nc] into ⌈nc/NR⌉ micro-panels of kc×NR floats
/// (panel q holds columns j0+q·NR …, element (p, j) at `dst[q·kc·NR + p·NR + j]`), zero-padded.
fn packB(trans: bool, b: [*]const f32, ldb: usize, pc: usize, kc: usize, j0: usize, nc: usize, dst: [*]f32) void {
    var q: usize = 0;
    while (q * NR < nc) : (q += 1) {
        const jq = j0 + q * NR;
        const w: usize = @min(NR, j0 + nc - jq);
        const d = dst + q * kc * NR;
        if (!trans) {
            // op(B)[p][j] = b[p·ldb + j]: rows of the panel are contiguous in B.
            for (0..kc) |p| {
                const src = b + (pc + p) * ldb + jq;
                if (w == NR) {
                    inline for (0..NV) |v| {
                        const x: Vec = @as(*align(4) const Vec, @ptrCast(src + v * V)).*;
                        @as(*align(vec_align) Vec, @ptrCast(@alignCast(d + p * NR + v * V))).* = x;
                    }
                } else {
                    for (0..w) |j| d[p * NR + j] = src[j];
                    for (w..NR) |j| d[p * NR + j] = 0;
                }
            }
        } else {
            // op(B)[p][j] = b[j·ldb + p]: columns of the panel are contiguous in B.
            // Transpose in chunks of 16 k-steps to keep the writes within a few lines.
            var p0: usize = 0;
            while (p0 < kc) : (p0 += 16) {
                const pn: usize = @min(16, kc - p0);
                for (0..w) |j| {
                    const src = b + (jq + j) * ldb + pc + p0;
                    for (0..pn) |p| d[(p0 + p) * NR + j] = src[p];
                }
                for (w..NR) |j| {
                    for (0..pn) |p| d[(p0 + p) * NR + j] = 0;
                }
            }
        }
    }
}

/// Packs op(A)[row0 .. row0+h, pc .. pc+kc] (h ≤ MR) into `dst[p·MR + r]`, rows h..MR zero.
fn packStrip(trans: bool, a: [*]const f32, lda: usize, row0: usize, h: usize, pc: usize, kc: usize, dst: [*]f32) void {
    if (trans) {
        // op(A)[i][p] = a[p·lda + i]: each k step is a contiguous run of h floats.
        for (0..kc) |p| {
            const src = a + (pc + p) * lda + row0;
            if (h == MR) {
                inline for (0..MR) |r| dst[p * MR + r] = src[r];
            } else {
                for (0..h) |r| dst[p * MR + r] = src[r];
                for (h..MR) |r| dst[p * MR + r] = 0;
            }
        }
    } else {
        // op(A)[i][p] = a[i·lda + p]: MR row streams, interleaved.
        if (h == MR) {
            var rows: [MR][*]const f32 = undefined;
            inline for (0..MR) |r| rows[r] = a + (row0 + r) * lda + pc;
            for (0..kc) |p| {
                inline for (0..MR) |r| dst[p * MR + r] = rows[r][p];
            }
        } else {
            for (0..kc) |p| {
                for (0..h) |r| dst[p * MR + r] = a[(row0 + r) * lda + pc + p];
                for (h..MR) |r| dst[p * MR + r] = 0;
            }
        }
    }
}

/// Packs op(A)[row0 .. row0+mc, pc .. pc+kc] as ⌈mc/MR⌉ strips of MR×kc (strip s at dst[s·MR·kc]).
fn packA(trans: bool, a: [*]const f32, lda: usize, row0: usize, mc: usize, pc: usize, kc: usize, dst: [*]f32) void {
    var s: usize = 0;
    while (s * MR < mc) : (s += 1) {
        packStrip(trans, a, lda, row0 + s * MR, @min(MR, mc - s * MR), pc, kc, dst + s * MR * kc);
    }
}

// ---- micro-kernel --------------------------------------------------------------------

/// How the micro-kernel reads its MR×kc sliver of op(A).
const ALayout = enum {
    /// element (r, p) at a[p·step + r]: a packed strip (step = MR) or a column block of a
    /// transposed A read in place (step = lda).
    k_major,
    /// element (r, p) at a[r·step + p]: rows of a non-transposed A read in place (step = lda).
    row_major,
};

/// Software prefetches a micro-kernel issues for the tile that comes next; in-place operands
/// are read in short pieces (a few lines per row of a large matrix), too short for the hardware
/// stream prefetchers, so without these the kernel waits on DRAM latency.
const Prefetch = struct {
    /// row_major A: the next strip (row r at a_next + r·a_step); one line per row every 16 k.
    a_next: ?[*]const f32 = null,
    /// in-place B: the next panel (row p at b_next + p·b_step); rows p ≡ b_phase (mod b_period)
    /// are fetched into L2, so the strips of a panel share the work.
    b_next: ?[*]const f32 = null,
    b_phase: usize = 0,
    b_period: usize = 1,
    /// Store the tile with non-temporal stores (see `storeTile`).
    stream: bool = false,
};

/// acc = Σ_p op(A)[r][p] · B[p][j] over p < kc, r < mr (≤ MR): the mr×NR tile in registers.
/// B row p of the micro-panel is NR contiguous floats at b + p·b_step (packed: NR; in place: ldb).
inline fn microKernel(comptime mr: usize, comptime layout: ALayout, kc: usize, ap: [*]const f32, a_step: usize, bp: [*]const f32, b_step: usize, pf: Prefetch) [mr][NV]Vec {
    @setFloatMode(.optimized);
    var acc: [mr][NV]Vec = undefined;
    inline for (0..mr) |r| inline for (0..NV) |v| {
        acc[r][v] = @splat(0);
    };
    var b = bp;
    var p: usize = 0;
    var pf_count = pf.b_phase;
    var rows: [mr][*]const f32 = undefined;
    inline for (0..mr) |r| rows[r] = ap + r * a_step;
    var a = ap;
    while (p < kc) : (p += 1) {
        if (pf.b_next) |bn| {
            if (pf_count == 0) {
                inline for (0..NV) |v| @prefetch(bn + p * b_step + v * V, .{ .locality = 2 });
                pf_count = pf.b_period;
            }
            pf_count -= 1;
        }
        var bv: [NV]Vec = undefined;
        inline for (0..NV) |v| bv[v] = @as(*align(4) const Vec, @ptrCast(b + v * V)).*;
        switch (layout) {
            .k_major => {
                inline for (0..mr) |r| {
                    const av: Vec = @splat(a[r]);
                    inline for (0..NV) |v| acc[r][v] = @mulAdd(Vec, av, bv[v], acc[r][v]);
                }
                a += a_step;
            },
            .row_major => {
                if (pf.a_next) |an| {
                    if (p % 16 == 0) inline for (0..mr) |r| @prefetch(an + r * a_step + p, .{ .locality = 3 });
                }
                inline for (0..mr) |r| {
                    const av: Vec = @splat(rows[r][p]);
                    inline for (0..NV) |v| acc[r][v] = @mulAdd(Vec, av, bv[v], acc[r][v]);
                }
            },
        }
        b += b_step;
    }
    return acc;
}

/// A non-temporal (streaming) store of a whole, 64-byte aligned vector: it writes the line to
/// memory without first reading it (no read-for-ownership), halving the DRAM traffic of a C
/// that is far larger than the caches and written once.
inline fn streamStore(ptr: [*]f32, x: Vec) void {
    asm volatile ("vmovntps %[x], (%[p])"
        :
        : [x] "v" (x),
          [p] "r" (ptr),
        : .{ .memory = true });
}

/// Orders streaming stores before whatever follows (end of a task).
inline fn streamFence() void {
    asm volatile ("sfence" ::: .{ .memory = true });
}

/// C[0..mr, 0..w] = alpha·acc + beta·C (C not read when beta == 0); `stream` (only with
/// beta = 0, w = NR and 64-byte aligned rows) writes with non-temporal stores.
inline fn storeTile(comptime mr: usize, acc: *const [mr][NV]Vec, c: [*]f32, ldc: usize, w: usize, alpha: f32, beta: f32, stream: bool) void {
    const va: Vec = @splat(alpha);
    const vb: Vec = @splat(beta);
    if (can_stream and stream and w == NR) {
        inline for (0..mr) |r| {
            inline for (0..NV) |v| streamStore(c + r * ldc + v * V, acc[r][v] * va);
        }
    } else if (w == NR) {
        inline for (0..mr) |r| {
            inline for (0..NV) |v| {
                const ptr: *align(4) Vec = @ptrCast(c + r * ldc + v * V);
                if (beta == 0) {
                    ptr.* = acc[r][v] * va;
                } else {
                    ptr.* = @mulAdd(Vec, ptr.*, vb, acc[r][v] * va);
                }
            }
        }
    } else {
        // A partial panel: whole vectors while they fit, then a scalar tail.
        inline for (0..mr) |r| {
            const row = c + r * ldc;
            inline for (0..NV) |v| {
                if ((v + 1) * V <= w) {
                    const ptr: *align(4) Vec = @ptrCast(row + v * V);
                    ptr.* = if (beta == 0) acc[r][v] * va else @mulAdd(Vec, ptr.*, vb, acc[r][v] * va);
                } else if (v * V < w) {
                    const x: [V]f32 = acc[r][v];
                    for (v * V..w) |j| row[j] = if (beta == 0) alpha * x[j - v * V] else alpha * x[j - v * V] + beta * row[j];
                }
            }
        }
    }
}

/// One tile: the kernel for mr rows reading A with `layout`, then the store.
fn tile(comptime mr: usize, comptime layout: ALayout, kc: usize, ap: [*]const f32, a_step: usize, bp: [*]const f32, b_step: usize, c: [*]f32, ldc: usize, w: usize, alpha: f32, beta: f32, pf: Prefetch) void {
    const acc = microKernel(mr, layout, kc, ap, a_step, bp, b_step, pf);
    storeTile(mr, &acc, c, ldc, w, alpha, beta, pf.stream);
}

/// A tile of h ≤ MR rows: full strips take the MR kernel, the last strip one of exactly h rows.
fn tileRows(comptime layout: ALayout, h: usize, kc: usize, ap: [*]const f32, a_step: usize, bp: [*]const f32, b_step: usize, c: [*]f32, ldc: usize, w: usize, alpha: f32, beta: f32, pf: Prefetch) void {
    if (h == MR) return tile(MR, layout, kc, ap, a_step, bp, b_step, c, ldc, w, alpha, beta, pf);
    switch (h) {
        inline 1...MR - 1 => |mr| tile(mr, layout, kc, ap, a_step, bp, b_step, c, ldc, w, alpha, beta, pf),
        else => unreachable,
    }
}

// ---- the blocked algorithm -------------------------------------------------------------

pub const Gemm = struct {
    trans_a: bool,
    trans_b: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: [*]const f32,
    lda: usize,
    b: [*]const f32,
    ldb: usize,
    beta: f32,
    c: [*]f32,
    ldc: usize,
};

/// Tunables, runtime so a benchmark can A/B them; the defaults are the measured choice.
pub var tune_kc: usize = 0;
pub var tune_pack_a: bool = false;
pub var tune_prefetch_a: bool = true;
pub var tune_prefetch_b: bool = true;
pub var tune_stream: bool = true;
pub var tune_split: bool = true;
pub var tune_tasks_per_thread: usize = 4;

/// C[i_begin..i_end, j_begin..j_end] for the whole k range, with the packing buffers of `slot`.
///
/// Operands are read in place where their layout already suits the micro-kernel: a B that is
/// not transposed (rows of NR contiguous floats, step ldb), a transposed A (k-major, step lda),
/// and — unless packing is asked for — a non-transposed A row by row. Transposed B, partial
/// panels/strips (zero-padded) and packed A go through the slot buffers.
fn gemmRange(g: *const Gemm, i_begin: usize, i_end: usize, j_begin: usize, j_end: usize, slot: *Slot) void {
    if (g.k == 0) {
        // C = beta·C (alpha·op(A)·op(B) is an empty sum).
        for (i_begin..i_end) |i| {
            const row = g.c + i * g.ldc;
            for (j_begin..j_end) |j| row[j] = if (g.beta == 0) 0 else g.beta * row[j];
        }
        return;
    }
    // k block: 256 when A is read row by row (longer contiguous runs per row of A: the hardware
    // prefetcher keeps up better; measured +3–10% on X·W, dY·Wᵀ), 128 for a transposed A,
    // whose k-major block is reused by every panel (smaller is measured faster there).
    const kc_max: usize = if (tune_kc != 0) @min(tune_kc, KC) else if (g.trans_a) 128 else KC;
    const opts: BlockOptions = .{ .pack_a = tune_pack_a, .prefetch_a = tune_prefetch_a, .prefetch_b = tune_prefetch_b };
    const stream_c = can_stream and tune_stream and g.m * g.n * 4 >= stream_bytes and @intFromPtr(g.c) % 64 == 0 and g.ldc % 16 == 0;
    defer if (stream_c) streamFence();
    var jc = j_begin;
    while (jc < j_end) : (jc += NC) {
        const nc: usize = @min(NC, j_end - jc);
        const panels = (nc + NR - 1) / NR;
        // Panels that go through the buffer: all of them for a transposed B, else only a
        // partial last one. `pw` packed floats per k row.
        const first_packed: usize = if (g.trans_b) 0 else nc / NR;
        const pw = (panels - first_packed) * NR;
        const bbuf: [*]f32 = &slot.b;
        if (pw == 0 or g.k * pw <= b_buf_len) {
            // All of op(B)[:, jc..] is packed once (block pc at bbuf + pc·pw), then each row block
            // of C runs through every k block while it is hot in cache.
            if (pw > 0) {
                var pc: usize = 0;
                while (pc < g.k) : (pc += kc_max) {
                    packB(g.trans_b, g.b, g.ldb, pc, @min(kc_max, g.k - pc), jc + first_packed * NR, nc - first_packed * NR, bbuf + pc * pw);
                }
            }
            var ic = i_begin;
            while (ic < i_end) : (ic += MC) {
                var pc: usize = 0;
                while (pc < g.k) : (pc += kc_max) {
                    runBlock(g, slot, opts, stream_c, ic, @min(MC, i_end - ic), jc, nc, pc, @min(kc_max, g.k - pc), bbuf + pc * pw, first_packed);
                }
            }
        } else {
            // B too large to pack whole: pack one k block at a time, for every row block.
            var pc: usize = 0;
            while (pc < g.k) : (pc += kc_max) {
                const kc: usize = @min(kc_max, g.k - pc);
                packB(g.trans_b, g.b, g.ldb, pc, kc, jc + first_packed * NR, nc - first_packed * NR, bbuf);
                var ic = i_begin;
                while (ic < i_end) : (ic += MC) {
                    runBlock(g, slot, opts, stream_c, ic, @min(MC, i_end - ic), jc, nc, pc, kc, bbuf, first_packed);
                }
            }
        }
    }
}

const BlockOptions = struct { pack_a: bool, prefetch_a: bool, prefetch_b: bool };

/// C[ic..ic+mc, jc..jc+nc] += op(A)[ic.., pc..pc+kc]·op(B)[pc.., jc..] (beta applied on the first
/// k block). Panels q ≥ first_packed of B are packed at bpack + (q − first_packed)·kc·NR; the
/// others are read in place.
fn runBlock(g: *const Gemm, slot: *Slot, opts: BlockOptions, stream_c: bool, ic: usize, mc: usize, jc: usize, nc: usize, pc: usize, kc: usize, bpack: [*]const f32, first_packed: usize) void {
    const beta = if (pc == 0) g.beta else 1.0;
    const stream = stream_c and beta == 0 and kc == g.k;
    const panels = (nc + NR - 1) / NR;
    const strips = (mc + MR - 1) / MR;
    if (opts.pack_a and !g.trans_a) packA(false, g.a, g.lda, ic, mc, pc, kc, &slot.a);
    for (0..panels) |q| {
        const w: usize = @min(NR, nc - q * NR);
        const b_in_place = q < first_packed;
        const bp: [*]const f32 = if (b_in_place) g.b + pc * g.ldb + jc + q * NR else bpack + (q - first_packed) * kc * NR;
        const b_step = if (b_in_place) g.ldb else NR;
        // The next in-place B panel, prefetched in slices by the strips of this one.
        const b_next: ?[*]const f32 = if (b_in_place and opts.prefetch_b and q + 1 < first_packed) bp + NR else null;
        for (0..strips) |st| {
            const h: usize = @min(MR, mc - st * MR);
            const row = ic + st * MR;
            const c = g.c + row * g.ldc + jc + q * NR;
            var pf: Prefetch = .{ .b_next = b_next, .b_phase = st, .b_period = strips, .stream = stream };
            if (g.trans_a) {
                tileRows(.k_major, h, kc, g.a + pc * g.lda + row, g.lda, bp, b_step, c, g.ldc, w, g.alpha, beta, pf);
            } else if (opts.pack_a) {
                tileRows(.k_major, h, kc, @as([*]const f32, &slot.a) + st * MR * kc, MR, bp, b_step, c, g.ldc, w, g.alpha, beta, pf);
            } else {
                // The next strip of A, or the first one of this block again for the next panel.
                if (opts.prefetch_a) pf.a_next = g.a + (if (st + 1 < strips) row + MR else ic) * g.lda + pc;
                tileRows(.row_major, h, kc, g.a + row * g.lda + pc, g.lda, bp, b_step, c, g.ldc, w, g.alpha, beta, pf);
            }
        }
    }
}

/// How C is cut into tasks: mt row chunks × nt column chunks (in units of MR rows / NR columns).
const Grid = struct { mt: usize, nt: usize, mu: usize, nu: usize };

/// FLOPs below which a GEMM runs on the calling thread alone (≈ 20 µs of work).
const serial_flops = 2_000_000;

pub fn planGrid(m: usize, n: usize, k: usize, threads: usize) Grid {
    const mu = (m + MR - 1) / MR;
    const nu = (n + NR - 1) / NR;
    const flops = 2 * m * n * @max(k, 1);
    if (threads <= 1 or flops < serial_flops) return .{ .mt = 1, .nt = 1, .mu = mu, .nu = nu };
    // Aim for ~4 tasks per thread (dynamic balance: a preempted or slower thread just takes
    // fewer) but keep tasks ≥ ~0.5 MFLOP.
    var tasks = tune_tasks_per_thread * threads;
    tasks = @max(threads, @min(tasks, flops / 500_000));
    const target = @min(tasks, mu * nu);
    // Among the grids with at least `target` tasks, take the cheapest: compute stretched by
    // the imbalance of uneven chunks, plus the work duplicated between tasks (each row chunk
    // reads/packs its own B, k·n, each column chunk its own A, m·k; ~16 FMAs per element).
    var best: Grid = .{ .mt = @min(mu, target), .nt = 1, .mu = mu, .nu = nu };
    var best_cost: f64 = std.math.inf(f64);
    const fm: f64 = @floatFromInt(m);
    const fn_: f64 = @floatFromInt(n);
    const fk: f64 = @floatFromInt(@max(k, 1));
    var mt: usize = 1;
    while (mt <= @min(mu, target)) : (mt += 1) {
        const nt = @min(nu, (target + mt - 1) / mt);
        if (mt * nt < target) continue;
        const chunk_tiles: f64 = @floatFromInt(((mu + mt - 1) / mt) * ((nu + nt - 1) / nt));
        const count: f64 = @floatFromInt(mt * nt);
        const waves = @ceil(count / @as(f64, @floatFromInt(threads)));
        const imbalance = waves * chunk_tiles * @as(f64, @floatFromInt(threads)) / @as(f64, @floatFromInt(mu * nu));
        const cost = fm * fn_ * fk * imbalance + 16 * (@as(f64, @floatFromInt(mt)) * fk * fn_ + @as(f64, @floatFromInt(nt)) * fm * fk);
        if (cost < best_cost) {
            best_cost = cost;
            best = .{ .mt = mt, .nt = nt, .mu = mu, .nu = nu };
        }
    }
    return best;
}

fn runTask(g: *const Gemm, grid: Grid, t: usize, mode: Mode) void {
    const mi = t / grid.nt;
    const ni = t % grid.nt;
    const mr = pool.splitRange(grid.mu, grid.mt, mi);
    const nr = pool.splitRange(grid.nu, grid.nt, ni);
    const i_begin = mr.begin * MR;
    const i_end: usize = @min(g.m, mr.end * MR);
    const j_begin = nr.begin * NR;
    const j_end: usize = @min(g.n, nr.end * NR);
    if (i_begin >= i_end or j_begin >= j_end) return;
    const slot = acquireSlot();
    defer releaseSlot(slot);
    rangeMode(g, i_begin, i_end, j_begin, j_end, slot, mode);
}

/// Which arithmetic a GEMM runs: float32 FMAs, or bf16 inputs with float32 accumulation
/// (vdpbf16ps, or its emulation with float32 FMAs on the same packed bf16 data).
const Mode = enum { f32, bf16_native, bf16_emulated, bf16_amx };

fn rangeMode(g: *const Gemm, i_begin: usize, i_end: usize, j_begin: usize, j_end: usize, slot: *Slot, mode: Mode) void {
    switch (mode) {
        .f32 => gemmRange(g, i_begin, i_end, j_begin, j_end, slot),
        .bf16_native => if (has_native_bf16_kernel) gemmRangeBf16(true, g, i_begin, i_end, j_begin, j_end, slot) else unreachable,
        .bf16_emulated => gemmRangeBf16(false, g, i_begin, i_end, j_begin, j_end, slot),
        .bf16_amx => if (has_amx_kernel) gemmRangeAmx(g, i_begin, i_end, j_begin, j_end, slot) else unreachable,
    }
}

const TaskCtx = struct { g: *const Gemm, grid: Grid, mode: Mode };

fn gemmTask(ctx: TaskCtx, t: usize) void {
    runTask(ctx.g, ctx.grid, t, ctx.mode);
}

/// The fast path: C = alpha·op(A)·op(B) + beta·C, parallel over the pool.
pub fn gemm(g: Gemm) void {
    gemmThreads(g, pool.threadCount(), .f32);
}

fn gemmThreads(g: Gemm, threads: usize, mode: Mode) void {
    if (g.m == 0 or g.n == 0) return;
    if (tune_split and threads > 1 and g.m * g.n <= split_len and g.k >= 4 * @max(g.m, g.n) and g.k >= 2 * KC * threads) {
        if (split_mutex.tryLock()) {
            defer split_mutex.unlock();
            // Several slices per thread, so a preempted thread delays nothing (slices
            // duplicate no work: each reads its own part of A and B).
            return gemmSplitK(g, @min(split_parts, 4 * threads, g.k / (2 * KC)), mode);
        }
    }
    const grid = planGrid(g.m, g.n, g.k, threads);
    pool.parallelFor(grid.mt * grid.nt, TaskCtx{ .g = &g, .grid = grid, .mode = mode }, gemmTask);
}

// ---- k split: a small C with a long k (weight gradients Xᵀ·dY) ---------------------------
// A grid over a 64×192 C has too few tiles to share between threads without each re-reading
// most of A and B; instead each thread takes a slice of k, the first accumulating into C
// (with beta), the others into static scratch matrices that are added to C afterwards.

const split_parts = 8;
/// Largest C (floats) split along k.
const split_len = 64 * 1024;
var split_scratch: [split_parts - 1][split_len]f32 align(64) = undefined;
/// The scratch matrices belong to one k-split call at a time (others take the grid path).
var split_mutex: std.Thread.Mutex = .{};

const SplitCtx = struct { g: *const Gemm, parts: usize, mode: Mode };

fn splitTask(ctx: SplitCtx, t: usize) void {
    const g = ctx.g;
    const blocks = (g.k + KC - 1) / KC;
    const r = pool.splitRange(blocks, ctx.parts, t);
    const k0 = r.begin * KC;
    const k1: usize = @min(g.k, r.end * KC);
    var part = g.*;
    part.k = k1 - k0;
    part.a += if (g.trans_a) k0 * g.lda else k0;
    part.b += if (g.trans_b) k0 else k0 * g.ldb;
    if (t > 0) {
        part.c = &split_scratch[t - 1];
        part.ldc = g.n;
        part.beta = 0;
    }
    const slot = acquireSlot();
    defer releaseSlot(slot);
    rangeMode(&part, 0, g.m, 0, g.n, slot, ctx.mode);
}

fn gemmSplitK(g: Gemm, parts: usize, mode: Mode) void {
    pool.parallelFor(parts, SplitCtx{ .g = &g, .parts = parts, .mode = mode }, splitTask);
    for (0..g.m) |i| {
        const row = g.c[i * g.ldc ..][0..g.n];
        for (1..parts) |t| {
            const part = split_scratch[t - 1][i * g.n ..][0..g.n];
            for (row, part) |*c, x| c.* += x;
        }
    }
}

const BatchCtx = struct { g: *const Gemm, sa: usize, sb: usize, sc: usize, mode: Mode };

fn batchTask(ctx: BatchCtx, i: usize) void {
    var g = ctx.g.*;
    g.a += i * ctx.sa;
    g.b += i * ctx.sb;
    g.c += i * ctx.sc;
    gemmThreads(g, 1, ctx.mode); // one batch element per task
}

/// Batched strided GEMM: for i < batch, C_i = alpha·op(A_i)·op(B_i) + beta·C_i with
/// A_i = a + i·stride_a etc.
pub fn gemmBatched(g: Gemm, batch: usize, stride_a: usize, stride_b: usize, stride_c: usize) void {
    gemmBatchedMode(g, batch, stride_a, stride_b, stride_c, .f32);
}

fn gemmBatchedMode(g: Gemm, batch: usize, stride_a: usize, stride_b: usize, stride_c: usize, mode: Mode) void {
    if (g.m == 0 or g.n == 0 or batch == 0) return;
    const threads = pool.threadCount();
    const flops = 2 * g.m * g.n * @max(g.k, 1);
    const ctx = BatchCtx{ .g = &g, .sa = stride_a, .sb = stride_b, .sc = stride_c, .mode = mode };
    if (flops * batch < serial_flops or threads <= 1) {
        for (0..batch) |i| batchTask(ctx, i);
    } else if (batch >= threads or flops < serial_flops) {
        pool.parallelFor(batch, ctx, batchTask);
    } else {
        // Few large matrices: each one uses every thread.
        for (0..batch) |i| {
            var gi = g;
            gi.a += i * stride_a;
            gi.b += i * stride_b;
            gi.c += i * stride_c;
            gemmThreads(gi, threads, mode);
        }
    }
}

/// Naive triple loop (reference for the tests), float64 accumulation.
pub fn gemmReference(g: Gemm) void {
    for (0..g.m) |i| {
        for (0..g.n) |j| {
            var s: f64 = 0;
            for (0..g.k) |p| {
                const x = if (g.trans_a) g.a[p * g.lda + i] else g.a[i * g.lda + p];
                const y = if (g.trans_b) g.b[j * g.ldb + p] else g.b[p * g.ldb + j];
                s += @as(f64, x) * @as(f64, y);
            }
            const c = &g.c[i * g.ldc + j];
            const ab: f32 = @floatCast(@as(f64, g.alpha) * s);
            c.* = if (g.beta == 0) ab else ab + g.beta * c.*;
        }
    }
}

// ---- bf16 GEMM: bf16 inputs, float32 accumulation ------------------------------------------
// C = alpha·bf16(op(A))·bf16(op(B)) + beta·C, where bf16(x) rounds each input to bfloat16 (round
// to nearest even; bf16 subnormals flushed to ±0, as vdpbf16ps reads them as zero) and the sum
// over k is accumulated in float32. The rounding happens while packing: both operands are always
// packed (this is where the halved memory traffic comes from), as pairs of bf16 along k in one
// 32-bit word, which is the operand layout of AVX512_BF16's vdpbf16ps:
//   acc[j] += hi(a)·hi(b[j]);  acc[j] += lo(a)·lo(b[j])      (per 32-bit lane j, two roundings)
// - B micro-panel (kc×NR → ⌈kc/2⌉×NR words): word (pp, j) = (B[2pp+1][j] << 16) | B[2pp][j].
// - A strip (MR×kc → ⌈kc/2⌉×MR words): word (pp, r) = (A[r][2pp+1] << 16) | A[r][2pp], broadcast
//   to every lane by the micro-kernel; an odd kc pads the last pair with a zero.
// The micro-kernel, tiles and blocking are those of the float32 path (MR×NR tile in 24 zmm
// registers, one pair of k steps per vdpbf16ps). Without AVX512_BF16 the *emulated* kernel runs on
// the same packed words: it widens each bf16 to float32 (a shift: bf16 is the high half of a
// float32) and does the two products as two FMAs in vdpbf16ps's order (odd k first). The products
// of two bf16 are exact in float32, so FMA = multiply-then-add and the emulated C is bit-identical
// to the native one (except where an accumulator becomes float32-subnormal: vdpbf16ps flushes it).

/// The vdpbf16ps kernel exists in this build only for x86-64 with AVX-512 (zmm registers);
/// whether the CPU runs it is decided at run time (`bf16Support`).
const has_native_bf16_kernel = builtin.cpu.arch == .x86_64 and avx512 and V == 16;
const U = @Vector(V, u32);

/// float32 → bfloat16 bits: round to nearest, ties to even; NaN stays NaN (quiet); a result in
/// bf16's subnormal range is flushed to ±0.
pub fn bf16Bits(x: f32) u16 {
    const u: u32 = @bitCast(x);
    if ((u & 0x7FFF_FFFF) > 0x7F80_0000) return @truncate((u >> 16) | 0x40);
    const r = (u +% 0x7FFF +% ((u >> 16) & 1)) >> 16;
    if (r & 0x7F80 == 0) return @truncate(r & 0x8000);
    return @truncate(r);
}

/// `bf16Bits` of each lane, placed in the high half of the lane (low half zero).
inline fn bf16High(x: Vec) U {
    const u: U = @bitCast(x);
    const rounded = (u +% @as(U, @splat(0x7FFF)) +% ((u >> @splat(16)) & @as(U, @splat(1)))) & @as(U, @splat(0xFFFF_0000));
    const nan = (u & @as(U, @splat(0x7FFF_FFFF))) > @as(U, @splat(0x7F80_0000));
    const r = @select(u32, nan, (u | @as(U, @splat(0x0040_0000))) & @as(U, @splat(0xFFFF_0000)), rounded);
    const sub = (r & @as(U, @splat(0x7F80_0000))) == @as(U, @splat(0));
    return @select(u32, sub, r & @as(U, @splat(0x8000_0000)), r);
}

fn pairScalar(lo: f32, hi: f32) u32 {
    return (@as(u32, bf16Bits(hi)) << 16) | bf16Bits(lo);
}

const even_mask: @Vector(V, i32) = blk: {
    var m: [V]i32 = undefined;
    for (0..V) |i| m[i] = if (i < V / 2) 2 * i else ~@as(i32, 2 * (i - V / 2));
    break :blk m;
};
const odd_mask: @Vector(V, i32) = blk: {
    var m: [V]i32 = undefined;
    for (0..V) |i| m[i] = if (i < V / 2) 2 * i + 1 else ~@as(i32, 2 * (i - V / 2) + 1);
    break :blk m;
};

inline fn loadVec(p: [*]const f32) Vec {
    return @as(*align(4) const Vec, @ptrCast(p)).*;
}

/// 2V consecutive floats x[0..2V] → V pair words (x[2l+1] << 16 | x[2l]).
inline fn pairsContig(src: [*]const f32) U {
    const x0 = loadVec(src);
    const x1 = loadVec(src + V);
    const even = @shuffle(f32, x0, x1, even_mask);
    const odd = @shuffle(f32, x0, x1, odd_mask);
    return bf16High(odd) | (bf16High(even) >> @splat(16));
}

/// Two rows → V pair words (hi[l] << 16 | lo[l]).
inline fn pairsRows(lo: [*]const f32, hi: [*]const f32) U {
    return bf16High(loadVec(hi)) | (bf16High(loadVec(lo)) >> @splat(16));
}

inline fn storeU(p: [*]u32, x: U) void {
    @as(*align(4) U, @ptrCast(p)).* = x;
}

/// Packs op(B)[pc .. pc+kc, j0 .. j0+nc] as ⌈nc/NR⌉ micro-panels of ⌈kc/2⌉×NR pair words
/// (panel q at dst[q·kp·NR], word (pp, j) at [pp·NR + j]), zero-padded.
fn packBBf16(trans: bool, b: [*]const f32, ldb: usize, pc: usize, kc: usize, j0: usize, nc: usize, dst: [*]u32) void {
    packBBf16Rows(trans, b, ldb, pc, kc, j0, nc, dst, (kc + 1) / 2);
}

/// `packBBf16` with `rows` ≥ ⌈kc/2⌉ pair rows per panel (the rows past ⌈kc/2⌉ zero).
fn packBBf16Rows(trans: bool, b: [*]const f32, ldb: usize, pc: usize, kc: usize, j0: usize, nc: usize, dst: [*]u32, rows: usize) void {
    const kp = (kc + 1) / 2;
    var q: usize = 0;
    while (q * NR < nc) : (q += 1) {
        const jq = j0 + q * NR;
        const w: usize = @min(NR, j0 + nc - jq);
        const d = dst + q * rows * NR;
        @memset(d[kp * NR .. rows * NR], 0);
        if (!trans) {
            // op(B)[p][j] = b[p·ldb + j]: k steps 2pp and 2pp+1 are two rows of B.
            for (0..kp) |pp| {
                const lo = b + (pc + 2 * pp) * ldb + jq;
                const row = d + pp * NR;
                var j: usize = 0;
                if (2 * pp + 1 < kc) {
                    const hi = lo + ldb;
                    while (j + V <= w) : (j += V) storeU(row + j, pairsRows(lo + j, hi + j));
                    while (j < w) : (j += 1) row[j] = pairScalar(lo[j], hi[j]);
                } else {
                    while (j < w) : (j += 1) row[j] = pairScalar(lo[j], 0);
                }
                for (w..NR) |jj| row[jj] = 0;
            }
        } else {
            // op(B)[p][j] = b[j·ldb + p]: a pair is two adjacent floats of a row of B.
            for (0..w) |j| {
                const src = b + (jq + j) * ldb + pc;
                var pp: usize = 0;
                while (2 * (pp + V) <= kc) : (pp += V) {
                    const x = pairsContig(src + 2 * pp);
                    inline for (0..V) |l| d[(pp + l) * NR + j] = x[l];
                }
                while (pp < kp) : (pp += 1) d[pp * NR + j] = pairScalar(src[2 * pp], if (2 * pp + 1 < kc) src[2 * pp + 1] else 0);
            }
            for (0..kp) |pp| {
                for (w..NR) |j| d[pp * NR + j] = 0;
            }
        }
    }
}

/// Packs op(A)[row0 .. row0+mc, pc .. pc+kc] as ⌈mc/MR⌉ strips of ⌈kc/2⌉×MR pair words
/// (strip s at dst[s·MR·kp], word (pp, r) at [pp·MR + r]), rows of a partial strip zero.
fn packABf16(trans: bool, a: [*]const f32, lda: usize, row0: usize, mc: usize, pc: usize, kc: usize, dst: [*]u32) void {
    const kp = (kc + 1) / 2;
    if (!trans) {
        // op(A)[i][p] = a[i·lda + p]: a pair is two adjacent floats of a row of A.
        for (0..mc) |i| {
            const d = dst + (i / MR) * MR * kp + i % MR;
            const src = a + (row0 + i) * lda + pc;
            var pp: usize = 0;
            while (2 * (pp + V) <= kc) : (pp += V) {
                const x = pairsContig(src + 2 * pp);
                inline for (0..V) |l| d[(pp + l) * MR] = x[l];
            }
            while (pp < kp) : (pp += 1) d[pp * MR] = pairScalar(src[2 * pp], if (2 * pp + 1 < kc) src[2 * pp + 1] else 0);
        }
    } else {
        // op(A)[i][p] = a[p·lda + i]: k steps 2pp and 2pp+1 are two rows of A.
        for (0..kp) |pp| {
            const lo = a + (pc + 2 * pp) * lda + row0;
            const has_hi = 2 * pp + 1 < kc;
            var i: usize = 0;
            if (has_hi) {
                const hi = lo + lda;
                while (i + V <= mc) : (i += V) {
                    const x = pairsRows(lo + i, hi + i);
                    inline for (0..V) |l| dst[((i + l) / MR) * MR * kp + pp * MR + (i + l) % MR] = x[l];
                }
            }
            while (i < mc) : (i += 1) dst[(i / MR) * MR * kp + pp * MR + i % MR] = pairScalar(lo[i], if (has_hi) lo[i + lda] else 0);
        }
    }
    const tail = mc % MR;
    if (tail != 0) {
        const d = dst + (mc / MR) * MR * kp;
        for (0..kp) |pp| {
            for (tail..MR) |r| d[pp * MR + r] = 0;
        }
    }
}

/// acc += Σ_l hi(a)·hi(b[l]) then lo(a)·lo(b[l]) per lane: vdpbf16ps (AVX512_BF16).
inline fn dpbf16(acc: Vec, a: U, b: U) Vec {
    return asm ("vdpbf16ps %[b], %[a], %[acc]"
        : [acc] "=v" (-> Vec),
        : [a] "v" (a),
          [b] "v" (b),
          [acc_in] "0" (acc),
    );
}

inline fn bf16Lo(x: U) Vec {
    return @bitCast(x << @splat(16));
}

inline fn bf16Hi(x: U) Vec {
    return @bitCast(x & @as(U, @splat(0xFFFF_0000)));
}

/// acc = Σ_pp over kp pair words of the strip (word (pp, r) at ap[pp·MR + r]) and the panel
/// (words pp·NR ..): the mr×NR tile in registers. Strict float semantics: the emulated order is
/// part of its contract (bit-identical to vdpbf16ps).
inline fn microKernelBf16(comptime mr: usize, comptime native: bool, kp: usize, ap: [*]const u32, bp: [*]const u32) [mr][NV]Vec {
    var acc: [mr][NV]Vec = undefined;
    inline for (0..mr) |r| inline for (0..NV) |v| {
        acc[r][v] = @splat(0);
    };
    var a = ap;
    var b = bp;
    for (0..kp) |_| {
        var bv: [NV]U = undefined;
        inline for (0..NV) |v| bv[v] = @as(*align(4) const U, @ptrCast(b + v * V)).*;
        if (native) {
            inline for (0..mr) |r| {
                const av: U = @splat(a[r]);
                inline for (0..NV) |v| acc[r][v] = dpbf16(acc[r][v], av, bv[v]);
            }
        } else {
            inline for (0..mr) |r| {
                const ahi: Vec = @splat(@as(f32, @bitCast(a[r] & 0xFFFF_0000)));
                const alo: Vec = @splat(@as(f32, @bitCast(a[r] << 16)));
                inline for (0..NV) |v| {
                    acc[r][v] = @mulAdd(Vec, ahi, bf16Hi(bv[v]), acc[r][v]);
                    acc[r][v] = @mulAdd(Vec, alo, bf16Lo(bv[v]), acc[r][v]);
                }
            }
        }
        a += MR;
        b += NR;
    }
    return acc;
}

fn tileBf16(comptime mr: usize, comptime native: bool, kp: usize, ap: [*]const u32, bp: [*]const u32, c: [*]f32, ldc: usize, w: usize, alpha: f32, beta: f32, stream: bool) void {
    const acc = microKernelBf16(mr, native, kp, ap, bp);
    storeTile(mr, &acc, c, ldc, w, alpha, beta, stream);
}

fn tileRowsBf16(comptime native: bool, h: usize, kp: usize, ap: [*]const u32, bp: [*]const u32, c: [*]f32, ldc: usize, w: usize, alpha: f32, beta: f32, stream: bool) void {
    switch (h) {
        inline 1...MR => |mr| tileBf16(mr, native, kp, ap, bp, c, ldc, w, alpha, beta, stream),
        else => unreachable,
    }
}

/// C[ic..ic+mc, jc..jc+nc] (+)= bf16 products over the k block pc..pc+kc from packed A and B.
fn runBlockBf16(comptime native: bool, g: *const Gemm, stream_c: bool, ic: usize, mc: usize, jc: usize, nc: usize, pc: usize, kc: usize, bpack: [*]const u32, apack: [*]const u32) void {
    const beta = if (pc == 0) g.beta else 1.0;
    const stream = stream_c and beta == 0 and kc == g.k;
    const kp = (kc + 1) / 2;
    const panels = (nc + NR - 1) / NR;
    const strips = (mc + MR - 1) / MR;
    for (0..panels) |q| {
        const w: usize = @min(NR, nc - q * NR);
        for (0..strips) |st| {
            const c = g.c + (ic + st * MR) * g.ldc + jc + q * NR;
            tileRowsBf16(native, @min(MR, mc - st * MR), kp, apack + st * MR * kp, bpack + q * kp * NR, c, g.ldc, w, g.alpha, beta, stream);
        }
    }
}

/// `gemmRange` in bf16: both operands packed as bf16 pairs (slot buffers reinterpreted as words).
fn gemmRangeBf16(comptime native: bool, g: *const Gemm, i_begin: usize, i_end: usize, j_begin: usize, j_end: usize, slot: *Slot) void {
    if (g.k == 0) return gemmRange(g, i_begin, i_end, j_begin, j_end, slot); // C = beta·C
    const bbuf: [*]u32 = @ptrCast(&slot.b);
    const abuf: [*]u32 = @ptrCast(&slot.a);
    const stream_c = can_stream and tune_stream and g.m * g.n * 4 >= stream_bytes and @intFromPtr(g.c) % 64 == 0 and g.ldc % 16 == 0;
    defer if (stream_c) streamFence();
    var jc = j_begin;
    while (jc < j_end) : (jc += NC) {
        const nc: usize = @min(NC, j_end - jc);
        const pw = ((nc + NR - 1) / NR) * NR;
        if (((g.k + 1) / 2) * pw <= b_buf_len) {
            // All of op(B)[:, jc..] packed once (k block pc at bbuf + (pc/2)·pw; KC is even),
            // then each row block of C runs through every k block while it is hot in cache.
            var pc: usize = 0;
            while (pc < g.k) : (pc += KC) packBBf16(g.trans_b, g.b, g.ldb, pc, @min(KC, g.k - pc), jc, nc, bbuf + (pc / 2) * pw);
            var ic = i_begin;
            while (ic < i_end) : (ic += MC) {
                const mc: usize = @min(MC, i_end - ic);
                pc = 0;
                while (pc < g.k) : (pc += KC) {
                    const kc: usize = @min(KC, g.k - pc);
                    packABf16(g.trans_a, g.a, g.lda, ic, mc, pc, kc, abuf);
                    runBlockBf16(native, g, stream_c, ic, mc, jc, nc, pc, kc, bbuf + (pc / 2) * pw, abuf);
                }
            }
        } else {
            var pc: usize = 0;
            while (pc < g.k) : (pc += KC) {
                const kc: usize = @min(KC, g.k - pc);
                packBBf16(g.trans_b, g.b, g.ldb, pc, kc, jc, nc, bbuf);
                var ic = i_begin;
                while (ic < i_end) : (ic += MC) {
                    const mc: usize = @min(MC, i_end - ic);
                    packABf16(g.trans_a, g.a, g.lda, ic, mc, pc, kc, abuf);
                    runBlockBf16(native, g, stream_c, ic, mc, jc, nc, pc, kc, bbuf, abuf);
                }
            }
        }
    }
}

// ---- AMX-BF16: the bf16 GEMM on tile registers ---------------------------------------------------
// TDPBF16PS multiplies a 16×32 bf16 tile of A (16 rows × 16 pair words) by a 16×16-pair tile of B
// (16 pair rows × 16 columns, the same pair-word layout as the vdpbf16ps panels) into a 16×16
// float32 tile of C: 8192 multiply-adds per instruction. The micro-kernel keeps a 32×32 block of C
// in four accumulator tiles (tmm0–3), loads two A tiles (tmm4–5) and two B tiles (tmm6–7) per 32
// k steps, and does four TDPBF16PS. Operands are packed as for vdpbf16ps, but A row-major (row i:
// its pair words contiguous, tile rows at stride kp16 words) and k padded with zeros to a multiple
// of 32, rows of A to a multiple of 32. Same inputs (bf16(A), bf16(B)); only the float32
// summation order differs from the vdpbf16ps/emulated kernels (AMX sums pair by pair within a tile,
// even element first), so results agree with them within the float32 summation bound.
// Linux gives a process the 8 KiB tile-data state only on request: arch_prctl(ARCH_REQ_XCOMP_PERM,
// XFEATURE_XTILEDATA = 18), made once before the first use (`amxAvailable`).

const has_amx_kernel = builtin.cpu.arch == .x86_64 and builtin.os.tag == .linux and avx512 and V == 16;

const TileCfg = extern struct {
    palette: u8,
    start_row: u8,
    reserved: [14]u8,
    colsb: [16]u16,
    rows: [16]u8,
};

/// Palette 1, tiles 0–7 all 16 rows × 64 bytes.
const amx_cfg: TileCfg align(64) = blk: {
    var c: TileCfg = .{ .palette = 1, .start_row = 0, .reserved = [_]u8{0} ** 14, .colsb = [_]u16{0} ** 16, .rows = [_]u8{0} ** 16 };
    for (0..8) |t| {
        c.colsb[t] = 64;
        c.rows[t] = 16;
    }
    break :blk c;
};

inline fn tileConfig() void {
    asm volatile ("ldtilecfg (%[c])"
        :
        : [c] "r" (&amx_cfg),
        : .{ .memory = true });
}

inline fn tileRelease() void {
    asm volatile ("tilerelease" ::: .{ .memory = true });
}

fn tmm(comptime t: u8) []const u8 {
    return "%%tmm" ++ [_]u8{'0' + t};
}

inline fn tileZero(comptime t: u8) void {
    asm volatile ("tilezero " ++ tmm(t));
}

inline fn tileLoad(comptime t: u8, base: [*]const u32, stride_bytes: usize) void {
    asm volatile ("tileloadd (%[b],%[s],1), " ++ tmm(t)
        :
        : [b] "r" (base),
          [s] "r" (stride_bytes),
        : .{ .memory = true });
}

inline fn tileStore(comptime t: u8, base: [*]f32, stride_bytes: usize) void {
    asm volatile ("tilestored " ++ tmm(t) ++ ", (%[b],%[s],1)"
        :
        : [b] "r" (base),
          [s] "r" (stride_bytes),
        : .{ .memory = true });
}

/// tmm(c) += tmm(a)·tmm(b) over bf16 pairs.
inline fn tileDp(comptime c: u8, comptime a: u8, comptime b: u8) void {
    asm volatile ("tdpbf16ps " ++ tmm(b) ++ ", " ++ tmm(a) ++ ", " ++ tmm(c));
}

/// Packs op(A)[row0 .. row0+mc, pc .. pc+kc] row-major as pair words: row i at dst[i·kp16], pair
/// pp at [pp]; pairs ≥ ⌈kc/2⌉ and rows mc .. ⌈mc/32⌉·32 zero.
fn packAAmx(trans: bool, a: [*]const f32, lda: usize, row0: usize, mc: usize, pc: usize, kc: usize, dst: [*]u32, kp16: usize) void {
    const kp = (kc + 1) / 2;
    if (!trans) {
        for (0..mc) |i| {
            const d = dst + i * kp16;
            const src = a + (row0 + i) * lda + pc;
            var pp: usize = 0;
            while (2 * (pp + V) <= kc) : (pp += V) storeU(d + pp, pairsContig(src + 2 * pp));
            while (pp < kp) : (pp += 1) d[pp] = pairScalar(src[2 * pp], if (2 * pp + 1 < kc) src[2 * pp + 1] else 0);
            @memset(d[kp..kp16], 0);
        }
    } else {
        for (0..kp) |pp| {
            const lo = a + (pc + 2 * pp) * lda + row0;
            const has_hi = 2 * pp + 1 < kc;
            var i: usize = 0;
            if (has_hi) {
                while (i + V <= mc) : (i += V) {
                    const x = pairsRows(lo + i, lo + lda + i);
                    inline for (0..V) |l| dst[(i + l) * kp16 + pp] = x[l];
                }
            }
            while (i < mc) : (i += 1) dst[i * kp16 + pp] = pairScalar(lo[i], if (has_hi) lo[i + lda] else 0);
        }
        for (0..mc) |i| @memset(dst[i * kp16 + kp .. i * kp16 + kp16], 0);
    }
    const rows_pad = (mc + 31) / 32 * 32;
    @memset(dst[mc * kp16 .. rows_pad * kp16], 0);
}

/// C[ic.., jc..] block of mc×nc: alpha·Σ over the packed k block + beta·C, 32×32 at a time.
fn runBlockAmx(g: *const Gemm, ic: usize, mc: usize, jc: usize, nc: usize, pc: usize, kp16: usize, bpack: [*]const u32, apack: [*]const u32) void {
    const beta = if (pc == 0) g.beta else 1.0;
    var acc: [32 * 32]f32 align(64) = undefined;
    const accs: []f32 = &acc;
    const a_stride = kp16 * 4;
    const b_stride = NR * 4;
    var j0: usize = 0;
    while (j0 < nc) : (j0 += 32) {
        const q = j0 / NR;
        const bcol = bpack + q * kp16 * NR + (j0 % NR);
        const w: usize = @min(32, nc - j0);
        var r0: usize = 0;
        while (r0 < mc) : (r0 += 32) {
            tileZero(0);
            tileZero(1);
            tileZero(2);
            tileZero(3);
            var pp: usize = 0;
            while (pp < kp16) : (pp += 16) {
                tileLoad(4, apack + r0 * kp16 + pp, a_stride);
                tileLoad(5, apack + (r0 + 16) * kp16 + pp, a_stride);
                tileLoad(6, bcol + pp * NR, b_stride);
                tileLoad(7, bcol + pp * NR + 16, b_stride);
                tileDp(0, 4, 6);
                tileDp(1, 4, 7);
                tileDp(2, 5, 6);
                tileDp(3, 5, 7);
            }
            tileStore(0, accs.ptr, 128);
            tileStore(1, accs.ptr + 16, 128);
            tileStore(2, accs.ptr + 16 * 32, 128);
            tileStore(3, accs.ptr + 16 * 32 + 16, 128);
            const h: usize = @min(32, mc - r0);
            for (0..h) |r| {
                const crow = g.c + (ic + r0 + r) * g.ldc + jc + j0;
                const arow = accs[r * 32 ..][0..32];
                if (w == 32) {
                    inline for (0..32 / V) |v| {
                        const x: Vec = arow[v * V ..][0..V].*;
                        const ptr: *align(4) Vec = @ptrCast(crow + v * V);
                        ptr.* = if (beta == 0) x * @as(Vec, @splat(g.alpha)) else @mulAdd(Vec, ptr.*, @as(Vec, @splat(beta)), x * @as(Vec, @splat(g.alpha)));
                    }
                } else {
                    for (0..w) |j| crow[j] = if (beta == 0) g.alpha * arow[j] else g.alpha * arow[j] + beta * crow[j];
                }
            }
        }
    }
}

fn gemmRangeAmx(g: *const Gemm, i_begin: usize, i_end: usize, j_begin: usize, j_end: usize, slot: *Slot) void {
    if (g.k == 0) return gemmRange(g, i_begin, i_end, j_begin, j_end, slot);
    tileConfig();
    defer tileRelease();
    const bbuf: [*]u32 = @ptrCast(&slot.b);
    const abuf: [*]u32 = @ptrCast(&slot.a);
    var jc = j_begin;
    while (jc < j_end) : (jc += NC) {
        const nc: usize = @min(NC, j_end - jc);
        const pw = ((nc + NR - 1) / NR) * NR;
        // k block (a multiple of 32): as long as the packed B block (kc/2 × pw words) and a
        // 32-row block of A (32 × kc/2 words) fit their buffers.
        const kc_fit: usize = @as(usize, @min(b_buf_len / pw, a_buf_len / 32)) / 16 * 32;
        const kc_max: usize = @min(kc_fit, (g.k + 31) / 32 * 32);
        var pc: usize = 0;
        while (pc < g.k) : (pc += kc_max) {
            const kc: usize = @min(kc_max, g.k - pc);
            const kp16 = ((kc + 1) / 2 + 15) / 16 * 16;
            packBBf16Rows(g.trans_b, g.b, g.ldb, pc, kc, jc, nc, bbuf, kp16);
            const mc_max: usize = @min(@as(usize, MC / 32 * 32), a_buf_len / kp16 / 32 * 32);
            var ic = i_begin;
            while (ic < i_end) : (ic += mc_max) {
                const mc: usize = @min(mc_max, i_end - ic);
                packAAmx(g.trans_a, g.a, g.lda, ic, mc, pc, kc, abuf, kp16);
                runBlockAmx(g, ic, mc, jc, nc, pc, kp16, bbuf, abuf);
            }
        }
    }
}

const ARCH_REQ_XCOMP_PERM = 0x1023;
const XFEATURE_XTILEDATA = 18;

var amx_ok: std.atomic.Value(u8) = std.atomic.Value(u8).init(2); // 2 = not yet probed
var amx_mutex: std.Thread.Mutex = .{};

/// Bits of `amxSupport`.
pub const amx_cpu: u32 = 1; // CPUID leaf 7 EDX: AMX-BF16 (bit 22) and AMX-TILE (bit 24)
pub const amx_os: u32 = 2; // XCR0 bits 17, 18 (XTILECFG, XTILEDATA) and arch_prctl granted the tile data
pub const amx_build: u32 = 4; // this library contains the AMX kernel (x86-64 Linux with AVX-512)

/// Which conditions of the AMX kernel hold (asks Linux for the tile-data state on the first call).
pub fn amxSupport() u32 {
    var bits: u32 = 0;
    if (has_amx_kernel) bits |= amx_build;
    if (comptime !builtin.cpu.arch.isX86()) return bits;
    const max_leaf = cpuid(0, 0).eax;
    if (max_leaf >= 7) {
        const edx = cpuid(7, 0).edx;
        if ((edx >> 22) & 1 == 1 and (edx >> 24) & 1 == 1) bits |= amx_cpu;
    }
    if (comptime has_amx_kernel) {
        if (bits & amx_cpu != 0 and max_leaf >= 1 and (cpuid(1, 0).ecx >> 27) & 1 == 1) {
            const want: u64 = (1 << 17) | (1 << 18);
            if (xgetbv0() & want == want) {
                amx_mutex.lock();
                defer amx_mutex.unlock();
                const rc = std.os.linux.syscall2(.arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA);
                if (std.os.linux.E.init(rc) == .SUCCESS) bits |= amx_os;
            }
        }
    }
    return bits;
}

pub fn amxAvailable() bool {
    var v = amx_ok.load(.acquire);
    if (v == 2) {
        v = @intFromBool(amxSupport() == amx_cpu | amx_os | amx_build);
        amx_ok.store(v, .release);
    }
    return v == 1;
}

// ---- run-time detection of AVX512_BF16 -------------------------------------------------------

const CpuidRegs = struct { eax: u32, ebx: u32, ecx: u32, edx: u32 };

fn cpuid(leaf: u32, sub: u32) CpuidRegs {
    var eax: u32 = undefined;
    var ebx: u32 = undefined;
    var ecx: u32 = undefined;
    var edx: u32 = undefined;
    asm volatile ("cpuid"
        : [eax] "={eax}" (eax),
          [ebx] "={ebx}" (ebx),
          [ecx] "={ecx}" (ecx),
          [edx] "={edx}" (edx),
        : [leaf] "{eax}" (leaf),
          [sub] "{ecx}" (sub),
    );
    return .{ .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx };
}

/// XCR0: the register states the OS saves and restores (enabled with XSETBV).
fn xgetbv0() u64 {
    var lo: u32 = undefined;
    var hi: u32 = undefined;
    asm volatile ("xgetbv"
        : [lo] "={eax}" (lo),
          [hi] "={edx}" (hi),
        : [idx] "{ecx}" (@as(u32, 0)),
    );
    return (@as(u64, hi) << 32) | lo;
}

/// Bits of `bf16Support`.
pub const bf16_cpu: u32 = 1; // CPUID: AVX512F (leaf 7 EBX bit 16) and AVX512_BF16 (leaf 7.1 EAX bit 5)
pub const bf16_os: u32 = 2; // OSXSAVE (leaf 1 ECX bit 27) and XCR0 enables SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
pub const bf16_build: u32 = 4; // this library was compiled with the vdpbf16ps kernel (x86-64 + AVX-512)

/// Which of the three conditions of the native bf16 kernel hold; it runs only when all do.
pub fn bf16Support() u32 {
    var bits: u32 = 0;
    if (has_native_bf16_kernel) bits |= bf16_build;
    if (comptime !builtin.cpu.arch.isX86()) return bits;
    const max_leaf = cpuid(0, 0).eax;
    if (max_leaf >= 7) {
        const l7 = cpuid(7, 0);
        const avx512f = (l7.ebx >> 16) & 1 == 1;
        const bf16 = l7.eax >= 1 and (cpuid(7, 1).eax >> 5) & 1 == 1;
        if (avx512f and bf16) bits |= bf16_cpu;
    }
    if (max_leaf >= 1 and (cpuid(1, 0).ecx >> 27) & 1 == 1) {
        const want: u64 = 0b1110_0110; // XCR0 bits 1, 2 (SSE, AVX), 5, 6, 7 (opmask, ZMM_Hi256, Hi16_ZMM)
        if (xgetbv0() & want == want) bits |= bf16_os;
    }
    return bits;
}

var native_ok: std.atomic.Value(u8) = std.atomic.Value(u8).init(2); // 2 = not yet probed

pub fn bf16NativeAvailable() bool {
    var v = native_ok.load(.monotonic);
    if (v == 2) {
        v = @intFromBool(bf16Support() == bf16_cpu | bf16_os | bf16_build);
        native_ok.store(v, .monotonic);
    }
    return v == 1;
}

/// Which bf16 kernel runs: `auto` the fastest available (AMX, else vdpbf16ps, else the emulation);
/// `avx512` vdpbf16ps (else the emulation); `amx` AMX (else as `auto`); `emulated` the emulation
/// (bit-identical to vdpbf16ps; for tests and for CPUs without AVX512_BF16).
pub const Bf16Impl = enum(u32) { auto = 0, emulated = 1, avx512 = 2, amx = 3 };

fn bf16Mode(impl: Bf16Impl) Mode {
    return switch (impl) {
        .emulated => .bf16_emulated,
        .avx512 => if (bf16NativeAvailable()) .bf16_native else .bf16_emulated,
        .amx, .auto => if (amxAvailable()) .bf16_amx else bf16Mode(.avx512),
    };
}

/// The kernel `impl` resolves to on this machine: 1 emulated, 2 vdpbf16ps, 3 AMX.
pub fn bf16Resolved(impl: Bf16Impl) u32 {
    return switch (bf16Mode(impl)) {
        .bf16_emulated => 1,
        .bf16_native => 2,
        .bf16_amx => 3,
        .f32 => unreachable,
    };
}

/// C = alpha·bf16(op(A))·bf16(op(B)) + beta·C with float32 accumulation (see above).
pub fn gemmBf16(g: Gemm, impl: Bf16Impl) void {
    gemmThreads(g, pool.threadCount(), bf16Mode(impl));
}

/// `gemmBatched` in bf16.
pub fn gemmBatchedBf16(g: Gemm, batch: usize, stride_a: usize, stride_b: usize, stride_c: usize, impl: Bf16Impl) void {
    gemmBatchedMode(g, batch, stride_a, stride_b, stride_c, bf16Mode(impl));
}

/// Naive reference of the bf16 GEMM: inputs rounded with `bf16Bits`, float64 accumulation.
pub fn gemmReferenceBf16(g: Gemm) void {
    const r = struct {
        fn f(x: f32) f64 {
            return @as(f32, @bitCast(@as(u32, bf16Bits(x)) << 16));
        }
    }.f;
    for (0..g.m) |i| {
        for (0..g.n) |j| {
            var s: f64 = 0;
            for (0..g.k) |p| {
                const x = if (g.trans_a) g.a[p * g.lda + i] else g.a[i * g.lda + p];
                const y = if (g.trans_b) g.b[j * g.ldb + p] else g.b[p * g.ldb + j];
                s += r(x) * r(y);
            }
            const c = &g.c[i * g.ldc + j];
            const ab: f32 = @floatCast(@as(f64, g.alpha) * s);
            c.* = if (g.beta == 0) ab else ab + g.beta * c.*;
        }
    }
}

// ---- C ABI ---------------------------------------------------------------------------

export fn pb_gemm(trans_a: u32, trans_b: u32, m: usize, n: usize, k: usize, alpha: f32, a: [*]const f32, lda: usize, b: [*]const f32, ldb: usize, beta: f32, c: [*]f32, ldc: usize) void {
    gemm(.{ .trans_a = trans_a != 0, .trans_b = trans_b != 0, .m = m, .n = n, .k = k, .alpha = alpha, .a = a, .lda = lda, .b = b, .ldb = ldb, .beta = beta, .c = c, .ldc = ldc });
}

export fn pb_gemm_batched(trans_a: u32, trans_b: u32, m: usize, n: usize, k: usize, alpha: f32, a: [*]const f32, lda: usize, b: [*]const f32, ldb: usize, beta: f32, c: [*]f32, ldc: usize, batch: usize, stride_a: usize, stride_b: usize, stride_c: usize) void {
    gemmBatched(.{ .trans_a = trans_a != 0, .trans_b = trans_b != 0, .m = m, .n = n, .k = k, .alpha = alpha, .a = a, .lda = lda, .b = b, .ldb = ldb, .beta = beta, .c = c, .ldc = ldc }, batch, stride_a, stride_b, stride_c);
}

export fn pb_gemm_bf16_support() u32 {
    return bf16Support();
}

fn implOf(impl: u32) Bf16Impl {
    return switch (impl) {
        1 => .emulated,
        2 => .avx512,
        3 => .amx,
        else => .auto,
    };
}

/// The kernel a bf16 GEMM asked for `impl` runs here: 1 emulated, 2 vdpbf16ps, 3 AMX.
export fn pb_gemm_bf16_resolve(impl: u32) u32 {
    return bf16Resolved(implOf(impl));
}

export fn pb_gemm_amx_support() u32 {
    return amxSupport();
}

/// `pb_gemm` in bf16; impl (`Bf16Impl`): 0 auto, 1 emulated, 2 vdpbf16ps, 3 AMX (each falling back when unavailable).
export fn pb_gemm_bf16(impl: u32, trans_a: u32, trans_b: u32, m: usize, n: usize, k: usize, alpha: f32, a: [*]const f32, lda: usize, b: [*]const f32, ldb: usize, beta: f32, c: [*]f32, ldc: usize) void {
    gemmBf16(.{ .trans_a = trans_a != 0, .trans_b = trans_b != 0, .m = m, .n = n, .k = k, .alpha = alpha, .a = a, .lda = lda, .b = b, .ldb = ldb, .beta = beta, .c = c, .ldc = ldc }, implOf(impl));
}

export fn pb_gemm_batched_bf16(impl: u32, trans_a: u32, trans_b: u32, m: usize, n: usize, k: usize, alpha: f32, a: [*]const f32, lda: usize, b: [*]const f32, ldb: usize, beta: f32, c: [*]f32, ldc: usize, batch: usize, stride_a: usize, stride_b: usize, stride_c: usize) void {
    gemmBatchedBf16(.{ .trans_a = trans_a != 0, .trans_b = trans_b != 0, .m = m, .n = n, .k = k, .alpha = alpha, .a = a, .lda = lda, .b = b, .ldb = ldb, .beta = beta, .c = c, .ldc = ldc }, batch, stride_a, stride_b, stride_c, implOf(impl));
}

// ---- tests ---------------------------------------------------------------------------

const testing = std.testing;

fn fillRandom(rng: std.Random, x: []f32) void {
    for (x) |*v| v.* = rng.float(f32) * 2 - 1;
}

/// Random A (m, k) and B (k, n) of a test GEMM, stored as the transposes say, every row padded by
/// `pad` and one element more at the end (a kernel that reads or writes past its rows shows).
const TestOperands = struct {
    a: []f32,
    b: []f32,
    lda: usize,
    ldb: usize,
    /// The leading dimension of C: n + pad.
    ldc: usize,

    fn init(rng: std.Random, ta: bool, tb: bool, m: usize, n: usize, k: usize, pad: usize) !TestOperands {
        const lda = (if (ta) m else k) + pad;
        const ldb = (if (tb) k else n) + pad;
        const a = try testing.allocator.alloc(f32, (if (ta) k else m) * lda + 1);
        errdefer testing.allocator.free(a);
        const b = try testing.allocator.alloc(f32, (if (tb) n else k) * ldb + 1);
        fillRandom(rng, a);
        fillRandom(rng, b);
        return .{ .a = a, .b = b, .lda = lda, .ldb = ldb, .ldc = n + pad };
    }

    fn deinit(self: TestOperands) void {
        testing.allocator.free(self.a);
        testing.allocator.free(self.b);
    }
};

fn checkCase(ta: bool, tb: bool, m: usize, n: usize, k: usize, alpha: f32, beta: f32, pad: usize, threads: usize) !void {
    return checkCaseRows(ta, tb, m, n, k, alpha, beta, pad, threads, 1);
}

/// Checks rows i of C with i % row_step == 0 (and the last row) against the reference.
fn checkCaseRows(ta: bool, tb: bool, m: usize, n: usize, k: usize, alpha: f32, beta: f32, pad: usize, threads: usize, row_step: usize) !void {
    const alloc = testing.allocator;
    var prng = std.Random.DefaultPrng.init(m * 1_000_003 + n * 1009 + k * 7 + @as(usize, @intFromBool(ta)) * 2 + @intFromBool(tb));
    const rng = prng.random();
    const ops = try TestOperands.init(rng, ta, tb, m, n, k, pad);
    defer ops.deinit();
    const c = try alloc.alloc(f32, m * ops.ldc + 1);
    defer alloc.free(c);
    const expect = try alloc.alloc(f32, m * ops.ldc + 1);
    defer alloc.free(expect);
    if (beta == 0) {
        @memset(c, std.math.nan(f32));
        @memset(expect, std.math.nan(f32));
    } else {
        fillRandom(rng, c);
        @memcpy(expect, c);
    }
    const g: Gemm = .{ .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .alpha = alpha, .a = ops.a.ptr, .lda = ops.lda, .b = ops.b.ptr, .ldb = ops.ldb, .beta = beta, .c = expect.ptr, .ldc = ops.ldc };
    var i_ref: usize = 0;
    while (i_ref < m) : (i_ref = if (i_ref + row_step < m or i_ref == m - 1) i_ref + row_step else m - 1) {
        var gi = g;
        gi.m = 1;
        gi.a += if (ta) i_ref else i_ref * ops.lda;
        gi.c += i_ref * ops.ldc;
        gemmReference(gi);
    }
    var gf = g;
    gf.c = c.ptr;
    _ = pool.setThreads(threads);
    gemm(gf);
    for (0..m) |i| {
        if (i % row_step != 0 and i != m - 1) continue;
        for (0..ops.ldc) |j| {
            const got = c[i * ops.ldc + j];
            const want = expect[i * ops.ldc + j];
            if (j >= n) {
                // Padding columns are never written.
                if (beta == 0) try testing.expect(std.math.isNan(got)) else try testing.expectEqual(want, got);
                continue;
            }
            const tol = 1e-5 * @as(f32, @floatFromInt(k + 1)) * (1 + @abs(want));
            if (!(@abs(got - want) <= tol)) {
                std.debug.print("gemm ta={} tb={} m={} n={} k={} alpha={d} beta={d}: C[{}][{}] = {d}, want {d}\n", .{ ta, tb, m, n, k, alpha, beta, i, j, got, want });
                return error.TestUnexpectedResult;
            }
        }
    }
}

test "gemm matches the naive reference for all transposes and odd sizes" {
    const sizes = [_]usize{ 1, 3, 7, 17, 64, 65, 129 };
    const threads = pool.setThreads(1000);
    defer _ = pool.setThreads(threads);
    for ([_]bool{ false, true }) |ta| for ([_]bool{ false, true }) |tb| {
        for (sizes) |m| for (sizes) |n| for ([_]usize{ 1, 7, 64, 65 }) |k| {
            try checkCase(ta, tb, m, n, k, 1, 0, 0, threads);
        };
        try checkCase(ta, tb, 63, 127, 385, 0.5, 1, 3, threads);
        try checkCase(ta, tb, 130, 70, 800, -1.5, 0.25, 1, 1);
        try checkCase(ta, tb, 129, 128, 9, 2, 1, 0, threads);
    };
}

test "gemm: beta = 0 ignores NaN in C, k = 0 scales C, large blocks and many tasks" {
    const threads = pool.setThreads(1000);
    defer _ = pool.setThreads(threads);
    try checkCase(false, false, 5, 6, 0, 1, 0, 0, threads);
    try checkCase(false, false, 5, 6, 0, 1, 0.5, 2, threads);
    try checkCase(false, false, 300, 5000, 20, 1, 0, 0, threads); // several column blocks
    try checkCase(true, false, 40, 50, 2000, 1, 1, 0, threads); // several k blocks
    try checkCase(false, true, 1000, 64, 100, 1, 0, 0, 1);
    // several row blocks (MC), column blocks (NC) and k blocks (KC) at once
    for ([_]bool{ false, true }) |ta| for ([_]bool{ false, true }) |tb| {
        try checkCaseRows(ta, tb, 2100, 4200, 300, 1, 0.5, 1, threads, 97);
        // k split (small C, long k), with beta ≠ 0 and padded leading dimensions
        try checkCase(ta, tb, 20, 70, 3000, 0.5, -1, 2, threads);
        try checkCase(ta, tb, 64, 192, 2 * KC * 2 + 5, 1, 0, 0, 2);
    };
}

/// A batched product against one product per matrix, over batch sizes and transposes:
/// `batched(g, batch, stride_a, stride_b, stride_c)` and `single(g)`; `tolerance` null: exact.
fn expectBatchedMatchesPerMatrix(seed: u64, comptime batched: fn (Gemm, usize, usize, usize, usize) void, comptime single: fn (Gemm) void, tolerance: ?f32) !void {
    const alloc = testing.allocator;
    var prng = std.Random.DefaultPrng.init(seed);
    const rng = prng.random();
    const threads = pool.setThreads(1000);
    defer _ = pool.setThreads(threads);
    for ([_]usize{ 1, 3, 8 }) |batch| for ([_]bool{ false, true }) |ta| for ([_]bool{ false, true }) |tb| {
        const m = 13;
        const n = 21;
        const k = 9;
        const a = try alloc.alloc(f32, batch * m * k);
        defer alloc.free(a);
        const b = try alloc.alloc(f32, batch * k * n);
        defer alloc.free(b);
        const c = try alloc.alloc(f32, batch * m * n);
        defer alloc.free(c);
        const expect = try alloc.alloc(f32, batch * m * n);
        defer alloc.free(expect);
        fillRandom(rng, a);
        fillRandom(rng, b);
        fillRandom(rng, c);
        @memcpy(expect, c);
        const g: Gemm = .{ .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .alpha = 1, .a = a.ptr, .lda = if (ta) m else k, .b = b.ptr, .ldb = if (tb) k else n, .beta = 0.5, .c = c.ptr, .ldc = n };
        batched(g, batch, m * k, k * n, m * n);
        for (0..batch) |i| {
            var gi = g;
            gi.a += i * m * k;
            gi.b += i * k * n;
            gi.c = expect.ptr + i * m * n;
            single(gi);
        }
        for (c, expect) |got, want| {
            if (tolerance) |tol| try testing.expectApproxEqAbs(want, got, tol) else try testing.expectEqual(want, got);
        }
    };
}

test "batched gemm matches per-matrix gemm" {
    try expectBatchedMatchesPerMatrix(42, gemmBatched, gemmReference, 1e-4);
}

test "bf16Bits rounds to nearest even, keeps NaN and infinities, flushes subnormals" {
    const cases = [_][2]u32{
        .{ 0x3F80_0000, 0x3F80 }, // 1
        .{ 0x3F80_8000, 0x3F80 }, // tie, even stays
        .{ 0x3F81_8000, 0x3F82 }, // tie, odd rounds up
        .{ 0x3F80_8001, 0x3F81 }, // above the tie
        .{ 0xBF80_7FFF, 0xBF80 }, // below the tie, negative
        .{ 0x7F7F_FFFF, 0x7F80 }, // max float rounds to +inf
        .{ 0xFF80_0000, 0xFF80 }, // -inf
        .{ 0x7FC0_0001, 0x7FC0 }, // NaN stays NaN
        .{ 0x7F80_0001, 0x7FC0 }, // signalling NaN → quiet NaN
        .{ 0x0000_0001, 0x0000 }, // subnormal → +0
        .{ 0x8040_0000, 0x8000 }, // subnormal → −0
        .{ 0x007F_FFFF, 0x0080 }, // rounds up to the smallest normal bf16
    };
    for (cases) |cs| try testing.expectEqual(@as(u16, @intCast(cs[1])), bf16Bits(@bitCast(cs[0])));
    // The vector rounding equals the scalar one on random bit patterns.
    var prng = std.Random.DefaultPrng.init(7);
    for (0..2000) |_| {
        var x: [V]f32 = undefined;
        for (&x) |*e| e.* = @bitCast(prng.random().int(u32));
        const got: [V]u32 = bf16High(x);
        for (x, got) |e, g| try testing.expectEqual(@as(u32, bf16Bits(e)) << 16, g);
    }
}

/// Runs the bf16 GEMM (native when available, and emulated) against `gemmReferenceBf16`, with the
/// float32 summation bound |fl(Σ) − Σ| ≤ (k+1)·2⁻²⁴·Σ|a·b| (any summation order), Σ|a·b| taken
/// from the reference on |A|, |B|; the native and emulated results must be bit-identical. The AMX
/// kernel (where available, else the same as native) sums in another order: only the bound applies.
fn checkBf16(ta: bool, tb: bool, m: usize, n: usize, k: usize, alpha: f32, beta: f32, pad: usize, threads: usize) !void {
    const alloc = testing.allocator;
    var prng = std.Random.DefaultPrng.init(m * 31 + n * 17 + k);
    const rng = prng.random();
    const ops = try TestOperands.init(rng, ta, tb, m, n, k, pad);
    defer ops.deinit();
    const abs_a = try alloc.alloc(f32, ops.a.len);
    defer alloc.free(abs_a);
    const abs_b = try alloc.alloc(f32, ops.b.len);
    defer alloc.free(abs_b);
    var bufs: [5][]f32 = undefined; // c0 (initial C), expect, native, emulated, AMX
    for (&bufs) |*x| x.* = try alloc.alloc(f32, m * ops.ldc + 1);
    defer for (bufs) |x| alloc.free(x);
    const sum_abs = try alloc.alloc(f32, m * ops.ldc + 1);
    defer alloc.free(sum_abs);
    for (abs_a, ops.a) |*d, x| d.* = @abs(x);
    for (abs_b, ops.b) |*d, x| d.* = @abs(x);
    if (beta == 0) @memset(bufs[0], std.math.nan(f32)) else fillRandom(rng, bufs[0]);
    for (bufs[1..]) |x| @memcpy(x, bufs[0]);
    const g: Gemm = .{ .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .alpha = alpha, .a = ops.a.ptr, .lda = ops.lda, .b = ops.b.ptr, .ldb = ops.ldb, .beta = beta, .c = bufs[1].ptr, .ldc = ops.ldc };
    gemmReferenceBf16(g);
    var gs = g;
    gs.a = abs_a.ptr;
    gs.b = abs_b.ptr;
    gs.alpha = 1;
    gs.beta = 0;
    gs.c = sum_abs.ptr;
    gemmReferenceBf16(gs);
    _ = pool.setThreads(threads);
    var gn = g;
    gn.c = bufs[2].ptr;
    gemmBf16(gn, .avx512);
    var ge = g;
    ge.c = bufs[3].ptr;
    gemmBf16(ge, .emulated);
    var gx = g;
    gx.c = bufs[4].ptr;
    gemmBf16(gx, .amx);
    const u: f32 = std.math.pow(f32, 2, -24);
    for (0..m) |i| for (0..ops.ldc) |j| {
        const at = i * ops.ldc + j;
        const want = bufs[1][at];
        for (bufs[2..]) |got_buf| {
            const got = got_buf[at];
            if (j >= n) {
                if (beta == 0) try testing.expect(std.math.isNan(got)) else try testing.expectEqual(want, got);
                continue;
            }
            const tol = @as(f32, @floatFromInt(k + 1)) * u * @abs(alpha) * sum_abs[at] + 4 * u * (@abs(want) + if (beta == 0) 0 else @abs(beta * bufs[0][at]));
            if (!(@abs(got - want) <= tol)) {
                std.debug.print("bf16 gemm ta={} tb={} m={} n={} k={}: C[{}][{}] = {d}, want {d} (tol {e})\n", .{ ta, tb, m, n, k, i, j, got, want, tol });
                return error.TestUnexpectedResult;
            }
        }
        if (j < n) try testing.expectEqual(@as(u32, @bitCast(bufs[3][at])), @as(u32, @bitCast(bufs[2][at])));
    };
}

test "bf16 gemm matches the bf16 reference; native and emulated are bit-identical" {
    const threads = pool.setThreads(1000);
    defer _ = pool.setThreads(threads);
    const sizes = [_]usize{ 1, 3, 7, 17, 64, 65, 129 };
    for ([_]bool{ false, true }) |ta| for ([_]bool{ false, true }) |tb| {
        for (sizes) |m| for (sizes) |n| for ([_]usize{ 1, 2, 7, 64, 65 }) |k| {
            try checkBf16(ta, tb, m, n, k, 1, 0, 0, threads);
        };
        try checkBf16(ta, tb, 63, 127, 385, 0.5, 1, 3, threads);
        try checkBf16(ta, tb, 130, 70, 801, -1.5, 0.25, 1, 1);
        try checkBf16(ta, tb, 20, 70, 3000, 0.5, -1, 2, threads); // k split
        try checkBf16(ta, tb, 1100, 2100, 33, 1, 0, 1, threads); // several row and column blocks
    };
    try checkBf16(false, false, 5, 6, 0, 1, 0.5, 2, threads);
}

test "bf16 gemm rounds its inputs: (1 + 2⁻¹⁰) is 1 in bf16" {
    var a: [3 * 40]f32 = undefined;
    var b: [40 * 5]f32 = undefined;
    var c: [15]f32 = undefined;
    @memset(&a, 1 + std.math.pow(f32, 2, -10));
    @memset(&b, 1);
    for ([_]Bf16Impl{ .auto, .emulated, .avx512, .amx }) |impl| {
        gemmBf16(.{ .trans_a = false, .trans_b = false, .m = 3, .n = 5, .k = 40, .alpha = 1, .a = &a, .lda = 40, .b = &b, .ldb = 5, .beta = 0, .c = &c, .ldc = 5 }, impl);
        for (c) |x| try testing.expectEqual(@as(f32, 40), x);
    }
}

test "batched bf16 gemm matches per-matrix bf16 gemm" {
    const kernels = struct {
        fn batched(g: Gemm, batch: usize, sa: usize, sb: usize, sc: usize) void {
            gemmBatchedBf16(g, batch, sa, sb, sc, .avx512);
        }
        fn single(g: Gemm) void {
            gemmBf16(g, .emulated);
        }
    };
    try expectBatchedMatchesPerMatrix(3, kernels.batched, kernels.single, null);
}

test "bf16 detection agrees with the compile-time CPU features of a native build" {
    const bits = bf16Support();
    // A library compiled for a CPU with AVX512_BF16 (-mcpu=native here) runs on one: CPUID must say so.
    if (comptime builtin.cpu.arch.isX86() and builtin.cpu.has(.x86, .avx512bf16) and builtin.cpu.has(.x86, .avx512f)) {
        try testing.expect(bits & bf16_cpu != 0);
    }
    try testing.expectEqual(has_native_bf16_kernel, bits & bf16_build != 0);
    try testing.expectEqual(bits == bf16_cpu | bf16_os | bf16_build, bf16NativeAvailable());
    const amx = amxSupport();
    if (comptime builtin.cpu.arch.isX86() and builtin.cpu.has(.x86, .amx_bf16) and builtin.cpu.has(.x86, .amx_tile)) {
        try testing.expect(amx & amx_cpu != 0);
    }
    try testing.expectEqual(amx == amx_cpu | amx_os | amx_build, amxAvailable());
    try testing.expectEqual(@as(u32, 1), bf16Resolved(.emulated));
    try testing.expectEqual(@as(u32, if (bf16NativeAvailable()) 2 else 1), bf16Resolved(.avx512));
    try testing.expectEqual(@as(u32, if (amxAvailable()) 3 else bf16Resolved(.avx512)), bf16Resolved(.auto));
    std.debug.print("bf16 kernels here: auto → {}, amx → {} (1 emulated, 2 vdpbf16ps, 3 AMX)\n", .{ bf16Resolved(.auto), bf16Resolved(.amx) });
}
