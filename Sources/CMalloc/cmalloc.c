// cmalloc.c: glibc malloc tuning, which Swift's Glibc module does not export (mallopt).
#include <malloc.h>
#include "cmalloc.h"

int sedgate_tune_malloc(int arenas, int mmapThreshold) {
    return mallopt(M_ARENA_MAX, arenas) && mallopt(M_MMAP_THRESHOLD, mmapThreshold);
}
