// powercut.c: an LD_PRELOAD interposer that lets a test cut the power under a real process. For every change
// the process makes under $SEDGATE_POWERCUT_ROOT it logs how to undo it, and it logs every fsync, so that after
// a SIGKILL the test (PowerCut.revert in SedgateTesting) can undo exactly the changes that were not yet synced.
//
// Inactive, every call passing straight through, unless $SEDGATE_POWERCUT_LOG names a folder on the root's file
// system (outside the root). That folder holds:
//   log       one line per change or sync, each appended with one write(2), so SIGKILL keeps it (page cache)
//   pre       the bytes each data change overwrote or cut off, at the offset its line names
//   root      the resolved root, for the reverter
//   counters  the last sequence number and the end of `pre`, shared through mmap by every process on this log
//   stash/    hard links ino-<dev>-<ino> that keep each changed or removed file reachable, whatever its names do
//
// Lines are "<seq> <kind> <fields>", paths last, with '%', tab and newline in paths written %25 %09 %0A:
//   W dev ino offset length oldsize at   bytes [offset, offset+length) were pre[at, at+length); size was oldsize
//   C pdev pino ino path                 a name made (open O_CREAT, link, symlink, mkstemp) in folder pdev:pino
//   M pdev pino path                     a folder made
//   D pdev pino mode path                an empty folder removed
//   U pdev pino dev ino path             a name removed; its file is stash/ino-dev-ino
//   R pdev pino npdev npino v vdev vino vmode old<TAB>new
//                                        a rename; v is what `new` was: - nothing, f a file (stashed), d a folder,
//                                        x the other half of RENAME_EXCHANGE. A folder outside the root is 0 0.
//   S dev ino upto                       fsync/fdatasync of that file or folder: its changes up to seq upto are durable
//   A upto                               sync/syncfs: every change up to seq upto is durable
//   X seq                                the removal or rename logged as seq failed: it never happened
// A data line is written before its change (undoing a change that never happened restores the same bytes); so are
// the lines of removals and renames (D, U, R: a SIGKILL between the call and its line would otherwise hide a change
// that happened; the reverter skips one whose old name is still there, and X cancels one that failed); a name made
// (C, M) is written after its change succeeded (it needs the new inode; a SIGKILL in between leaves the name, as an
// unsynced temporary file a node ignores); a sync line after fsync returned, naming the last change finished before the
// fsync began. One mutex per process orders changes against that reading, so the log is exact for one process;
// several processes sharing a log are ordered by sequence number only.
//
// Not seen: writes through mmap (SQLite's -shm, which the reverter deletes), stdio's own writes (fopen/fwrite
// call libc internally), and direct syscall(2).

#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "powercut.h"

// MARK: - The real functions

static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64v2)(int, const struct iovec *, int, off_t, int);
static int (*real_ftruncate64)(int, off_t);
static int (*real_truncate64)(const char *, off_t);
static int (*real_fallocate64)(int, int, off_t, off_t);
static int (*real_posix_fallocate64)(int, off_t, off_t);
static ssize_t (*real_copy_file_range)(int, off_t *, int, off_t *, size_t, unsigned);
static ssize_t (*real_sendfile64)(int, int, off_t *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static void (*real_sync)(void);
static int (*real_syncfs)(int);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_symlinkat)(const char *, int, const char *);
static int (*real_mkdirat)(int, const char *, mode_t);
static int (*real_mkostemps64)(char *, int, int);

#define LOAD(name) (*(void **)&real_##name = dlsym(RTLD_NEXT, #name))

// MARK: - State

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread int busy;  // set while this thread runs our own code: its file calls pass straight through
static int active;
static char root[PATH_MAX];
static size_t root_length;
static char stash[PATH_MAX];
static int log_fd = -1, pre_fd = -1;
static struct counters {
    uint64_t seq;
    uint64_t pre_end;
} *counters;

// Guarded by `mutex`.
static char line[6 * PATH_MAX + 512];
static char copy_buffer[1 << 16];
static struct {
    dev_t dev;
    ino_t ino;
} stashed[256];
static unsigned stashed_next;

static void lock(void) { pthread_mutex_lock(&mutex); }
static void unlock(void) { pthread_mutex_unlock(&mutex); }

static void fail(const char *what)
{
    char message[PATH_MAX + 256];
    int length = snprintf(message, sizeof message, "sedgate powercut: %s\n", what);
    if (length > 0) (void)!real_write(2, message, (size_t)length < sizeof message ? (size_t)length : sizeof message - 1);
    abort();
}

/// Moves our descriptors out of the way of programs that dup2 onto small numbers.
static int high(int fd)
{
    if (fd < 0) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    if (moved < 0) return fd;
    close(fd);
    return moved;
}

/// `path` resolved, or, when it does not exist yet, its nearest existing ancestor resolved and the rest appended.
static int resolve_maybe_missing(const char *path, char out[PATH_MAX])
{
    char joined[PATH_MAX], cut[PATH_MAX], base[PATH_MAX];
    if (realpath(path, out)) return 1;
    if (path[0] == '/') {
        if (snprintf(joined, sizeof joined, "%s", path) >= (int)sizeof joined) return 0;
    } else {
        if (!getcwd(base, sizeof base) || snprintf(joined, sizeof joined, "%s/%s", base, path) >= (int)sizeof joined)
            return 0;
    }
    memcpy(cut, joined, sizeof cut);
    for (char *slash; (slash = strrchr(cut, '/'));) {
        *slash = 0;
        if (realpath(slash == cut ? "/" : cut, base)) {
            const char *rest = joined + (slash - cut);
            return snprintf(out, PATH_MAX, "%s%s", strcmp(base, "/") ? base : "", rest) < PATH_MAX;
        }
    }
    return 0;
}

static void init(void)
{
    LOAD(openat64), LOAD(write), LOAD(pwrite64), LOAD(writev), LOAD(pwritev64), LOAD(pwritev64v2);
    LOAD(ftruncate64), LOAD(truncate64), LOAD(fallocate64), LOAD(posix_fallocate64), LOAD(copy_file_range);
    LOAD(sendfile64), LOAD(fsync), LOAD(fdatasync), LOAD(sync), LOAD(syncfs), LOAD(renameat2), LOAD(unlinkat);
    LOAD(linkat), LOAD(symlinkat), LOAD(mkdirat), LOAD(mkostemps64);

    const char *log = getenv("SEDGATE_POWERCUT_LOG");
    const char *given_root = getenv("SEDGATE_POWERCUT_ROOT");
    if (!log || !*log) return;
    busy = 1;
    char folder[PATH_MAX], file[PATH_MAX + 16];
    if (!given_root || !*given_root || !resolve_maybe_missing(given_root, root))
        fail("SEDGATE_POWERCUT_LOG is set but SEDGATE_POWERCUT_ROOT is not set or cannot be resolved");
    root_length = strlen(root);
    if (real_mkdirat(AT_FDCWD, log, 0755) != 0 && errno != EEXIST) fail("cannot make SEDGATE_POWERCUT_LOG");
    if (!realpath(log, folder)) fail("cannot resolve SEDGATE_POWERCUT_LOG");
    if (strncmp(folder, root, root_length) == 0 && (folder[root_length] == '/' || !folder[root_length]))
        fail("SEDGATE_POWERCUT_LOG must not be inside SEDGATE_POWERCUT_ROOT");
    if (snprintf(stash, sizeof stash, "%s/stash", folder) >= (int)sizeof stash - 64) fail("the log path is too long");
    if (real_mkdirat(AT_FDCWD, stash, 0755) != 0 && errno != EEXIST) fail("cannot make the stash folder");
    struct stat stash_stat, root_stat;
    char root_or_parent[PATH_MAX];
    snprintf(root_or_parent, sizeof root_or_parent, "%s", root);
    while (stat(root_or_parent, &root_stat) != 0) {
        char *slash = strrchr(root_or_parent, '/');
        if (!slash || slash == root_or_parent) fail("SEDGATE_POWERCUT_ROOT has no existing parent");
        *slash = 0;
    }
    if (stat(stash, &stash_stat) != 0 || stash_stat.st_dev != root_stat.st_dev)
        fail("SEDGATE_POWERCUT_LOG must be on the file system of SEDGATE_POWERCUT_ROOT (the stash hard-links files)");

    snprintf(file, sizeof file, "%s/root", folder);  // for the reverter, which cleans SQLite's -shm files there
    int root_fd = real_openat64(AT_FDCWD, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (root_fd < 0 || real_write(root_fd, root, root_length) != (ssize_t)root_length) fail("cannot write <log>/root");
    close(root_fd);
    snprintf(file, sizeof file, "%s/log", folder);
    log_fd = high(real_openat64(AT_FDCWD, file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    snprintf(file, sizeof file, "%s/pre", folder);
    pre_fd = high(real_openat64(AT_FDCWD, file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    snprintf(file, sizeof file, "%s/counters", folder);
    int counters_fd = real_openat64(AT_FDCWD, file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat counters_stat;
    if (log_fd < 0 || pre_fd < 0 || counters_fd < 0 || fstat(counters_fd, &counters_stat) != 0)
        fail("cannot open the files of SEDGATE_POWERCUT_LOG");
    if (counters_stat.st_size < (off_t)sizeof *counters && real_ftruncate64(counters_fd, 4096) != 0)
        fail("cannot size the counters file");
    counters = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, counters_fd, 0);
    close(counters_fd);
    if (counters == MAP_FAILED) fail("cannot map the counters file");
    pthread_atfork(lock, unlock, unlock);
    active = 1;
    busy = 0;
}

__attribute__((constructor)) static void start(void) { pthread_once(&once, init); }

/// Resolves the real functions (once) unless this thread is already inside the hook, where they are resolved.
static void ready(void)
{
    if (!busy) pthread_once(&once, init);
}

/// Claims this thread for the hook; 0 (pass straight through) when inactive or already inside the hook.
static int enter(void)
{
    if (busy) return 0;
    ready();
    if (!active) return 0;
    busy = 1;
    return 1;
}

static void leave(void) { busy = 0; }

// MARK: - Paths

static int inside(const char *path)
{
    return strncmp(path, root, root_length) == 0 && (path[root_length] == '/' || path[root_length] == 0);
}

/// The path of an open descriptor (as /proc/self/fd shows it), or 0.
static int fd_path(int fd, char out[PATH_MAX])
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, out, PATH_MAX - 1);
    if (length <= 0) return 0;
    out[length] = 0;
    return 1;
}

/// Turns `path` (relative to `dirfd`) into an absolute path whose folder is resolved and whose last component
/// is kept, and stats that folder. Returns 1 if the folder is the root or inside it, 0 if outside, -1 if unknown.
static int resolve(int dirfd, const char *path, char out[PATH_MAX], struct stat *folder_stat)
{
    char joined[PATH_MAX], base[PATH_MAX], folder[PATH_MAX];
    if (!path || !*path) return -1;
    if (path[0] == '/') {
        if (snprintf(joined, sizeof joined, "%s", path) >= (int)sizeof joined) return -1;
    } else {
        if (dirfd == AT_FDCWD ? !getcwd(base, sizeof base) : !fd_path(dirfd, base)) return -1;
        if (snprintf(joined, sizeof joined, "%s/%s", base, path) >= (int)sizeof joined) return -1;
    }
    size_t length = strlen(joined);
    while (length > 1 && joined[length - 1] == '/') joined[--length] = 0;
    char *slash = strrchr(joined, '/');
    const char *name = slash + 1;
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) return -1;
    *slash = 0;
    if (!realpath(slash == joined ? "/" : joined, folder) || stat(folder, folder_stat) != 0) return -1;
    if (snprintf(out, PATH_MAX, "%s/%s", strcmp(folder, "/") ? folder : "", name) >= PATH_MAX) return -1;
    return inside(folder);
}

/// `path` with '%', tab and newline escaped, so a line holds it whole.
static const char *escaped(const char *path, char out[3 * PATH_MAX])
{
    char *to = out;
    for (const char *from = path; *from; from++) {
        if (*from == '%' || *from == '\t' || *from == '\n') to += sprintf(to, "%%%02X", (unsigned char)*from);
        else *to++ = *from;
    }
    *to = 0;
    return out;
}

// MARK: - The log (mutex held)

/// Appends "<seq> <text>\n" to the log and returns seq.
__attribute__((format(printf, 1, 2))) static uint64_t note(const char *format, ...)
{
    uint64_t seq = __atomic_add_fetch(&counters->seq, 1, __ATOMIC_SEQ_CST);
    int length = snprintf(line, sizeof line, "%llu ", (unsigned long long)seq);
    va_list arguments;
    va_start(arguments, format);
    length += vsnprintf(line + length, sizeof line - (size_t)length - 1, format, arguments);
    va_end(arguments);
    if ((size_t)length >= sizeof line - 1) fail("a log line is too long");
    line[length++] = '\n';
    for (int done = 0; done < length;) {
        ssize_t written = real_write(log_fd, line + done, (size_t)(length - done));
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) fail("cannot append to the log");
        done += (int)written;
    }
    return seq;
}

static uint64_t last_seq(void) { return __atomic_load_n(&counters->seq, __ATOMIC_SEQ_CST); }

static void stash_name(const struct stat *st, char out[PATH_MAX])
{
    if (snprintf(out, PATH_MAX, "%s/ino-%llu-%llu", stash, (unsigned long long)st->st_dev,
                 (unsigned long long)st->st_ino) >= PATH_MAX)
        fail("a stash path is too long");
}

static int was_stashed(const struct stat *st)
{
    for (unsigned i = 0; i < sizeof stashed / sizeof *stashed; i++)
        if (stashed[i].ino == st->st_ino && stashed[i].dev == st->st_dev) return 1;
    return 0;
}

static void remember_stashed(const struct stat *st)
{
    stashed[stashed_next].dev = st->st_dev;
    stashed[stashed_next].ino = st->st_ino;
    stashed_next = (stashed_next + 1) % (sizeof stashed / sizeof *stashed);
}

/// Hard-links the file at `path` (not following a symbolic link) into the stash, once.
static void stash_path(const char *path, const struct stat *st)
{
    char target[PATH_MAX];
    if (was_stashed(st)) return;
    stash_name(st, target);
    if (real_linkat(AT_FDCWD, path, AT_FDCWD, target, 0) == 0 || errno == EEXIST) remember_stashed(st);
}

/// Hard-links the open file into the stash, once. 0 when no name reaches the file (removed before we saw it),
/// so its changes cannot matter after a power cut.
static int stash_fd(int fd, const struct stat *st)
{
    char source[64], target[PATH_MAX];
    if (was_stashed(st)) return 1;
    stash_name(st, target);
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    if (real_linkat(AT_FDCWD, source, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 || errno == EEXIST) {
        remember_stashed(st);
        return 1;
    }
    return st->st_nlink > 0;  // else the W line names a stash file that is missing: the reverter reports it
}

/// Copies `length` bytes at `offset` of the open file into `pre` at `at`; returns how many it copied.
static off_t copy_out(int fd, off_t offset, off_t length, uint64_t at)
{
    int readable = fd, mode = fcntl(fd, F_GETFL) & O_ACCMODE;
    if (mode == O_WRONLY) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        readable = real_openat64(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (readable < 0) return 0;
    }
    off_t done = 0;
    while (done < length) {
        size_t chunk = length - done < (off_t)sizeof copy_buffer ? (size_t)(length - done) : sizeof copy_buffer;
        ssize_t got = pread(readable, copy_buffer, chunk, offset + done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (real_pwrite64(pre_fd, copy_buffer, (size_t)got, (off_t)(at + (uint64_t)done)) != got) break;
        done += got;
    }
    if (readable != fd) close(readable);
    return done;
}

/// Before the bytes [offset, offset + length) of the open file change, or only its size (length 0): stashes the
/// file, saves the bytes that exist in that range and the size, and logs a W line. Returns its seq, or 0.
static uint64_t save_data(int fd, const struct stat *st, off_t offset, off_t length)
{
    if (!stash_fd(fd, st)) return 0;
    off_t size = st->st_size, saved = 0;
    uint64_t at = 0;
    if (offset < size && length > 0) {
        off_t wanted = length < size - offset ? length : size - offset;
        at = __atomic_fetch_add(&counters->pre_end, (uint64_t)wanted, __ATOMIC_SEQ_CST);
        saved = copy_out(fd, offset, wanted, at);
    }
    return note("W %llu %llu %lld %lld %lld %llu", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                (long long)offset, (long long)saved, (long long)size, (unsigned long long)at);
}

// MARK: - Data changes

/// One change to the bytes of an open regular file under the root; `on` when it is tracked (mutex held).
struct change {
    int on, flags;
    uint64_t seq;
    struct stat st;
};

static int begin_change(struct change *c, int fd)
{
    char path[PATH_MAX];
    c->on = 0;
    if (!enter()) return 0;
    if (fstat(fd, &c->st) != 0 || !S_ISREG(c->st.st_mode) || !fd_path(fd, path) || !inside(path)) {
        leave();
        return 0;
    }
    lock();
    fstat(fd, &c->st);  // the size now that no other thread of ours can change it
    c->flags = fcntl(fd, F_GETFL);
    c->seq = 0;
    c->on = 1;
    return 1;
}

/// Where a write at `offset` (-1: the file position) lands: Linux appends on O_APPEND whatever the offset.
static off_t landing(const struct change *c, int fd, off_t offset)
{
    if (c->flags & O_APPEND) return c->st.st_size;
    return offset >= 0 ? offset : lseek(fd, 0, SEEK_CUR);
}

static void save(struct change *c, int fd, off_t offset, off_t length)
{
    if (c->on) c->seq = save_data(fd, &c->st, offset, length);
}

/// Ends a change: a file opened O_SYNC or O_DSYNC made it durable at once. Keeps errno.
static void end_change(struct change *c, int ok)
{
    if (!c->on) return;
    int saved = errno;
    if (ok && c->seq && (c->flags & O_DSYNC))
        note("S %llu %llu %llu", (unsigned long long)c->st.st_dev, (unsigned long long)c->st.st_ino,
             (unsigned long long)c->seq);
    unlock();
    leave();
    errno = saved;
}

static off_t total(const struct iovec *iov, int count)
{
    off_t sum = 0;
    if (count > IOV_MAX) return 0;  // the call fails with EINVAL
    for (int i = 0; i < count; i++) sum += (off_t)iov[i].iov_len;
    return sum;
}

ssize_t write(int fd, const void *buffer, size_t count)
{
    struct change c;
    if (begin_change(&c, fd)) save(&c, fd, landing(&c, fd, -1), (off_t)count);
    ssize_t result = real_write(fd, buffer, count);
    end_change(&c, result >= 0);
    return result;
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset)
{
    struct change c;
    if (begin_change(&c, fd) && offset >= 0) save(&c, fd, landing(&c, fd, offset), (off_t)count);
    ssize_t result = real_pwrite64(fd, buffer, count, offset);
    end_change(&c, result >= 0);
    return result;
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) { return pwrite64(fd, buffer, count, offset); }

ssize_t writev(int fd, const struct iovec *iov, int count)
{
    struct change c;
    if (begin_change(&c, fd)) save(&c, fd, landing(&c, fd, -1), total(iov, count));
    ssize_t result = real_writev(fd, iov, count);
    end_change(&c, result >= 0);
    return result;
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int count, off_t offset, int flags)
{
    struct change c;
    if (begin_change(&c, fd)) {
        if (flags & (RWF_DSYNC | RWF_SYNC)) c.flags |= O_DSYNC;
        if (flags & RWF_APPEND) c.flags |= O_APPEND;
        save(&c, fd, landing(&c, fd, offset), total(iov, count));
    }
    ssize_t result = real_pwritev64v2(fd, iov, count, offset, flags);
    end_change(&c, result >= 0);
    return result;
}

ssize_t pwritev2(int fd, const struct iovec *iov, int count, off_t offset, int flags)
{
    return pwritev64v2(fd, iov, count, offset, flags);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int count, off_t offset)
{
    struct change c;
    if (begin_change(&c, fd) && offset >= 0) save(&c, fd, landing(&c, fd, offset), total(iov, count));
    ssize_t result = real_pwritev64(fd, iov, count, offset);
    end_change(&c, result >= 0);
    return result;
}

ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset) { return pwritev64(fd, iov, count, offset); }

int ftruncate64(int fd, off_t length)
{
    struct change c;
    if (begin_change(&c, fd)) {
        off_t from = length < c.st.st_size ? length : c.st.st_size;
        save(&c, fd, from, c.st.st_size - from);
    }
    int result = real_ftruncate64(fd, length);
    end_change(&c, result == 0);
    return result;
}

int ftruncate(int fd, off_t length) { return ftruncate64(fd, length); }

int fallocate64(int fd, int mode, off_t offset, off_t length)
{
    struct change c;
    if (begin_change(&c, fd)) {
        // Collapsing or inserting a range moves every byte after it.
        int shifts = mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE);
        save(&c, fd, offset, shifts ? c.st.st_size - offset : (mode ? length : 0));
    }
    int result = real_fallocate64(fd, mode, offset, length);
    end_change(&c, result == 0);
    return result;
}

int fallocate(int fd, int mode, off_t offset, off_t length) { return fallocate64(fd, mode, offset, length); }

int posix_fallocate64(int fd, off_t offset, off_t length)
{
    struct change c;
    if (begin_change(&c, fd)) save(&c, fd, offset, 0);
    int result = real_posix_fallocate64(fd, offset, length);
    end_change(&c, result == 0);
    return result;
}

int posix_fallocate(int fd, off_t offset, off_t length) { return posix_fallocate64(fd, offset, length); }

ssize_t copy_file_range(int in, off_t *in_offset, int out, off_t *out_offset, size_t length, unsigned flags)
{
    struct change c;
    if (begin_change(&c, out)) save(&c, out, landing(&c, out, out_offset ? *out_offset : -1), (off_t)length);
    ssize_t result = real_copy_file_range(in, in_offset, out, out_offset, length, flags);
    end_change(&c, result >= 0);
    return result;
}

ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
    struct change c;
    if (begin_change(&c, out)) save(&c, out, landing(&c, out, -1), (off_t)count);
    ssize_t result = real_sendfile64(out, in, offset, count);
    end_change(&c, result >= 0);
    return result;
}

ssize_t sendfile(int out, int in, off_t *offset, size_t count) { return sendfile64(out, in, offset, count); }

// MARK: - Syncs

static int synced(int fd, int data_only)
{
    char path[PATH_MAX];
    struct stat st;
    ready();
    int (*call)(int) = data_only ? real_fdatasync : real_fsync;
    if (!enter()) return call(fd);
    if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) || !fd_path(fd, path) ||
        !inside(path)) {
        leave();
        return call(fd);
    }
    lock();
    uint64_t upto = last_seq();
    unlock();
    int result = call(fd), saved = errno;
    if (result == 0) {
        lock();
        note("S %llu %llu %llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
             (unsigned long long)upto);
        unlock();
    }
    leave();
    errno = saved;
    return result;
}

int fsync(int fd) { return synced(fd, 0); }

int fdatasync(int fd) { return synced(fd, 1); }

static int everything_synced(int fd, int whole_system)
{
    ready();
    if (!enter()) return whole_system ? (real_sync(), 0) : real_syncfs(fd);
    lock();
    uint64_t upto = last_seq();
    unlock();
    int result = whole_system ? (real_sync(), 0) : real_syncfs(fd), saved = errno;
    if (result == 0) {
        lock();
        note("A %llu", (unsigned long long)upto);
        unlock();
    }
    leave();
    errno = saved;
    return result;
}

void sync(void) { everything_synced(-1, 1); }

int syncfs(int fd) { return everything_synced(fd, 0); }

// MARK: - Names

/// One change to a name whose folder is under the root; `on` when tracked (mutex held).
struct name {
    int on;
    char path[PATH_MAX];
    struct stat folder;
};

static int begin_name(struct name *n, int dirfd, const char *path)
{
    n->on = 0;
    if (!enter()) return 0;
    if (resolve(dirfd, path, n->path, &n->folder) != 1) {
        leave();
        return 0;
    }
    lock();
    n->on = 1;
    return 1;
}

/// Ends a name change and returns `result`, keeping errno.
static int end_name(struct name *n, int result)
{
    if (!n->on) return result;
    int saved = errno;
    unlock();
    leave();
    errno = saved;
    return result;
}

#define FOLDER(n) (unsigned long long)(n)->folder.st_dev, (unsigned long long)(n)->folder.st_ino

static void note_made(struct name *n)
{
    char text[3 * PATH_MAX];
    struct stat st;
    if (lstat(n->path, &st) == 0)
        note("C %llu %llu %llu %s", FOLDER(n), (unsigned long long)st.st_ino, escaped(n->path, text));
}

static int opened(int dirfd, const char *path, int flags, mode_t mode)
{
    struct name n;
    ready();
    if (!(flags & (O_CREAT | O_TRUNC)) || (flags & O_TMPFILE) == O_TMPFILE || !begin_name(&n, dirfd, path))
        return real_openat64(dirfd, path, flags, mode);
    struct stat before;
    int existed = stat(n.path, &before) == 0;
    if (existed && (flags & O_TRUNC) && S_ISREG(before.st_mode) && before.st_size > 0) {
        int old = real_openat64(AT_FDCWD, n.path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (old >= 0) {
            if (fstat(old, &before) == 0) save_data(old, &before, 0, before.st_size);
            close(old);
        }
    }
    int fd = real_openat64(dirfd, path, flags, mode);
    if (fd >= 0 && !existed && (flags & O_CREAT)) note_made(&n);
    return end_name(&n, fd);
}

static mode_t mode_argument(int flags, va_list arguments)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

#define OPEN_WITH_MODE(call_dirfd)                                                                                 \
    va_list arguments;                                                                                             \
    va_start(arguments, flags);                                                                                    \
    mode_t mode = mode_argument(flags, arguments);                                                                 \
    va_end(arguments);                                                                                             \
    return opened(call_dirfd, path, flags, mode)

int open(const char *path, int flags, ...) { OPEN_WITH_MODE(AT_FDCWD); }
int open64(const char *path, int flags, ...) { OPEN_WITH_MODE(AT_FDCWD); }
int openat(int dirfd, const char *path, int flags, ...) { OPEN_WITH_MODE(dirfd); }
int openat64(int dirfd, const char *path, int flags, ...) { OPEN_WITH_MODE(dirfd); }
int __open_2(const char *path, int flags) { return opened(AT_FDCWD, path, flags, 0); }
int __open64_2(const char *path, int flags) { return opened(AT_FDCWD, path, flags, 0); }
int __openat_2(int dirfd, const char *path, int flags) { return opened(dirfd, path, flags, 0); }
int __openat64_2(int dirfd, const char *path, int flags) { return opened(dirfd, path, flags, 0); }
int creat(const char *path, mode_t mode) { return opened(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) { return opened(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

int truncate64(const char *path, off_t length)
{
    struct name n;
    if (!begin_name(&n, AT_FDCWD, path)) return real_truncate64(path, length);
    int fd = real_openat64(AT_FDCWD, n.path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t from = length < st.st_size ? length : st.st_size;
        save_data(fd, &st, from, st.st_size - from);
    }
    if (fd >= 0) close(fd);
    return end_name(&n, real_truncate64(path, length));
}

int truncate(const char *path, off_t length) { return truncate64(path, length); }

int mkostemps64(char *template, int suffix, int flags)
{
    ready();
    int fd = real_mkostemps64(template, suffix, flags);
    struct name n;
    if (fd >= 0 && begin_name(&n, AT_FDCWD, template)) {
        note_made(&n);
        end_name(&n, 0);
    }
    return fd;
}

int mkostemps(char *template, int suffix, int flags) { return mkostemps64(template, suffix, flags); }
int mkostemp64(char *template, int flags) { return mkostemps64(template, 0, flags); }
int mkostemp(char *template, int flags) { return mkostemps64(template, 0, flags); }
int mkstemps64(char *template, int suffix) { return mkostemps64(template, suffix, 0); }
int mkstemps(char *template, int suffix) { return mkostemps64(template, suffix, 0); }
int mkstemp64(char *template) { return mkostemps64(template, 0, 0); }
int mkstemp(char *template) { return mkostemps64(template, 0, 0); }

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    struct name n;
    char text[3 * PATH_MAX];
    if (!begin_name(&n, dirfd, path)) return real_mkdirat(dirfd, path, mode);
    int result = real_mkdirat(dirfd, path, mode);
    if (result == 0) note("M %llu %llu %s", FOLDER(&n), escaped(n.path, text));
    return end_name(&n, result);
}

int mkdir(const char *path, mode_t mode) { return mkdirat(AT_FDCWD, path, mode); }

int unlinkat(int dirfd, const char *path, int flags)
{
    struct name n;
    struct stat st;
    char text[3 * PATH_MAX];
    if (!begin_name(&n, dirfd, path)) return real_unlinkat(dirfd, path, flags);
    if (lstat(n.path, &st) != 0) return end_name(&n, real_unlinkat(dirfd, path, flags));
    if (!(flags & AT_REMOVEDIR)) stash_path(n.path, &st);
    // Logged before the call (a SIGKILL between the two would otherwise hide a removal), cancelled if it fails;
    // the reverter skips a removal whose name is still there.
    uint64_t seq = (flags & AT_REMOVEDIR)
                       ? note("D %llu %llu %o %s", FOLDER(&n), (unsigned)(st.st_mode & 07777), escaped(n.path, text))
                       : note("U %llu %llu %llu %llu %s", FOLDER(&n), (unsigned long long)st.st_dev,
                              (unsigned long long)st.st_ino, escaped(n.path, text));
    int result = real_unlinkat(dirfd, path, flags);
    if (result != 0) {
        int saved = errno;
        note("X %llu", (unsigned long long)seq);
        errno = saved;
    }
    return end_name(&n, result);
}

int unlink(const char *path) { return unlinkat(AT_FDCWD, path, 0); }

int rmdir(const char *path) { return unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags)
{
    struct name n;
    if (!begin_name(&n, newdirfd, new)) return real_linkat(olddirfd, old, newdirfd, new, flags);
    int result = real_linkat(olddirfd, old, newdirfd, new, flags);
    if (result == 0) note_made(&n);
    return end_name(&n, result);
}

int link(const char *old, const char *new) { return linkat(AT_FDCWD, old, AT_FDCWD, new, 0); }

int symlinkat(const char *target, int newdirfd, const char *new)
{
    struct name n;
    if (!begin_name(&n, newdirfd, new)) return real_symlinkat(target, newdirfd, new);
    int result = real_symlinkat(target, newdirfd, new);
    if (result == 0) note_made(&n);
    return end_name(&n, result);
}

int symlink(const char *target, const char *new) { return symlinkat(target, AT_FDCWD, new); }

static int call_renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags)
{
    if (real_renameat2) return real_renameat2(olddirfd, old, newdirfd, new, flags);
    return (int)syscall(SYS_renameat2, olddirfd, old, newdirfd, new, flags);
}

int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags)
{
    char from[PATH_MAX], to[PATH_MAX], old_text[3 * PATH_MAX], new_text[3 * PATH_MAX];
    struct stat from_folder, to_folder, moved, victim;
    if (!enter()) return call_renameat2(olddirfd, old, newdirfd, new, flags);
    int from_inside = resolve(olddirfd, old, from, &from_folder);
    int to_inside = resolve(newdirfd, new, to, &to_folder);
    if (from_inside < 0 || to_inside < 0 || (!from_inside && !to_inside)) {
        leave();
        return call_renameat2(olddirfd, old, newdirfd, new, flags);
    }
    if (!from_inside) memset(&from_folder, 0, sizeof from_folder);
    if (!to_inside) memset(&to_folder, 0, sizeof to_folder);
    lock();
    char replaced = '-';
    memset(&victim, 0, sizeof victim);
    int same = 0, known = lstat(from, &moved) == 0;
    if (known && (flags & RENAME_EXCHANGE)) {
        replaced = 'x';
    } else if (known && lstat(to, &victim) == 0) {
        same = victim.st_ino == moved.st_ino && victim.st_dev == moved.st_dev;  // rename(2) then does nothing
        replaced = S_ISDIR(victim.st_mode) ? 'd' : 'f';
        if (replaced == 'f' && !same && !(flags & RENAME_NOREPLACE)) stash_path(to, &victim);
    }
    // Logged before the call (a SIGKILL between the two would otherwise hide the rename), cancelled if it fails;
    // the reverter skips a rename whose old name is still there.
    uint64_t seq = 0;
    if (known && !same)
        seq = note("R %llu %llu %llu %llu %c %llu %llu %o %s\t%s", (unsigned long long)from_folder.st_dev,
                   (unsigned long long)from_folder.st_ino, (unsigned long long)to_folder.st_dev,
                   (unsigned long long)to_folder.st_ino, replaced, (unsigned long long)victim.st_dev,
                   (unsigned long long)victim.st_ino, (unsigned)(victim.st_mode & 07777), escaped(from, old_text),
                   escaped(to, new_text));
    int result = call_renameat2(olddirfd, old, newdirfd, new, flags), saved = errno;
    if (result != 0 && seq != 0) note("X %llu", (unsigned long long)seq);
    unlock();
    leave();
    errno = saved;
    return result;
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
    return renameat2(olddirfd, old, newdirfd, new, 0);
}

int rename(const char *old, const char *new) { return renameat2(AT_FDCWD, old, AT_FDCWD, new, 0); }
