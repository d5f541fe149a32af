// powercut.h: nothing to call. CPowerCut is loaded with LD_PRELOAD and works by replacing libc's file-system
// calls (see powercut.c); no target may link it. The reverter is `PowerCut` in SedgateTesting.

#ifndef SEDGATE_POWERCUT_H
#define SEDGATE_POWERCUT_H
#endif
