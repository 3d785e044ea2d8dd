// System calls Swift cannot call directly (variadic in C, or macros). Kept to what Gatehouse needs.
#ifndef GATEHOUSE_SYSTEM_H
#define GATEHOUSE_SYSTEM_H

/// prctl(PR_SET_DUMPABLE, 0): the process's /proc files become root's, so another process of the
/// same user (an Actions worker) cannot read its environment or memory, nor ptrace it.
/// Returns 0, or -1 with errno (and always -1 off Linux).
int gatehouse_set_undumpable(void);

/// prctl(PR_GET_DUMPABLE): 1 or 0, or -1 off Linux.
int gatehouse_is_dumpable(void);

/// Starts `path` with `argv` and `envp` (NULL-terminated) in `directory` with posix_spawn, its
/// standard input, output and error taken from the given descriptors (-1: /dev/null), and
/// nothing else: every other descriptor is closed in the child (closefrom(3)), whatever its
/// close-on-exec flag, and every signal disposition and the signal mask are reset to the
/// defaults. Returns 0 and the child's pid in `pid`, or an errno value.
int gatehouse_spawn(
    const char *path, char *const argv[], char *const envp[], const char *directory, int stdin_fd, int stdout_fd,
    int stderr_fd, int *pid);

#endif
