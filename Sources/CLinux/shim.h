// Linux calls that Swift's Glibc module does not offer: it is built without _GNU_SOURCE, so
// pipe2 and accept4 are missing, and prctl and syscall are variadic, which Swift cannot call.
// Declarations match glibc's own; the getters wrap the variadic calls with fixed arguments.
#ifndef SWIFTPOOL_CLINUX_SHIM_H
#define SWIFTPOOL_CLINUX_SHIM_H

#include <malloc.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/futex.h>

extern int pipe2(int pipefd[2], int flags);
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
extern int prctl(int option, ...);
extern long syscall(long number, ...);
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to this process when the thread
/// that started it ends.
static inline int clinux_set_parent_death_signal(int signal) {
    return prctl(1 /* PR_SET_PDEATHSIG */, (unsigned long)signal, 0UL, 0UL, 0UL);
}

/// futex(FUTEX_WAIT) on a word in memory shared between processes: sleeps while `*word` equals
/// `expected`, at most `nanos` (forever when negative). 0 when woken, -1 with errno otherwise.
static inline long clinux_futex_wait(const uint32_t *word, uint32_t expected, long nanos) {
    struct { long tv_sec; long tv_nsec; } limit = { nanos / 1000000000L, nanos % 1000000000L };
    return syscall(SYS_futex, word, FUTEX_WAIT, expected, nanos >= 0 ? (void *)&limit : (void *)0, (void *)0, 0);
}

/// futex(FUTEX_WAKE): wakes up to `count` processes waiting on `word`.
static inline long clinux_futex_wake(const uint32_t *word, int count) {
    return syscall(SYS_futex, word, FUTEX_WAKE, count, (void *)0, (void *)0, 0);
}

/// epoll, with a 64-bit token per descriptor (struct epoll_event is packed on x86-64, which
/// Swift does not import): a new epoll descriptor, close-on-exec.
static inline int clinux_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

/// Watches `descriptor` for input (level-triggered); `token` comes back when it is readable.
static inline int clinux_epoll_watch(int epoll, int descriptor, uint64_t token) {
    struct epoll_event event = { .events = EPOLLIN, .data = { .u64 = token } };
    return epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event);
}

/// Stops watching `descriptor` (before it is closed).
static inline int clinux_epoll_forget(int epoll, int descriptor) {
    return epoll_ctl(epoll, EPOLL_CTL_DEL, descriptor, (struct epoll_event *)0);
}

/// Waits up to `milliseconds` for watched descriptors to be readable; writes the tokens of at
/// most `capacity` of them into `tokens` and returns how many (-1 with errno on failure).
static inline int clinux_epoll_wait(int epoll, uint64_t *tokens, int capacity, int milliseconds) {
    struct epoll_event events[256];
    int count = epoll_wait(epoll, events, capacity < 256 ? capacity : 256, milliseconds);
    for (int index = 0; index < count; index++) tokens[index] = events[index].data.u64;
    return count;
}

/// Heap bytes in use (glibc's mallinfo2: chunks handed out, and blocks mapped on their own). It
/// counts the main arena only: call clinux_use_one_heap() first, before any thread allocates.
static inline size_t clinux_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

/// Makes every thread allocate from glibc's main arena, so clinux_heap_in_use() sees it all.
static inline void clinux_use_one_heap(void) { mallopt(M_ARENA_MAX, 1); }

#endif
