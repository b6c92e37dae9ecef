/*
 * ntfsemu: emulate Windows/NTFS "file in use" rules on Linux, as an LD_PRELOAD library.
 *
 * Build:  gcc -shared -fPIC -O2 -Wall -Wextra -o libntfsemu.so ntfsemu.c -ldl
 * Use:    LD_PRELOAD=/path/libntfsemu.so uv sync ...
 *
 * The process that has this library preloaded refuses (errno EACCES, like uv's
 * "Access is denied. (os error 5)" on Windows) the deletions and renames that Windows
 * would refuse because ANOTHER process holds the file. Holders are found in /proc:
 *
 *   open    readlink(/proc/PID/fd/N)      a handle (Python's open() has no FILE_SHARE_DELETE)
 *   mapped  path column of /proc/PID/maps a loaded DLL/.pyd (mapped image)
 *   exe     readlink(/proc/PID/exe)       a running .exe
 *   cwd     readlink(/proc/PID/cwd)       a process's current directory
 *
 * Rules (the caller itself is never a holder; processes we cannot read are ignored):
 *   delete a file  (unlink, unlinkat, remove)      refused if open, mapped or exe
 *   remove a dir   (rmdir, unlinkat AT_REMOVEDIR)  refused if a cwd is at/beneath it,
 *                                                  or an fd is open on the dir itself
 *   rename a file  (rename, renameat, renameat2)   refused if open (mapped/exe may be renamed)
 *   rename a dir                                   refused if an fd or a cwd is at/beneath it
 *                                                  (mapped files / running exes beneath do not block)
 *   rename onto an existing destination            the destination must be deletable: a file
 *                                                  by the delete rule, a dir by the rmdir rule
 *   renameat2(RENAME_EXCHANGE)                     both sides are checked as renamed
 *
 * Paths are canonicalised without following the final component (realpath of the parent +
 * basename) and compared with the kernel's view in /proc (a trailing " (deleted)" is
 * stripped). The holder set is cached for CACHE_NS of monotonic time.
 *
 * Environment: NTFSEMU_DISABLE=1 passes everything through; NTFSEMU_LOG=<file> appends
 * one line per refused operation: "refused unlink /path (open by pid N)" (when the holder
 * is beneath the path: "... (open by pid N: /held/path)").
 *
 * On any internal error (allocation, unreadable /proc, unresolvable path) the real call
 * is made unchanged.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define CACHE_NS (50LL * 1000 * 1000)

enum {
    /* Sorted by kind within a path: the first match is the one logged (exe before mapped). */
    K_OPEN = 1,
    K_EXE = 2,
    K_MAPPED = 4,
    K_CWD = 8,
};

struct held {
    char *path;
    pid_t pid;
    int kind;
};

struct heldvec {
    struct held *v;
    size_t n;
    size_t cap;
};

/* ---------------------------------------------------------------- real functions */

typedef int (*unlink_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);
typedef int (*rmdir_fn)(const char *);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*remove_fn)(const char *);

static void *real_sym(void **slot, const char *name)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (fn == NULL) {
        fn = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

#define REAL(var, type, name)                                                                     \
    static void *var##_slot;                                                                      \
    void *var##_ptr = real_sym(&var##_slot, name);                                                \
    type var;                                                                                     \
    memcpy(&var, &var##_ptr, sizeof(var)); /* ISO C: no object-to-function pointer casts */      \
    if (var == NULL) {                                                                            \
        errno = ENOSYS;                                                                           \
        return -1;                                                                                \
    }

/* ---------------------------------------------------------------- holder cache */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct heldvec g_snap;
static long long g_snap_time;
static pid_t g_snap_pid;
static int g_snap_valid;

static long long now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void vec_free(struct heldvec *hv)
{
    for (size_t i = 0; i < hv->n; i++)
        free(hv->v[i].path);
    free(hv->v);
    hv->v = NULL;
    hv->n = hv->cap = 0;
}

/* Returns 0 on success, -1 on allocation failure. */
static int vec_add(struct heldvec *hv, const char *path, size_t len, pid_t pid, int kind)
{
    static const char deleted[] = " (deleted)";
    const size_t dlen = sizeof(deleted) - 1;
    if (len == 0 || path[0] != '/')
        return 0;
    if (len > dlen && memcmp(path + len - dlen, deleted, dlen) == 0)
        len -= dlen;
    if (hv->n == hv->cap) {
        size_t ncap = hv->cap ? hv->cap * 2 : 256;
        struct held *nv = realloc(hv->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        hv->v = nv;
        hv->cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, path, len);
    copy[len] = '\0';
    hv->v[hv->n].path = copy;
    hv->v[hv->n].pid = pid;
    hv->v[hv->n].kind = kind;
    hv->n++;
    return 0;
}

static int add_link(struct heldvec *hv, const char *linkpath, pid_t pid, int kind)
{
    char buf[PATH_MAX];
    ssize_t len = readlink(linkpath, buf, sizeof(buf) - 1);
    if (len <= 0)
        return 0; /* gone, unreadable, or not ours to see: ignore */
    buf[len] = '\0';
    return vec_add(hv, buf, (size_t)len, pid, kind);
}

static int scan_fds(struct heldvec *hv, pid_t pid)
{
    char dirpath[64];
    snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dirpath);
    if (d == NULL)
        return 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char linkpath[96];
        snprintf(linkpath, sizeof(linkpath), "%s/%.20s", dirpath, de->d_name);
        if (add_link(hv, linkpath, pid, K_OPEN) != 0) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    return rc;
}

static int scan_maps(struct heldvec *hv, pid_t pid)
{
    char mapspath[64];
    snprintf(mapspath, sizeof(mapspath), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(mapspath, "re");
    if (f == NULL)
        return 0;
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    char *prev = NULL; /* consecutive lines usually map the same file */
    while ((got = getline(&line, &cap, f)) > 0) {
        if (line[got - 1] == '\n')
            line[--got] = '\0';
        /* address perms offset dev inode [path] */
        char *p = line;
        for (int field = 0; field < 5 && *p; field++) {
            while (*p && *p != ' ')
                p++;
            while (*p == ' ')
                p++;
        }
        if (*p != '/')
            continue;
        if (prev != NULL && strcmp(prev, p) == 0)
            continue;
        size_t len = strlen(p);
        if (vec_add(hv, p, len, pid, K_MAPPED) != 0) {
            rc = -1;
            break;
        }
        prev = hv->v[hv->n - 1].path;
        /* vec_add may have stripped " (deleted)": compare against the raw line next time */
        if (strlen(prev) != len)
            prev = NULL;
    }
    free(line);
    fclose(f);
    return rc;
}

static int cmp_held(const void *a, const void *b)
{
    const struct held *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c != 0)
        return c;
    return x->kind - y->kind;
}

/* Scan every readable process but ourselves. Returns 0 on success, -1 on failure. */
static int scan_proc(struct heldvec *out)
{
    struct heldvec hv = {0};
    pid_t self = getpid();
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return -1;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == (long)self)
            continue;
        char linkpath[64];
        snprintf(linkpath, sizeof(linkpath), "/proc/%ld/exe", pid);
        if (add_link(&hv, linkpath, (pid_t)pid, K_EXE) != 0) {
            rc = -1;
            break;
        }
        snprintf(linkpath, sizeof(linkpath), "/proc/%ld/cwd", pid);
        if (add_link(&hv, linkpath, (pid_t)pid, K_CWD) != 0 || scan_fds(&hv, (pid_t)pid) != 0 ||
            scan_maps(&hv, (pid_t)pid) != 0) {
            rc = -1;
            break;
        }
    }
    closedir(proc);
    if (rc != 0) {
        vec_free(&hv);
        return -1;
    }
    if (hv.n > 1) {
        qsort(hv.v, hv.n, sizeof(*hv.v), cmp_held);
        size_t w = 1;
        for (size_t r = 1; r < hv.n; r++) {
            if (hv.v[r].kind == hv.v[w - 1].kind && strcmp(hv.v[r].path, hv.v[w - 1].path) == 0) {
                free(hv.v[r].path);
                continue;
            }
            hv.v[w++] = hv.v[r];
        }
        hv.n = w;
    }
    *out = hv;
    return 0;
}

/* Make sure g_snap is fresh. Call with g_lock held. Returns 0 if g_snap is usable. */
static int refresh_locked(void)
{
    long long t = now_ns();
    pid_t self = getpid();
    if (g_snap_valid && g_snap_pid == self && t != 0 && t - g_snap_time < CACHE_NS)
        return 0;
    struct heldvec fresh;
    if (scan_proc(&fresh) != 0)
        return -1;
    vec_free(&g_snap);
    g_snap = fresh;
    g_snap_time = t;
    g_snap_pid = self;
    g_snap_valid = 1;
    return 0;
}

static void atfork_child(void)
{
    /* Another thread may have held the lock or been mid-scan: start over (leak the copy). */
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    g_lock = fresh;
    g_snap.v = NULL;
    g_snap.n = g_snap.cap = 0;
    g_snap_valid = 0;
}

__attribute__((constructor)) static void ntfsemu_init(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

/* ---------------------------------------------------------------- lookups */

/* First index whose path is >= key. */
static size_t lower_bound(const struct heldvec *hv, const char *key)
{
    size_t lo = 0, hi = hv->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(hv->v[mid].path, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct held *find_exact(const struct heldvec *hv, const char *path, int kinds)
{
    for (size_t i = lower_bound(hv, path); i < hv->n && strcmp(hv->v[i].path, path) == 0; i++)
        if (hv->v[i].kind & kinds)
            return &hv->v[i];
    return NULL;
}

static const struct held *find_beneath(const struct heldvec *hv, const char *path, int kinds)
{
    char prefix[PATH_MAX + 2];
    size_t len = strlen(path);
    if (len + 2 > sizeof(prefix))
        return NULL;
    memcpy(prefix, path, len);
    if (len == 0 || path[len - 1] != '/')
        prefix[len++] = '/';
    prefix[len] = '\0';
    for (size_t i = lower_bound(hv, prefix); i < hv->n && strncmp(hv->v[i].path, prefix, len) == 0;
         i++)
        if (hv->v[i].kind & kinds)
            return &hv->v[i];
    return NULL;
}

static const struct held *find_at_or_beneath(const struct heldvec *hv, const char *path, int kinds)
{
    const struct held *h = find_exact(hv, path, kinds);
    return h != NULL ? h : find_beneath(hv, path, kinds);
}

/* ---------------------------------------------------------------- paths */

/*
 * Absolute canonical path of (dirfd, path) without following the final component.
 * Returns 0 on success, -1 if it cannot be resolved (then the real call decides).
 */
static int resolve_at(int dirfd, const char *path, char out[PATH_MAX])
{
    char full[PATH_MAX * 2];
    if (path == NULL || path[0] == '\0')
        return -1;
    if (path[0] == '/') {
        if (strlen(path) >= sizeof(full))
            return -1;
        strcpy(full, path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (getcwd(base, sizeof(base)) == NULL)
                return -1;
        } else {
            char link[64];
            snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof(base) - 1);
            if (n <= 0)
                return -1;
            base[n] = '\0';
            if (base[0] != '/')
                return -1;
        }
        int n = snprintf(full, sizeof(full), "%s/%s", base, path);
        if (n < 0 || (size_t)n >= sizeof(full))
            return -1;
    }
    /* Strip trailing slashes ("dir/" names dir). */
    size_t len = strlen(full);
    while (len > 1 && full[len - 1] == '/')
        full[--len] = '\0';
    char *slash = strrchr(full, '/');
    if (slash == NULL)
        return -1;
    const char *name = slash + 1;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return realpath(full, out) != NULL ? 0 : -1;
    char parent[PATH_MAX];
    if (slash == full) {
        strcpy(parent, "/");
    } else {
        *slash = '\0';
        if (realpath(full, parent) == NULL)
            return -1;
    }
    int n = snprintf(out, PATH_MAX, "%s%s%s", parent, strcmp(parent, "/") == 0 ? "" : "/", name);
    if (n < 0 || n >= PATH_MAX)
        return -1;
    return 0;
}

/* 1 = directory, 0 = anything else, -1 = does not exist / cannot tell. */
static int is_dir(const char *abspath)
{
    struct stat st;
    if (lstat(abspath, &st) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

/* ---------------------------------------------------------------- rules */

static int disabled(void)
{
    const char *v = getenv("NTFSEMU_DISABLE");
    return v != NULL && strcmp(v, "1") == 0;
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case K_OPEN:
        return "open";
    case K_MAPPED:
        return "mapped";
    case K_EXE:
        return "exe";
    case K_CWD:
        return "cwd";
    default:
        return "held";
    }
}

static void log_refusal(const char *op, const char *path, const struct held *h)
{
    const char *logfile = getenv("NTFSEMU_LOG");
    if (logfile == NULL || logfile[0] == '\0')
        return;
    char line[PATH_MAX * 2 + 128];
    int n;
    if (strcmp(path, h->path) == 0)
        n = snprintf(line, sizeof(line), "refused %s %s (%s by pid %d)\n", op, path,
                     kind_name(h->kind), (int)h->pid);
    else
        n = snprintf(line, sizeof(line), "refused %s %s (%s by pid %d: %s)\n", op, path,
                     kind_name(h->kind), (int)h->pid, h->path);
    if (n <= 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    int fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

enum what {
    W_DELETE_FILE, /* unlink: open, mapped, exe */
    W_RMDIR,       /* cwd at/beneath, fd on the dir itself */
    W_RENAME_FILE, /* fd on the file */
    W_RENAME_DIR,  /* fd or cwd at/beneath */
};

static const struct held *holder_for(const struct heldvec *hv, const char *abspath, enum what w)
{
    switch (w) {
    case W_DELETE_FILE:
        return find_exact(hv, abspath, K_OPEN | K_MAPPED | K_EXE);
    case W_RMDIR: {
        const struct held *h = find_at_or_beneath(hv, abspath, K_CWD);
        return h != NULL ? h : find_exact(hv, abspath, K_OPEN);
    }
    case W_RENAME_FILE:
        return find_exact(hv, abspath, K_OPEN);
    case W_RENAME_DIR:
        return find_at_or_beneath(hv, abspath, K_OPEN | K_CWD);
    }
    return NULL;
}

struct target {
    char path[PATH_MAX];
    enum what what;
    int active;
};

/*
 * Check up to two targets under one snapshot. Returns 1 (and logs) if the operation
 * must be refused, 0 to let the real call run.
 */
static int refuse(const char *op, struct target *t, int count)
{
    int any = 0;
    for (int i = 0; i < count; i++)
        any |= t[i].active;
    if (!any)
        return 0;
    int refused = 0;
    if (pthread_mutex_lock(&g_lock) != 0)
        return 0;
    if (refresh_locked() == 0) {
        for (int i = 0; i < count && !refused; i++) {
            if (!t[i].active)
                continue;
            const struct held *h = holder_for(&g_snap, t[i].path, t[i].what);
            if (h != NULL) {
                log_refusal(op, t[i].path, h);
                refused = 1;
            }
        }
    }
    pthread_mutex_unlock(&g_lock);
    return refused;
}

/* mode: 0 = unlink (files only), 1 = rmdir (dirs only), -1 = remove (either). */
static int refuse_delete(const char *op, int dirfd, const char *path, int mode)
{
    if (disabled())
        return 0;
    struct target t;
    t.active = 0;
    if (resolve_at(dirfd, path, t.path) != 0)
        return 0;
    int d = is_dir(t.path);
    if (d < 0)
        return 0;
    if (d == 1 && mode != 0) {
        t.what = W_RMDIR;
        t.active = 1;
    } else if (d == 0 && mode != 1) {
        t.what = W_DELETE_FILE;
        t.active = 1;
    }
    return refuse(op, &t, 1);
}

static int refuse_rename(const char *op, int olddirfd, const char *oldpath, int newdirfd,
                         const char *newpath, unsigned int flags)
{
    if (disabled())
        return 0;
    struct target t[2];
    t[0].active = t[1].active = 0;
    t[0].path[0] = t[1].path[0] = '\0';
    if (resolve_at(olddirfd, oldpath, t[0].path) == 0) {
        int d = is_dir(t[0].path);
        if (d >= 0) {
            t[0].what = d ? W_RENAME_DIR : W_RENAME_FILE;
            t[0].active = 1;
        }
    }
    if (!(flags & RENAME_NOREPLACE) && resolve_at(newdirfd, newpath, t[1].path) == 0 &&
        strcmp(t[0].path, t[1].path) != 0) {
        int d = is_dir(t[1].path);
        if (d >= 0) {
            if (flags & RENAME_EXCHANGE)
                t[1].what = d ? W_RENAME_DIR : W_RENAME_FILE;
            else
                t[1].what = d ? W_RMDIR : W_DELETE_FILE; /* replacing deletes it */
            t[1].active = 1;
        }
    }
    return refuse(op, t, 2);
}

/* ---------------------------------------------------------------- interposed symbols */

int unlink(const char *path)
{
    REAL(real, unlink_fn, "unlink");
    int saved = errno;
    if (refuse_delete("unlink", AT_FDCWD, path, 0)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    REAL(real, unlinkat_fn, "unlinkat");
    int saved = errno;
    if (refuse_delete("unlinkat", dirfd, path, (flags & AT_REMOVEDIR) ? 1 : 0)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(dirfd, path, flags);
}

int rmdir(const char *path)
{
    REAL(real, rmdir_fn, "rmdir");
    int saved = errno;
    if (refuse_delete("rmdir", AT_FDCWD, path, 1)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(path);
}

/* glibc's remove() calls its internal unlink/rmdir, which bypass the symbols above. */
int remove(const char *path)
{
    REAL(real, remove_fn, "remove");
    int saved = errno;
    if (refuse_delete("remove", AT_FDCWD, path, -1)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(path);
}

int rename(const char *oldpath, const char *newpath)
{
    REAL(real, rename_fn, "rename");
    int saved = errno;
    if (refuse_rename("rename", AT_FDCWD, oldpath, AT_FDCWD, newpath, 0)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    REAL(real, renameat_fn, "renameat");
    int saved = errno;
    if (refuse_rename("renameat", olddirfd, oldpath, newdirfd, newpath, 0)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(olddirfd, oldpath, newdirfd, newpath);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
    REAL(real, renameat2_fn, "renameat2");
    int saved = errno;
    if (refuse_rename("renameat2", olddirfd, oldpath, newdirfd, newpath, flags)) {
        errno = EACCES;
        return -1;
    }
    errno = saved;
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}
