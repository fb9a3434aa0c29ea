//! Memory advice for tensor buffers that TypeScript allocates.
const std = @import("std");
const builtin = @import("builtin");

const huge_page = 2 << 20;

/// Asks the kernel to back [ptr, ptr + len) with transparent huge pages (Linux, madvise mode):
/// one page fault per 2 MiB instead of per 4 KiB on first touch. Only whole 2 MiB pages inside
/// the range are advised. Returns 1 when advised, 0 where not supported (other OS, THP off).
pub fn adviseHugePages(ptr: [*]u8, len: usize) bool {
    if (builtin.os.tag != .linux) return false;
    const start = std.mem.alignForward(usize, @intFromPtr(ptr), huge_page);
    const end = std.mem.alignBackward(usize, @intFromPtr(ptr) + len, huge_page);
    if (end <= start) return false;
    const aligned: [*]align(std.heap.page_size_min) u8 = @ptrFromInt(start);
    std.posix.madvise(aligned, end - start, std.posix.MADV.HUGEPAGE) catch return false;
    return true;
}

export fn pb_memory_advise_huge_pages(ptr: [*]u8, len: usize) u32 {
    return @intFromBool(adviseHugePages(ptr, len));
}

test "adviseHugePages accepts unaligned and short ranges" {
    const buf = try std.heap.page_allocator.alloc(u8, 6 << 20);
    defer std.heap.page_allocator.free(buf);
    _ = adviseHugePages(buf.ptr + 1, buf.len - 1);
    try std.testing.expect(!adviseHugePages(buf.ptr, 4096));
}
