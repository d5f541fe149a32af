// cmalloc.h: glibc malloc tuning, which Swift's Glibc module does not export (mallopt).
#ifndef SEDGATE_CMALLOC_H
#define SEDGATE_CMALLOC_H

/// Limits glibc malloc to `arenas` arenas (M_ARENA_MAX) and serves every allocation of at least `mmapThreshold`
/// bytes with its own mapping (M_MMAP_THRESHOLD), returned to the system when freed. Returns 1 on success.
int sedgate_tune_malloc(int arenas, int mmapThreshold);

#endif
