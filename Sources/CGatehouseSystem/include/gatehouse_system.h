// System calls Swift cannot call directly (variadic in C). Kept to what Gatehouse needs.
#ifndef GATEHOUSE_SYSTEM_H
#define GATEHOUSE_SYSTEM_H

/// prctl(PR_SET_DUMPABLE, 0): the process's /proc files become root's, so another process of the
/// same user (an Actions worker) cannot read its environment or memory, nor ptrace it.
/// Returns 0, or -1 with errno (and always -1 off Linux).
int gatehouse_set_undumpable(void);

/// prctl(PR_GET_DUMPABLE): 1 or 0, or -1 off Linux.
int gatehouse_is_dumpable(void);

#endif
