// System calls Swift cannot call directly (variadic in C, or macros). Kept to what Gatehouse needs.
#ifndef GATEHOUSE_SYSTEM_H
#define GATEHOUSE_SYSTEM_H

/// prctl(PR_SET_DUMPABLE, 0): the process's /proc files become root's, so another process of the
/// same user (an Actions worker) cannot read its environment or memory, nor ptrace it.
/// Returns 0, or -1 with errno (and always -1 off Linux).
int gatehouse_set_undumpable(void);

/// prctl(PR_GET_DUMPABLE): 1 or 0, or -1 off Linux.
int gatehouse_is_dumpable(void);

/// The most descriptors `gatehouse_spawn` passes to a child.
#define GATEHOUSE_SPAWN_MAX_FDS 8

/// Starts `path` with `argv` and `envp` (NULL-terminated) in `directory` with posix_spawn, its
/// descriptors 0 … count-1 taken from `fds` (3 ≤ count ≤ GATEHOUSE_SPAWN_MAX_FDS; -1:
/// /dev/null), and nothing else: every other descriptor is
/// closed in the child (closefrom(count)), whatever its close-on-exec flag, and every signal
/// disposition and the signal mask are reset to the defaults. Returns 0 and the child's pid in
/// `pid`, or an errno value.
int gatehouse_spawn(
    const char *path, char *const argv[], char *const envp[], const char *directory, const int *fds, int count, int *pid);

/// An anonymous in-memory file (memfd_create) of `size` bytes, sealed against growing and
/// shrinking, opened twice: returns a write-only descriptor to hand to a child, and puts a
/// read-write one in `reader` for this process; both close-on-exec. Returns -1 with errno on
/// failure (always off Linux).
int gatehouse_write_only_memfd(const char *name, long size, int *reader);

#endif
