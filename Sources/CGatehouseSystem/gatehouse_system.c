#define _GNU_SOURCE
#include "gatehouse_system.h"

#include <errno.h>

#ifdef __linux__
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <unistd.h>

int gatehouse_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
int gatehouse_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

int gatehouse_spawn(
    const char *path, char *const argv[], char *const envp[], const char *directory, int stdin_fd, int stdout_fd,
    int stderr_fd, int *pid) {
    // A source below 3 could be overwritten by an earlier dup2 onto 0, 1 or 2: move it first.
    int sources[3] = {stdin_fd, stdout_fd, stderr_fd};
    int moved[3] = {-1, -1, -1};
    for (int index = 0; index < 3; index++) {
        if (sources[index] >= 0 && sources[index] < 3) {
            moved[index] = fcntl(sources[index], F_DUPFD_CLOEXEC, 3);
            if (moved[index] < 0) {
                int failure = errno;
                for (int done = 0; done < index; done++) {
                    if (moved[done] >= 0) close(moved[done]);
                }
                return failure;
            }
            sources[index] = moved[index];
        }
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result == 0) {
        result = posix_spawnattr_init(&attributes);
        if (result == 0) {
            for (int target = 0; target < 3 && result == 0; target++) {
                result = sources[target] >= 0
                    ? posix_spawn_file_actions_adddup2(&actions, sources[target], target)
                    : posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0);
            }
            if (result == 0 && directory != NULL) result = posix_spawn_file_actions_addchdir_np(&actions, directory);
            // The server's database, keys and sockets never reach the child (glibc 2.34).
            if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
            sigset_t every, none;
            sigfillset(&every);
            sigemptyset(&none);
            if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &every);
            if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &none);
            if (result == 0) result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
            pid_t child = 0;
            if (result == 0) result = posix_spawn(&child, path, &actions, &attributes, argv, envp);
            if (result == 0) *pid = child;
            posix_spawnattr_destroy(&attributes);
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    for (int index = 0; index < 3; index++) {
        if (moved[index] >= 0) close(moved[index]);
    }
    return result;
}
#else
int gatehouse_set_undumpable(void) { return -1; }
int gatehouse_is_dumpable(void) { return -1; }
int gatehouse_spawn(
    const char *path, char *const argv[], char *const envp[], const char *directory, int stdin_fd, int stdout_fd,
    int stderr_fd, int *pid) {
    return ENOSYS;
}
#endif
