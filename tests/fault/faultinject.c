/*
 * tests/fault/faultinject.c — a fault-injection shim for the lh tools (issue 9).
 *
 * Built by FaultInjectionTests at run time (cc -shared -fPIC -o libfaultinject.so … -ldl) and
 * loaded into a tool with LD_PRELOAD. It interposes the libc calls through which a commit
 * reaches the disk and counts those that touch files under LH_FAULT_PREFIX (the lake):
 *
 *   write pwrite pwrite64 writev pwritev   on a descriptor of a file under the prefix
 *   fsync fdatasync                        on such a descriptor (directories included)
 *   close                                  of such a descriptor opened for writing
 *   open open64 openat openat64 creat      with O_CREAT, of a path under the prefix
 *   rename renameat renameat2 link linkat  either path under the prefix
 *   mkdir mkdirat                          of a path under the prefix that does not exist yet
 *
 * Descriptors are resolved with readlink(/proc/self/fd/N), so stdin, stdout, stderr and pipes
 * are never counted nor failed (the error message must get out) unless they lead into the prefix. Environment:
 *
 *   LH_FAULT_PREFIX  absolute, symlink-free directory; calls elsewhere pass through uncounted
 *   LH_FAULT_AT      the counted call to fail (1-based); 0 or unset: only count
 *   LH_FAULT_KIND    enospc | eio | edquot | efbig | short (a write of fewer bytes than asked,
 *                    a real partial write: the first half is written); default eio
 *   LH_FAULT_LOG     a file that receives one line per counted call, "N op path", and a line
 *                    "fired N op kind path" when the fault is injected (appended, O_APPEND)
 *
 * A failing close still closes the descriptor (Linux semantics: the fd is gone either way).
 * A short fault on a call that moves no bytes (fsync, rename…) fails it with EIO instead, and
 * the fired line says so.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *prefix;
static size_t prefix_len;
static long fault_at;
static int fault_errno = EIO;
static int fault_short;
static int log_fd = -1;
static long counter;
static int ready;

static void setup(void) {
    if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) return;
    const char *p = getenv("LH_FAULT_PREFIX");
    if (p && *p) {
        prefix = p;
        prefix_len = strlen(p);
        while (prefix_len > 1 && p[prefix_len - 1] == '/') prefix_len--;
    }
    const char *at = getenv("LH_FAULT_AT");
    fault_at = at ? atol(at) : 0;
    const char *kind = getenv("LH_FAULT_KIND");
    if (kind) {
        if (!strcmp(kind, "enospc")) fault_errno = ENOSPC;
        else if (!strcmp(kind, "edquot")) fault_errno = EDQUOT;
        else if (!strcmp(kind, "efbig")) fault_errno = EFBIG;
        else if (!strcmp(kind, "short")) fault_short = 1;
        else fault_errno = EIO;
    }
    const char *logp = getenv("LH_FAULT_LOG");
    if (logp && *logp) {
        log_fd = (int)syscall(SYS_openat, AT_FDCWD, logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

static int under_prefix(const char *path) {
    if (!prefix || !path) return 0;
    if (strncmp(path, prefix, prefix_len) != 0) return 0;
    return path[prefix_len] == '/' || path[prefix_len] == 0;
}

/* The absolute form of `path` relative to directory descriptor `dirfd`, in `out`. */
static const char *absolute(int dirfd, const char *path, char *out, size_t size) {
    if (!path) return NULL;
    if (path[0] == '/') return path;
    char base[4096];
    if (dirfd == AT_FDCWD) {
        if (!getcwd(base, sizeof base)) return NULL;
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, base, sizeof base - 1);
        if (n < 0) return NULL;
        base[n] = 0;
    }
    snprintf(out, size, "%s/%s", base, path);
    return out;
}

static const char *fd_path(int fd, char *out, size_t size) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, size - 1);
    if (n < 0) return NULL;
    out[n] = 0;
    return out;
}

static void log_line(const char *text) {
    if (log_fd >= 0) (void)syscall(SYS_write, log_fd, text, strlen(text));
}

/* Counts a call on `path`; returns 1 when this call is the one to fail. */
static int count(const char *op, const char *path) {
    long n = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
    char line[4300];
    snprintf(line, sizeof line, "%ld %s %s\n", n, op, path);
    log_line(line);
    return fault_at > 0 && n == fault_at;
}

static void fired(const char *op, const char *path, const char *how) {
    char line[4400];
    snprintf(line, sizeof line, "fired %ld %s %s %s\n", fault_at, op, how, path);
    log_line(line);
}

static const char *errno_name(int e) {
    switch (e) {
    case ENOSPC: return "enospc";
    case EDQUOT: return "edquot";
    case EFBIG: return "efbig";
    default: return "eio";
    }
}

/* A call that moves no bytes: fail it with the chosen errno (EIO for a short fault). */
static int fail_plain(const char *op, const char *path) {
    int e = fault_short ? EIO : fault_errno;
    fired(op, path, errno_name(e));
    errno = e;
    return -1;
}

static int fd_counts(int fd, const char *op, char *buf, size_t size, const char **path) {
    setup();
    if (!prefix) return 0;
    *path = fd_path(fd, buf, size);
    if (!*path || !under_prefix(*path)) return 0;
    return 1 + count(op, *path);
}

static int path_counts(int dirfd, const char *p, const char *op, char *buf, size_t size,
                       const char **path) {
    setup();
    if (!prefix) return 0;
    *path = absolute(dirfd, p, buf, size);
    if (!*path || !under_prefix(*path)) return 0;
    return 1 + count(op, *path);
}

#define REAL(name) \
    static __typeof__(&name) real_##name; \
    if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

/* ---- byte-moving calls ---- */

ssize_t write(int fd, const void *buf, size_t n) {
    REAL(write);
    char b[4096];
    const char *path;
    if (n > 0 && fd_counts(fd, "write", b, sizeof b, &path) == 2) {
        if (fault_short && n > 1) {
            fired("write", path, "short");
            return real_write(fd, buf, n / 2);
        }
        return fail_plain("write", path);
    }
    return real_write(fd, buf, n);
}

static ssize_t do_pwrite(const char *name, ssize_t (*real)(int, const void *, size_t, off_t),
                         int fd, const void *buf, size_t n, off_t off) {
    char b[4096];
    const char *path;
    if (n > 0 && fd_counts(fd, name, b, sizeof b, &path) == 2) {
        if (fault_short && n > 1) {
            fired(name, path, "short");
            return real(fd, buf, n / 2, off);
        }
        return fail_plain(name, path);
    }
    return real(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    REAL(pwrite);
    return do_pwrite("pwrite", real_pwrite, fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
    REAL(pwrite64);
    return do_pwrite("pwrite64", real_pwrite64, fd, buf, n, off);
}

static ssize_t short_vector(ssize_t (*real)(int, const struct iovec *, int), int fd,
                            const struct iovec *iov, int count_) {
    /* Write half of the first non-empty buffer only. */
    for (int i = 0; i < count_; i++) {
        if (iov[i].iov_len > 0) {
            struct iovec half = iov[i];
            half.iov_len = half.iov_len > 1 ? half.iov_len / 2 : 1;
            return real(fd, &half, 1);
        }
    }
    return real(fd, iov, count_);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
    REAL(writev);
    char b[4096];
    const char *path;
    if (fd_counts(fd, "writev", b, sizeof b, &path) == 2) {
        if (fault_short) {
            fired("writev", path, "short");
            return short_vector(real_writev, fd, iov, n);
        }
        return fail_plain("writev", path);
    }
    return real_writev(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
    REAL(pwritev);
    char b[4096];
    const char *path;
    if (fd_counts(fd, "pwritev", b, sizeof b, &path) == 2) return fail_plain("pwritev", path);
    return real_pwritev(fd, iov, n, off);
}

/* ---- durability ---- */

int fsync(int fd) {
    REAL(fsync);
    char b[4096];
    const char *path;
    if (fd_counts(fd, "fsync", b, sizeof b, &path) == 2) return fail_plain("fsync", path);
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    char b[4096];
    const char *path;
    if (fd_counts(fd, "fdatasync", b, sizeof b, &path) == 2) return fail_plain("fdatasync", path);
    return real_fdatasync(fd);
}

int close(int fd) {
    REAL(close);
    char b[4096];
    const char *path;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_ACCMODE) != O_RDONLY
        && fd_counts(fd, "close", b, sizeof b, &path) == 2) {
        real_close(fd);
        return fail_plain("close", path);
    }
    return real_close(fd);
}

/* ---- names ---- */

static int open_common(const char *name, int dirfd, const char *p, int flags) {
    char b[4096];
    const char *path;
    if ((flags & O_CREAT) && path_counts(dirfd, p, name, b, sizeof b, &path) == 2)
        return fail_plain(name, path);
    return 0;
}

int open(const char *p, int flags, ...) {
    REAL(open);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (open_common("open", AT_FDCWD, p, flags)) return -1;
    return real_open(p, flags, mode);
}

int open64(const char *p, int flags, ...) {
    REAL(open64);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (open_common("open", AT_FDCWD, p, flags)) return -1;
    return real_open64(p, flags, mode);
}

int openat(int dirfd, const char *p, int flags, ...) {
    REAL(openat);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (open_common("openat", dirfd, p, flags)) return -1;
    return real_openat(dirfd, p, flags, mode);
}

int openat64(int dirfd, const char *p, int flags, ...) {
    REAL(openat64);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (open_common("openat", dirfd, p, flags)) return -1;
    return real_openat64(dirfd, p, flags, mode);
}

int creat(const char *p, mode_t mode) {
    REAL(creat);
    if (open_common("creat", AT_FDCWD, p, O_CREAT)) return -1;
    return real_creat(p, mode);
}

int creat64(const char *p, mode_t mode) {
    REAL(creat64);
    if (open_common("creat", AT_FDCWD, p, O_CREAT)) return -1;
    return real_creat64(p, mode);
}

static int two_paths(const char *name, int fd1, const char *a, int fd2, const char *b2) {
    setup();
    if (!prefix) return 0;
    char x[4096], y[4096];
    const char *pa = absolute(fd1, a, x, sizeof x);
    const char *pb = absolute(fd2, b2, y, sizeof y);
    const char *which = under_prefix(pb) ? pb : (under_prefix(pa) ? pa : NULL);
    if (!which) return 0;
    if (count(name, which)) {
        fail_plain(name, which);
        return 1;
    }
    return 0;
}

int rename(const char *a, const char *b) {
    REAL(rename);
    if (two_paths("rename", AT_FDCWD, a, AT_FDCWD, b)) return -1;
    return real_rename(a, b);
}

int renameat(int fa, const char *a, int fb, const char *b) {
    REAL(renameat);
    if (two_paths("renameat", fa, a, fb, b)) return -1;
    return real_renameat(fa, a, fb, b);
}

int renameat2(int fa, const char *a, int fb, const char *b, unsigned int flags) {
    REAL(renameat2);
    if (two_paths("renameat2", fa, a, fb, b)) return -1;
    return real_renameat2(fa, a, fb, b, flags);
}

int link(const char *a, const char *b) {
    REAL(link);
    if (two_paths("link", AT_FDCWD, a, AT_FDCWD, b)) return -1;
    return real_link(a, b);
}

int linkat(int fa, const char *a, int fb, const char *b, int flags) {
    REAL(linkat);
    if (two_paths("linkat", fa, a, fb, b)) return -1;
    return real_linkat(fa, a, fb, b, flags);
}

static int mkdir_counts(const char *name, int dirfd, const char *p) {
    setup();
    if (!prefix) return 0;
    char b[4096];
    const char *path = absolute(dirfd, p, b, sizeof b);
    if (!path || !under_prefix(path)) return 0;
    struct stat st;
    if (lstat(path, &st) == 0) return 0; /* EEXIST either way: not a write point */
    if (count(name, path)) {
        fail_plain(name, path);
        return 1;
    }
    return 0;
}

int mkdir(const char *p, mode_t mode) {
    REAL(mkdir);
    if (mkdir_counts("mkdir", AT_FDCWD, p)) return -1;
    return real_mkdir(p, mode);
}

int mkdirat(int dirfd, const char *p, mode_t mode) {
    REAL(mkdirat);
    if (mkdir_counts("mkdirat", dirfd, p)) return -1;
    return real_mkdirat(dirfd, p, mode);
}
