// shim.h: libargon2 (Debian's libargon2-dev), the memory-hard password hash the console stores (Argon2id).
#include <argon2.h>
