#include "gatehouse_system.h"

#ifdef __linux__
#include <sys/prctl.h>

int gatehouse_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
int gatehouse_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#else
int gatehouse_set_undumpable(void) { return -1; }
int gatehouse_is_dumpable(void) { return -1; }
#endif
