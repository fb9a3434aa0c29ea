//! The one persistent thread pool every kernel parallelizes over.
//!
//! Created lazily on the first parallel call and never torn down: `size` workers
//! (the calling thread is one of them, so `size - 1` OS threads are spawned once).
//! The size is the number of available cores, or `PULLBACK_THREADS` when set.
//! `pb_set_threads(n)` limits how many of them a call uses (1 ≤ n ≤ size).
//!
//! A parallel call hands out task indices 0..n_tasks from an atomic counter; every
//! participating thread (the caller included) takes indices until none are left, so
//! uneven tasks balance themselves. Idle workers spin briefly, then sleep on a futex.
//!
//! A worker joins a job by registering in `join_state` while the job is open; once the caller
//! has run out of tasks it closes the job and waits only for the workers that joined (they may
//! be inside a task). A worker that has not joined by then — descheduled by another process on a
//! shared machine, or still waking from its futex — is not waited for: the caller has already
//! taken its tasks, and a late worker sees the job closed and goes back to sleep. Without this, a
//! parallel call on a loaded machine can wait a whole scheduler time slice for a worker that has
//! no work left to do.
//! A call made from inside a task runs serially on that thread (no nested parallelism).
const std = @import("std");
const builtin = @import("builtin");
const Atomic = std.atomic.Value;
const Futex = std.Thread.Futex;

pub const max_threads = 256;

const TaskFn = *const fn (ctx: *const anyopaque, task: usize) void;

const Job = struct {
    func: TaskFn,
    ctx: *const anyopaque,
    n_tasks: usize,
    /// Threads taking part, the caller included.
    n_threads: usize,
    next: Atomic(usize) = Atomic(usize).init(0),
};

/// `closed` | the number of workers inside the current job. Workers join (count + 1) only
/// while the job is open; the caller closes it and waits for the count to drop to 0. The job
/// (on the caller's stack) is only read by workers counted here, so it outlives every reader.
var join_state: Atomic(u32) = Atomic(u32).init(closed);
const closed: u32 = 1 << 31;

var init_once = std.once(initPool);
var pool_size: usize = 1;
var active_threads: Atomic(usize) = Atomic(usize).init(1);
var workers: [max_threads]?std.Thread = [_]?std.Thread{null} ** max_threads;

/// Bumped once per job; workers sleep on it.
var generation: Atomic(u32) = Atomic(u32).init(0);
var current_job: Atomic(?*Job) = Atomic(?*Job).init(null);
/// One job at a time (calls from several JS threads are serialized).
var submit_mutex: std.Thread.Mutex = .{};

threadlocal var inside_task: bool = false;

const spin_limit = 1 << 14;

fn envThreads() ?usize {
    const value = std.posix.getenv("PULLBACK_THREADS") orelse return null;
    const n = std.fmt.parseInt(usize, std.mem.trim(u8, value, " "), 10) catch return null;
    if (n == 0) return null;
    return @min(n, max_threads);
}

fn initPool() void {
    const cores = std.Thread.getCpuCount() catch 1;
    const size = envThreads() orelse @min(@max(cores, 1), max_threads);
    var spawned: usize = 1;
    while (spawned < size) : (spawned += 1) {
        workers[spawned] = std.Thread.spawn(.{ .stack_size = 1 << 20 }, workerMain, .{spawned}) catch break;
    }
    pool_size = spawned;
    active_threads.store(spawned, .release);
}

fn workerMain(index: usize) void {
    inside_task = true;
    var seen: u32 = 0;
    while (true) {
        var spins: usize = 0;
        var gen = generation.load(.acquire);
        while (gen == seen) : (gen = generation.load(.acquire)) {
            if (spins < spin_limit) {
                spins += 1;
                std.atomic.spinLoopHint();
            } else {
                Futex.wait(&generation, seen);
            }
        }
        seen = gen;
        if (!join()) continue; // closed already: the caller did the work
        const job = current_job.load(.acquire).?;
        if (index < job.n_threads) runTasks(job);
        // Leave; the caller may sleep on join_state once it has closed the job: wake it when we
        // are the last one out.
        if (join_state.fetchSub(1, .acq_rel) == closed + 1) Futex.wake(&join_state, 1);
    }
}

/// Registers this worker in the current job if it is still open.
fn join() bool {
    var s = join_state.load(.acquire);
    while (s & closed == 0) {
        s = join_state.cmpxchgWeak(s, s + 1, .acq_rel, .acquire) orelse return true;
    }
    return false;
}

fn runTasks(job: *Job) void {
    while (true) {
        const i = job.next.fetchAdd(1, .monotonic);
        if (i >= job.n_tasks) return;
        job.func(job.ctx, i);
    }
}

/// Number of threads parallel calls use now.
pub fn threadCount() usize {
    init_once.call();
    return active_threads.load(.acquire);
}

/// Limits the threads parallel calls use to `n` (clamped to 1..pool size); returns the value in force.
pub fn setThreads(n: usize) usize {
    init_once.call();
    const clamped = @max(1, @min(n, pool_size));
    active_threads.store(clamped, .release);
    return clamped;
}

/// Runs `func(ctx, i)` for every i in 0..n_tasks on the pool and returns when all are done.
/// `func` must be safe to call concurrently for distinct i.
pub fn parallelFor(n_tasks: usize, ctx: anytype, comptime func: fn (@TypeOf(ctx), usize) void) void {
    const Ctx = @TypeOf(ctx);
    const Wrap = struct {
        fn call(p: *const anyopaque, i: usize) void {
            const c: *const Ctx = @ptrCast(@alignCast(p));
            func(c.*, i);
        }
    };
    if (n_tasks == 0) return;
    const threads = if (inside_task) 1 else @min(threadCount(), n_tasks);
    if (threads <= 1) {
        for (0..n_tasks) |i| func(ctx, i);
        return;
    }

    submit_mutex.lock();
    defer submit_mutex.unlock();

    var job = Job{ .func = Wrap.call, .ctx = @ptrCast(&ctx), .n_tasks = n_tasks, .n_threads = threads };
    current_job.store(&job, .release);
    join_state.store(0, .release); // open, nobody inside
    _ = generation.fetchAdd(1, .acq_rel);
    Futex.wake(&generation, max_threads);

    inside_task = true;
    runTasks(&job);
    inside_task = false;

    // Every task is taken: close the job, then wait for the workers inside it (running tasks).
    var s = join_state.fetchOr(closed, .acq_rel) | closed;
    var spins: usize = 0;
    while (s != closed) : (s = join_state.load(.acquire)) {
        if (spins < spin_limit) {
            spins += 1;
            std.atomic.spinLoopHint();
        } else {
            Futex.wait(&join_state, s);
        }
    }
    current_job.store(null, .release);
}

/// Splits 0..n into `parts` contiguous ranges of near-equal size; returns range `i`.
pub fn splitRange(n: usize, parts: usize, i: usize) struct { begin: usize, end: usize } {
    const base = n / parts;
    const extra = n % parts;
    const begin = i * base + @min(i, extra);
    return .{ .begin = begin, .end = begin + base + @as(usize, if (i < extra) 1 else 0) };
}

// ---- C ABI ------------------------------------------------------------------

export fn pb_threads_get() usize {
    return threadCount();
}

export fn pb_threads_set(n: usize) usize {
    return setThreads(n);
}

export fn pb_threads_pool_size() usize {
    init_once.call();
    return pool_size;
}

// ---- tests ------------------------------------------------------------------

test "parallelFor visits every index exactly once" {
    var hits: [1000]Atomic(u32) = undefined;
    for (&hits) |*h| h.* = Atomic(u32).init(0);
    const Ctx = struct { hits: []Atomic(u32) };
    for ([_]usize{ 0, 1, 2, 3, 17, 1000 }) |n| {
        for (&hits) |*h| h.store(0, .monotonic);
        parallelFor(n, Ctx{ .hits = hits[0..] }, struct {
            fn f(c: Ctx, i: usize) void {
                _ = c.hits[i].fetchAdd(1, .monotonic);
            }
        }.f);
        for (hits[0..n]) |*h| try std.testing.expectEqual(@as(u32, 1), h.load(.monotonic));
        for (hits[n..]) |*h| try std.testing.expectEqual(@as(u32, 0), h.load(.monotonic));
    }
}

test "many consecutive jobs complete (no lost wake-ups)" {
    var total = Atomic(usize).init(0);
    const Ctx = struct { total: *Atomic(usize) };
    for (0..2000) |_| {
        parallelFor(4, Ctx{ .total = &total }, struct {
            fn f(c: Ctx, i: usize) void {
                _ = c.total.fetchAdd(i + 1, .monotonic);
            }
        }.f);
    }
    try std.testing.expectEqual(@as(usize, 2000 * 10), total.load(.monotonic));
}

test "splitRange covers 0..n without gaps" {
    for ([_]usize{ 0, 1, 5, 64, 65 }) |n| {
        var expect_begin: usize = 0;
        for (0..4) |i| {
            const r = splitRange(n, 4, i);
            try std.testing.expectEqual(expect_begin, r.begin);
            expect_begin = r.end;
        }
        try std.testing.expectEqual(n, expect_begin);
    }
}

test "a job completes while a worker is busy elsewhere; the worker still helps with later jobs" {
    // Hold the pool's other threads out of a job by keeping the first task busy until every
    // other task is done by someone: the caller closes the job without waiting for late joiners.
    var total = Atomic(usize).init(0);
    const Ctx = struct { total: *Atomic(usize), n: usize };
    for ([_]usize{ 2, 3, 64 }) |n| {
        total.store(0, .monotonic);
        parallelFor(n, Ctx{ .total = &total, .n = n }, struct {
            fn f(c: Ctx, i: usize) void {
                if (i == 0) {
                    // Wait (bounded) for the others: whoever runs task 0 overlaps with the rest.
                    var spins: usize = 0;
                    while (c.total.load(.acquire) < c.n - 1 and spins < 1 << 22) : (spins += 1) std.atomic.spinLoopHint();
                }
                _ = c.total.fetchAdd(1, .acq_rel);
            }
        }.f);
        try std.testing.expectEqual(n, total.load(.monotonic));
    }
    try std.testing.expectEqual(closed, join_state.load(.acquire)); // nobody left inside
}
