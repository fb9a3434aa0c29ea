//! Stop signals for long computations (`bun run train`).
//!
//! A JavaScript signal listener runs only when the event loop gets a turn, and a training loop
//! that calls kernels back to back never yields: Ctrl-C would be seen after the last step. So
//! SIGINT and SIGTERM are caught here, natively. The first signal records a stop request (its
//! signal number) in `pending`; TypeScript reads that word through a pointer before every kernel
//! call (packages/tensor/src/native/signals.ts) and abandons the computation between two
//! kernels. A second signal quits at once: the handler writes one line and calls `_exit(128 + sig)`
//! (both async-signal-safe), so it works even while a kernel or a file write is still running.
//!
//! One key press can arrive twice: a terminal sends Ctrl-C's SIGINT to the whole foreground
//! process group, and `bun run` also forwards the SIGINT it receives to its script. Deliveries
//! within `same_request_ns` of the first are therefore the same request, not a second one.
const std = @import("std");
const c = std.c;
const Atomic = std.atomic.Value;

/// Signal number of the pending stop request; 0 = none. Read from TypeScript via `pb_signals_flag`.
var pending: Atomic(i32) = Atomic(i32).init(0);
/// CLOCK_MONOTONIC time (ns) of the first delivery of the request.
var pending_at: Atomic(i64) = Atomic(i64).init(0);
/// Default of the window in which deliveries are duplicates of the first (see the file comment).
pub const same_request_ns: i64 = 500 * std.time.ns_per_ms;
/// The window in force (set by `pb_signals_catch`).
var window_ns: Atomic(i64) = Atomic(i64).init(same_request_ns);

const caught = [_]u8{ c.SIG.INT, c.SIG.TERM };
var previous: [caught.len]c.Sigaction = undefined;
var installed: bool = false;

fn monotonicNs() i64 {
    var ts: c.timespec = undefined;
    if (c.clock_gettime(c.CLOCK.MONOTONIC, &ts) != 0) return 0;
    return @as(i64, ts.sec) * std.time.ns_per_s + @as(i64, ts.nsec);
}

/// What a delivery does, given the pending request and the times: record the first request,
/// ignore a duplicate of it, or quit on a second one. Pure, so it is unit-tested.
const Action = enum { record, duplicate, quit };

fn classify(pending_sig: i32, first_ns: i64, now_ns: i64, window: i64) Action {
    if (pending_sig == 0) return .record;
    if (now_ns - first_ns < window) return .duplicate;
    return .quit;
}

fn onSignal(sig: c_int) callconv(.c) void {
    const now = monotonicNs();
    switch (classify(pending.load(.seq_cst), pending_at.load(.seq_cst), now, window_ns.load(.seq_cst))) {
        .record => {
            pending_at.store(now, .seq_cst);
            pending.store(sig, .seq_cst);
        },
        .duplicate => {},
        .quit => {
            const msg = "\nsecond stop signal: quitting at once\n";
            _ = c.write(2, msg, msg.len);
            c._exit(128 + sig);
        },
    }
}

/// Catches SIGINT and SIGTERM (idempotent) and clears any pending request. Deliveries within
/// `window_ms` of a request are the same request (negative: the default, 500 ms). Returns 0.
export fn pb_signals_catch(window_ms: i32) i32 {
    window_ns.store(if (window_ms < 0) same_request_ns else @as(i64, window_ms) * std.time.ns_per_ms, .seq_cst);
    pending.store(0, .seq_cst);
    if (installed) return 0;
    var mask: c.sigset_t = undefined;
    _ = c.sigemptyset(&mask);
    // While one of the two is handled, the other waits: the handler never interleaves with itself.
    for (caught) |sig| _ = c.sigaddset(&mask, sig);
    const action = c.Sigaction{
        .handler = .{ .handler = onSignal },
        .mask = mask,
        // SA_RESTART: system calls interrupted by the first signal (file writes, futex waits) resume.
        .flags = c.SA.RESTART,
    };
    for (caught, 0..) |sig, i| {
        if (c.sigaction(sig, &action, &previous[i]) != 0) return -1;
    }
    installed = true;
    return 0;
}

/// Puts back the handlers that were in place before `pb_signals_catch`, and clears the request.
export fn pb_signals_release() void {
    if (installed) {
        for (caught, 0..) |sig, i| _ = c.sigaction(sig, &previous[i], null);
        installed = false;
    }
    pending.store(0, .seq_cst);
}

/// The pending request's signal number, or 0.
export fn pb_signals_pending() i32 {
    return pending.load(.seq_cst);
}

/// Address of the request word, so TypeScript can read it before every kernel call without a call.
export fn pb_signals_flag() *const i32 {
    return &pending.raw;
}

/// Clears the pending request (after it was handled, or in tests).
export fn pb_signals_clear() void {
    pending.store(0, .seq_cst);
}

test "classify: the first delivery records, a quick repeat is the same request, a later one quits" {
    const w = same_request_ns;
    try std.testing.expectEqual(Action.record, classify(0, 0, 123, w));
    try std.testing.expectEqual(Action.duplicate, classify(c.SIG.INT, 1_000, 1_000 + w - 1, w));
    try std.testing.expectEqual(Action.quit, classify(c.SIG.INT, 1_000, 1_000 + w, w));
    try std.testing.expectEqual(Action.quit, classify(c.SIG.TERM, 0, 5 * std.time.ns_per_s, w));
    try std.testing.expectEqual(Action.quit, classify(c.SIG.INT, 1_000, 1_000, 0)); // window 0: every repeat quits
}

test "a raised SIGINT or SIGTERM becomes a pending request; a duplicate within the window is ignored" {
    try std.testing.expectEqual(@as(i32, 0), pb_signals_catch(-1));
    defer pb_signals_release();
    try std.testing.expectEqual(@as(i32, 0), pb_signals_pending());
    _ = c.raise(c.SIG.INT);
    try std.testing.expectEqual(@as(i32, c.SIG.INT), pb_signals_pending());
    try std.testing.expectEqual(@as(i32, c.SIG.INT), pb_signals_flag().*);
    _ = c.raise(c.SIG.TERM); // within the window: the same request, no exit
    try std.testing.expectEqual(@as(i32, c.SIG.INT), pb_signals_pending());
    pb_signals_clear();
    _ = c.raise(c.SIG.TERM);
    try std.testing.expectEqual(@as(i32, c.SIG.TERM), pb_signals_pending());
}
