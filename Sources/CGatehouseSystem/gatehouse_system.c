#define _GNU_SOURCE
#include "gatehouse_system.h"

#include <errno.h>

#ifdef __linux__
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

int gatehouse_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
int gatehouse_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

int gatehouse_spawn(
    const char *path, char *const argv[], char *const envp[], const char *directory, const int *fds, int count, int *pid) {
    if (count < 3 || count > GATEHOUSE_SPAWN_MAX_FDS) return EINVAL;
    // A source below `count` could be overwritten by an earlier dup2 onto a lower target: move it
    // above them first.
    int sources[GATEHOUSE_SPAWN_MAX_FDS];
    int moved[GATEHOUSE_SPAWN_MAX_FDS];
    for (int index = 0; index < count; index++) {
        sources[index] = fds[index];
        moved[index] = -1;
    }
    for (int index = 0; index < count; index++) {
        if (sources[index] >= 0 && sources[index] < count) {
            moved[index] = fcntl(sources[index], F_DUPFD_CLOEXEC, count);
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
            for (int target = 0; target < count && result == 0; target++) {
                // A target without a source gets /dev/null: nothing of the parent's stays there.
                result = sources[target] >= 0 ? posix_spawn_file_actions_adddup2(&actions, sources[target], target)
                                              : posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0);
            }
            if (result == 0 && directory != NULL) result = posix_spawn_file_actions_addchdir_np(&actions, directory);
            // The server's database, keys and sockets never reach the child (glibc 2.34).
            if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, count);
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
    for (int index = 0; index < count; index++) {
        if (moved[index] >= 0) close(moved[index]);
    }
    return result;
}

int gatehouse_write_only_memfd(const char *name, long size, int *reader) {
    int memory = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memory < 0) return -1;
    // Its size is fixed: a writer can overwrite it, never grow it (memory the server would hold).
    if (ftruncate(memory, size) != 0 || fcntl(memory, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
        int failure = errno;
        close(memory);
        errno = failure;
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", memory);
    // A second open file description, write-only: the child cannot read what was written.
    int writer = open(path, O_WRONLY | O_CLOEXEC);
    if (writer < 0) {
        int failure = errno;
        close(memory);
        errno = failure;
        return -1;
    }
    *reader = memory;
    return writer;
}
#else
int gatehouse_set_undumpable(void) { return -1; }
int gatehouse_is_dumpable(void) { return -1; }
int gatehouse_spawn(
    const char *path, char *const argv[], char *const envp[], const char *directory, const int *fds, int count, int *pid) {
    return ENOSYS;
}
int gatehouse_write_only_memfd(const char *name, long size, int *reader) {
    errno = ENOSYS;
    return -1;
}
#endif
