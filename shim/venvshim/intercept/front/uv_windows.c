/* uv.exe: venvshim's Windows front end, what uv.sh is on POSIX (issue 12).
 *
 * Written by `venvshim install` into the shim directory, byte-identical for everyone (the
 * install-specific facts are in venvshim-front.cfg beside it). It
 *   1. finds the real uv: VENVSHIM_REAL_UV, else the first uv.exe/uv.com (PATHEXT order) on
 *      PATH that is not this file and not in a directory stamped `.venvshim-shim-dir`;
 *      VENVSHIM_GUARD (the path this front end is about to start) stops a shim that would
 *      start itself;
 *   2. classifies the subcommand exactly as uv.sh does (same lists: tests check them);
 *   3. for an intercepted command, looks for a cached "keep" verdict written by
 *      venvshim.intercept.winverdicts (one file per working directory, strictly parsed; nothing
 *      in it is ever executed; malformed or foreign means "no verdict");
 *   4. runs the real uv, or venvshim's Python when a decision is needed, as a child with the
 *      command line after argv[0] passed through untouched, in a job object that kills it if
 *      this process dies, ignoring console control events (the child gets them), and exits with
 *      the child's exit code.
 * Windows API only (kernel32). Build: build.sh beside this file (reproducible; CI compares).
 */
#define WIN32_LEAN_AND_MEAN
#define _WIN32_WINNT 0x0601
#include <windows.h>
#include <stdarg.h>

/* uv's grammar as uv.sh knows it (venvshim.intercept.uvargs owns it; tests compare). */
static const wchar_t *const GLOBAL_VALUE[] = {
    L"--cache-dir", L"--color", L"--allow-insecure-host", L"--trusted-host", L"--directory",
    L"--project", L"--config-file", L"--python-preference", L"--python-fetch",
    L"--preview-features", L"--preview-feature", NULL};
static const wchar_t *const INTERCEPTED[] = {
    L"sync", L"run", L"add", L"remove", L"version", L"venv", L"v", L"virtualenv", L"check", NULL};
static const wchar_t *const PASSED_ON[] = {
    L"auth", L"init", L"lock", L"export", L"tree", L"format", L"audit", L"python", L"build",
    L"publish", L"workspace", L"cache", L"self", L"help", L"generate-shell-completion", NULL};
/* `tool` and `pip`: the next word says whether files in an environment may go. */
static const wchar_t *const NESTED[] = {L"tool", L"pip", NULL};
static const wchar_t *const TOOL_INTERCEPTED[] = {L"install", L"upgrade", L"uninstall", NULL};
static const wchar_t *const TOOL_PASSED_ON[] = {
    L"run", L"list", L"ls", L"audit", L"update-shell", L"dir", L"help", NULL};
static const wchar_t *const PIP_INTERCEPTED[] = {L"install", L"uninstall", L"sync", NULL};
static const wchar_t *const PIP_PASSED_ON[] = {
    L"compile", L"freeze", L"list", L"ls", L"show", L"tree", L"check", L"help", NULL};

#define STAMP L".venvshim-shim-dir"
#define CONFIG L"venvshim-front.cfg"
#define MAX_FILE (1u << 20)
#define EXIT_SHIM_ERROR 2

/* ---- memory and strings (nothing is freed: the process is short-lived) ---- */

static void die(const wchar_t *error, const wchar_t *hint);

static void *xalloc(SIZE_T n) {
    void *p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n ? n : 1);
    if (!p) die(L"out of memory", L"close some programs and try again");
    return p;
}

static size_t wlen(const wchar_t *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

typedef struct {
    wchar_t *s;
    size_t len, cap;
} Str;

static void str_add(Str *b, const wchar_t *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        wchar_t *p = xalloc(cap * sizeof(wchar_t));
        for (size_t i = 0; i < b->len; i++) p[i] = b->s[i];
        b->s = p;
        b->cap = cap;
    }
    for (size_t i = 0; i < n; i++) b->s[b->len++] = s[i];
    b->s[b->len] = 0;
}

static void str_addz(Str *b, const wchar_t *s) { str_add(b, s, wlen(s)); }

/* cat(a, b, ..., NULL): a new string. */
static wchar_t *cat(const wchar_t *first, ...) {
    Str b = {0};
    va_list ap;
    va_start(ap, first);
    for (const wchar_t *s = first; s; s = va_arg(ap, const wchar_t *)) str_addz(&b, s);
    va_end(ap);
    if (!b.s) str_add(&b, L"", 0);
    return b.s;
}

static BOOL eq(const wchar_t *a, const wchar_t *b) {
    size_t i = 0;
    for (; a[i] && a[i] == b[i]; i++) {
    }
    return a[i] == b[i];
}

static BOOL eq_nocase(const wchar_t *a, const wchar_t *b) {
    return CompareStringOrdinal(a, -1, b, -1, TRUE) == CSTR_EQUAL;
}

static BOOL in_list(const wchar_t *s, const wchar_t *const *list) {
    for (; *list; list++)
        if (eq(s, *list)) return TRUE;
    return FALSE;
}

/* ---- output ---- */

static void write_err(const wchar_t *s) {
    HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
    DWORD mode, done;
    int n = (int)wlen(s);
    if (h == NULL || h == INVALID_HANDLE_VALUE || n == 0) return;
    if (GetConsoleMode(h, &mode)) {
        WriteConsoleW(h, s, (DWORD)n, &done, NULL);
        return;
    }
    int bytes = WideCharToMultiByte(CP_UTF8, 0, s, n, NULL, 0, NULL, NULL);
    if (bytes <= 0) return;
    char *u = xalloc((SIZE_T)bytes);
    WideCharToMultiByte(CP_UTF8, 0, s, n, u, bytes, NULL, NULL);
    WriteFile(h, u, (DWORD)bytes, &done, NULL);
}

/* `error: venvshim: ...` and `hint: ...` as uv.sh and uv print them; exit 2, like uv.sh. */
static void die(const wchar_t *error, const wchar_t *hint) {
    write_err(L"error: venvshim: ");
    write_err(error);
    write_err(L"\n");
    if (hint) {
        write_err(L"hint: ");
        write_err(hint);
        write_err(L"\n");
    }
    ExitProcess(EXIT_SHIM_ERROR);
}

static wchar_t *os_error(DWORD code) {
    wchar_t *msg = NULL;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, code, 0, (wchar_t *)&msg, 0, NULL);
    while (n && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L'.' ||
                 msg[n - 1] == L' '))
        msg[--n] = 0;
    wchar_t num[16];
    int i = 15;
    num[i] = 0;
    do num[--i] = (wchar_t)(L'0' + code % 10); while ((code /= 10) && i > 0);
    return n ? cat(msg, L" (os error ", num + i, L")", NULL) : cat(L"os error ", num + i, NULL);
}

/* ---- environment and files ---- */

/* NULL when unset; "" when set and empty (uv.sh's ${X-} vs ${X+x} distinction). */
static wchar_t *env_get(const wchar_t *name) {
    SetLastError(0);
    DWORD n = GetEnvironmentVariableW(name, NULL, 0);
    if (n == 0) return GetLastError() == ERROR_ENVVAR_NOT_FOUND ? NULL : cat(L"", NULL);
    for (;;) {
        wchar_t *v = xalloc((SIZE_T)n * sizeof(wchar_t));
        SetLastError(0);
        DWORD m = GetEnvironmentVariableW(name, v, n);
        if (m == 0) return GetLastError() == ERROR_ENVVAR_NOT_FOUND ? NULL : cat(L"", NULL);
        if (m < n) return v;
        n = m; /* it grew in between */
    }
}

static wchar_t *full_path(const wchar_t *p) {
    DWORD n = GetFullPathNameW(p, 0, NULL, NULL);
    if (n == 0) return cat(p, NULL);
    wchar_t *out = xalloc((SIZE_T)n * sizeof(wchar_t));
    DWORD m = GetFullPathNameW(p, n, out, NULL);
    return (m == 0 || m >= n) ? cat(p, NULL) : out;
}

static wchar_t *self_path(void) {
    for (DWORD n = MAX_PATH;; n *= 2) {
        wchar_t *p = xalloc((SIZE_T)n * sizeof(wchar_t));
        DWORD m = GetModuleFileNameW(NULL, p, n);
        if (m == 0) die(L"cannot tell where this uv.exe is", L"run `venvshim doctor`");
        if (m < n) return p;
        if (n > 32768) die(L"this uv.exe's path is too long", L"run `venvshim doctor`");
    }
}

static wchar_t *parent_dir(const wchar_t *path) {
    size_t cut = 0;
    for (size_t i = 0; path[i]; i++)
        if (path[i] == L'\\' || path[i] == L'/') cut = i;
    Str b = {0};
    str_add(&b, path, cut);
    return b.s ? b.s : cat(L".", NULL);
}

static wchar_t *join(const wchar_t *dir, const wchar_t *name) {
    size_t n = wlen(dir);
    BOOL sep = n > 0 && (dir[n - 1] == L'\\' || dir[n - 1] == L'/');
    return cat(dir, sep ? L"" : L"\\", name, NULL);
}

static BOOL exists(const wchar_t *p) { return GetFileAttributesW(p) != INVALID_FILE_ATTRIBUTES; }

static BOOL file_id(const wchar_t *p, BY_HANDLE_FILE_INFORMATION *info) {
    HANDLE h = CreateFileW(p, FILE_READ_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) return FALSE;
    BOOL ok = GetFileInformationByHandle(h, info);
    CloseHandle(h);
    return ok;
}

static BOOL same_file(const wchar_t *a, const wchar_t *b) {
    BY_HANDLE_FILE_INFORMATION x, y;
    if (eq_nocase(a, b)) return TRUE;
    return file_id(a, &x) && file_id(b, &y) &&
           x.dwVolumeSerialNumber == y.dwVolumeSerialNumber &&
           x.nFileIndexHigh == y.nFileIndexHigh && x.nFileIndexLow == y.nFileIndexLow;
}

static BOOL read_small_file(const wchar_t *path, char **data, DWORD *size) {
    HANDLE h = CreateFileW(path, GENERIC_READ,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return FALSE;
    LARGE_INTEGER len;
    BOOL ok = GetFileSizeEx(h, &len) && len.QuadPart >= 0 && len.QuadPart <= MAX_FILE;
    DWORD got = 0;
    if (ok) {
        *data = xalloc((SIZE_T)len.QuadPart + 1);
        while (ok && got < (DWORD)len.QuadPart) {
            DWORD n = 0;
            ok = ReadFile(h, *data + got, (DWORD)len.QuadPart - got, &n, NULL) && n > 0;
            got += n;
        }
    }
    CloseHandle(h);
    *size = got;
    return ok;
}

/* ---- finding the real uv (uv.sh's loop; realuv.py's PATHEXT rule) ---- */

static const wchar_t HINT_REAL_UV[] =
    L"point VENVSHIM_REAL_UV at the real uv.exe, or unset it, then run `venvshim doctor`";

static wchar_t *find_real_uv(const wchar_t *self) {
    wchar_t *explicit_uv = env_get(L"VENVSHIM_REAL_UV");
    if (explicit_uv && *explicit_uv) {
        wchar_t *full = full_path(explicit_uv);
        DWORD a = GetFileAttributesW(full);
        if (a == INVALID_FILE_ATTRIBUTES)
            die(cat(L"VENVSHIM_REAL_UV names `", explicit_uv, L"`, which does not exist", NULL),
                HINT_REAL_UV);
        if (a & FILE_ATTRIBUTE_DIRECTORY)
            die(cat(L"VENVSHIM_REAL_UV names `", explicit_uv, L"`, which is a directory", NULL),
                HINT_REAL_UV);
        if (same_file(full, self) || exists(join(parent_dir(full), STAMP)))
            die(cat(L"VENVSHIM_REAL_UV names `", explicit_uv,
                    L"`, which is venvshim's shim, not the real uv (it would call itself)", NULL),
                HINT_REAL_UV);
        return full;
    }
    wchar_t *pathext = env_get(L"PATHEXT");
    if (!pathext) pathext = cat(L".COM;.EXE;.BAT;.CMD", NULL);
    const wchar_t *exts[64];
    int n_exts = 0;
    for (wchar_t *e = pathext; *e && n_exts < 64;) {
        wchar_t *end = e;
        while (*end && *end != L';') end++;
        BOOL last = *end == 0;
        *end = 0;
        if (eq_nocase(e, L".exe") || eq_nocase(e, L".com")) exts[n_exts++] = e;
        if (last) break;
        e = end + 1;
    }
    wchar_t *path = env_get(L"PATH");
    for (wchar_t *d = path; d && *d;) {
        wchar_t *end = d;
        while (*end && *end != L';') end++;
        BOOL last = *end == 0;
        *end = 0;
        size_t n = wlen(d);
        if (n >= 2 && d[0] == L'"' && d[n - 1] == L'"') { /* a quoted entry */
            d[n - 1] = 0;
            d++;
        }
        if (*d) {
            for (int i = 0; i < n_exts; i++) {
                wchar_t *candidate = join(d, cat(L"uv", exts[i], NULL));
                DWORD a = GetFileAttributesW(candidate);
                if (a == INVALID_FILE_ATTRIBUTES || (a & FILE_ATTRIBUTE_DIRECTORY)) continue;
                if (exists(join(d, STAMP))) break; /* a shim directory: skip all of it */
                wchar_t *full = full_path(candidate);
                if (same_file(full, self)) continue;
                return full;
            }
        }
        if (last) break;
        d = end + 1;
    }
    die(L"cannot find the real uv on PATH (only this shim is there)",
        L"install uv (https://docs.astral.sh/uv/), or set VENVSHIM_REAL_UV to its path");
    return NULL;
}

/* ---- the command line: Rust's std rules (uv is a Rust program; UCRT's rules are the same) --- */

static BOOL blank(wchar_t c) { return c == L' ' || c == L'\t'; }

/* What follows argv[0] and the blanks after it: passed to the child untouched. */
static const wchar_t *skip_argv0(const wchar_t *p) {
    BOOL quoted = FALSE;
    for (; *p; p++) {
        if (*p == L'"')
            quoted = !quoted;
        else if (blank(*p) && !quoted)
            break;
    }
    while (blank(*p)) p++;
    return p;
}

typedef struct {
    wchar_t **v;
    int n;
} Args;

static Args parse_args(const wchar_t *p) {
    Args a = {0};
    int cap = 0;
    Str cur = {0};
    BOOL quoted = FALSE, any = FALSE;
    for (;;) {
        wchar_t c = *p;
        if (c == 0 || (blank(c) && !quoted)) {
            if (any || quoted) {
                if (a.n == cap) {
                    cap = cap ? cap * 2 : 16;
                    wchar_t **v = xalloc((SIZE_T)cap * sizeof(wchar_t *));
                    for (int i = 0; i < a.n; i++) v[i] = a.v[i];
                    a.v = v;
                }
                a.v[a.n++] = cur.s ? cur.s : cat(L"", NULL);
                cur = (Str){0};
                any = FALSE;
            }
            if (c == 0) break;
            quoted = FALSE;
            while (blank(*p)) p++;
            continue;
        }
        any = TRUE;
        if (c == L'\\') {
            size_t count = 0;
            while (*p == L'\\') count++, p++;
            if (*p == L'"') {
                for (size_t i = 0; i < count / 2; i++) str_add(&cur, L"\\", 1);
                if (count % 2) {
                    str_add(&cur, L"\"", 1);
                    p++;
                }
            } else {
                for (size_t i = 0; i < count; i++) str_add(&cur, L"\\", 1);
            }
            continue;
        }
        if (c == L'"') {
            if (quoted && p[1] == L'"') {
                str_add(&cur, L"\"", 1);
                p += 2;
                continue;
            }
            quoted = !quoted;
            p++;
            continue;
        }
        str_add(&cur, p, 1);
        p++;
    }
    return a;
}

/* argv[0]: quoted whole, no escapes (the rules above take it literally up to the next quote;
 * a Windows path holds no quote). */
static void add_program(Str *b, const wchar_t *path) {
    str_add(b, L"\"", 1);
    str_addz(b, path);
    str_add(b, L"\"", 1);
}

/* One argument quoted so that the rules above give it back exactly. */
static void add_quoted(Str *b, const wchar_t *arg) {
    BOOL plain = *arg != 0;
    for (const wchar_t *q = arg; *q; q++)
        if (blank(*q) || *q == L'"' || *q == L'\n' || *q == L'\v') plain = FALSE;
    if (plain) {
        str_addz(b, arg);
        return;
    }
    str_add(b, L"\"", 1);
    for (const wchar_t *q = arg;; q++) {
        size_t count = 0;
        while (*q == L'\\') count++, q++;
        if (*q == 0) {
            for (size_t i = 0; i < count * 2; i++) str_add(b, L"\\", 1);
            break;
        }
        size_t times = *q == L'"' ? count * 2 + 1 : count;
        for (size_t i = 0; i < times; i++) str_add(b, L"\\", 1);
        str_add(b, q, 1);
    }
    str_add(b, L"\"", 1);
}

/* uv.sh's loop: 1 when the command may replace an environment or delete files in one (Python
 * decides). */
static BOOL needs_decision(const Args *a) {
    const wchar_t *nested = NULL;
    for (int i = 0; i < a->n; i++) {
        const wchar_t *s = a->v[i];
        if (in_list(s, GLOBAL_VALUE)) {
            i++;
            continue;
        }
        if (eq(s, L"--")) return FALSE;
        if (s[0] == L'-') continue;
        if (nested) {
            BOOL tool = eq(nested, L"tool");
            if (in_list(s, tool ? TOOL_INTERCEPTED : PIP_INTERCEPTED)) return TRUE;
            if (in_list(s, tool ? TOOL_PASSED_ON : PIP_PASSED_ON)) return FALSE;
            return TRUE; /* an unknown subcommand: ask Python */
        }
        if (in_list(s, INTERCEPTED)) return TRUE;
        if (in_list(s, NESTED)) {
            nested = s;
            continue;
        }
        if (in_list(s, PASSED_ON)) return FALSE;
        return TRUE; /* an unknown word (maybe the value of an unknown option): ask Python */
    }
    return FALSE;
}

/* ---- the strict reader shared by the verdict file and the config file ----
 * Grammar (winverdicts.py writes it): lines of ASCII keywords; every string is
 * `<decimal byte length>:<UTF-8 bytes>`, so no byte in it is ever interpreted; numbers are
 * decimal without leading zeros. Anything else anywhere: the whole file is rejected. */

typedef struct {
    const char *p, *end;
} Rd;

static BOOL rd_lit(Rd *r, const char *lit) {
    const char *p = r->p;
    for (; *lit; lit++, p++)
        if (p >= r->end || *p != *lit) return FALSE;
    r->p = p;
    return TRUE;
}

static BOOL rd_num(Rd *r, ULONGLONG max, ULONGLONG *out) {
    const char *p = r->p;
    ULONGLONG v = 0;
    if (p >= r->end || *p < '0' || *p > '9') return FALSE;
    if (*p == '0' && p + 1 < r->end && p[1] >= '0' && p[1] <= '9') return FALSE;
    for (; p < r->end && *p >= '0' && *p <= '9'; p++) {
        ULONGLONG d = (ULONGLONG)(*p - '0');
        if (v > (max - d) / 10) return FALSE;
        v = v * 10 + d;
    }
    r->p = p;
    *out = v;
    return TRUE;
}

static BOOL rd_str(Rd *r, wchar_t **out) {
    ULONGLONG n;
    if (!rd_num(r, MAX_FILE, &n) || !rd_lit(r, ":") || (ULONGLONG)(r->end - r->p) < n)
        return FALSE;
    for (ULONGLONG i = 0; i < n; i++)
        if (r->p[i] == 0) return FALSE;
    int w = 0;
    if (n) {
        w = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, r->p, (int)n, NULL, 0);
        if (w <= 0) return FALSE;
    }
    wchar_t *s = xalloc(((SIZE_T)w + 1) * sizeof(wchar_t));
    if (n && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, r->p, (int)n, s, w) != w)
        return FALSE;
    r->p += n;
    *out = s;
    return TRUE;
}

/* `TAG STRING\n` */
static BOOL rd_field(Rd *r, const char *tag, wchar_t **out) {
    return rd_lit(r, tag) && rd_lit(r, " ") && rd_str(r, out) && rd_lit(r, "\n");
}

static BOOL rd_name(Rd *r, wchar_t **out) {
    wchar_t buf[65];
    int n = 0;
    while (r->p < r->end && n < 64 &&
           ((*r->p >= 'A' && *r->p <= 'Z') || (*r->p >= 'a' && *r->p <= 'z') ||
            (*r->p >= '0' && *r->p <= '9') || *r->p == '_'))
        buf[n++] = (wchar_t)*r->p++;
    buf[n] = 0;
    *out = cat(buf, NULL);
    return n > 0;
}

static ULONGLONG fnv1a(const unsigned char *p, size_t n) {
    ULONGLONG h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void hex16(ULONGLONG v, char *out) {
    for (int i = 15; i >= 0; i--, v >>= 4) out[i] = "0123456789abcdef"[v & 15];
    out[16] = 0;
}

/* ---- the config file beside uv.exe (written by `venvshim install`) ---- */

typedef struct {
    wchar_t *python, *state;
    wchar_t *args[16];
    int n_args;
} Config;

static BOOL load_config(const wchar_t *path, Config *cfg) {
    char *data;
    DWORD size;
    if (!read_small_file(path, &data, &size)) return FALSE;
    Rd r = {data, data + size};
    if (!rd_lit(&r, "venvshim-front 1\n") || !rd_field(&r, "python", &cfg->python)) return FALSE;
    while (rd_lit(&r, "arg ")) {
        if (cfg->n_args == 16 || !rd_str(&r, &cfg->args[cfg->n_args++]) || !rd_lit(&r, "\n"))
            return FALSE;
    }
    return rd_field(&r, "state", &cfg->state) && r.p == r.end && *cfg->python;
}

/* ---- cached "keep" verdicts (winverdicts.py) ---- */

static BOOL still_absent(const wchar_t *p) {
    if (GetFileAttributesW(p) != INVALID_FILE_ATTRIBUTES) return FALSE;
    DWORD e = GetLastError();
    return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND;
}

/* The mtime as Python's os.stat sees it (links followed). */
static BOOL mtime_of(const wchar_t *p, ULONGLONG *out) {
    WIN32_FILE_ATTRIBUTE_DATA d;
    FILETIME ft;
    if (!GetFileAttributesExW(p, GetFileExInfoStandard, &d)) return FALSE;
    ft = d.ftLastWriteTime;
    if (d.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
        BY_HANDLE_FILE_INFORMATION info;
        if (!file_id(p, &info)) return FALSE;
        ft = info.ftLastWriteTime;
    }
    *out = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return TRUE;
}

static wchar_t ascii_lower(wchar_t c) { return c >= L'A' && c <= L'Z' ? c + 32 : c; }

/* `needle` (lower case) in `s`, ASCII letters in any case: Python's `needle in s.lower()`. */
static BOOL has_text(const wchar_t *s, const wchar_t *needle) {
    for (; *s; s++) {
        size_t i = 0;
        while (needle[i] && ascii_lower(s[i]) == needle[i]) i++;
        if (!needle[i]) return TRUE;
    }
    return FALSE;
}

/* `uv run CMD ...` with no uv option and nothing path-like or .py: winverdicts.generic_run. */
static BOOL generic_run(const Args *a) {
    if (a->n < 2 || !eq(a->v[0], L"run") || a->v[1][0] == L'-') return FALSE;
    for (int i = 0; i < a->n; i++)
        for (const wchar_t *s = a->v[i]; *s; s++)
            if (*s == L'/' || *s == L'\\') return FALSE;
    for (int i = 0; i < a->n; i++)
        if (has_text(a->v[i], L".py")) return FALSE;
    return TRUE;
}

/* Parses one entry; *hit is TRUE only if `check` and every check holds. Checks stop at the
 * first failure (and after a hit: check is FALSE), parsing never does: a malformed entry
 * rejects the whole file. */
static BOOL read_entry(Rd *r, const Args *args, const wchar_t *real_uv, BOOL check, BOOL *hit) {
    BOOL ok = check;
    wchar_t *s, *name;
    ULONGLONG n, ft, now;
    if (!rd_lit(r, "entry\n")) return FALSE;
    if (rd_lit(r, "run-generic\n")) {
        ok = ok && generic_run(args);
    } else {
        if (!rd_lit(r, "argv ") || !rd_num(r, 4096, &n) || !rd_lit(r, "\n")) return FALSE;
        ok = ok && n == (ULONGLONG)args->n;
        for (ULONGLONG i = 0; i < n; i++) {
            if (!rd_field(r, "arg", &s)) return FALSE;
            ok = ok && eq(s, args->v[i]);
        }
    }
    if (!rd_field(r, "uv", &s)) return FALSE;
    ok = ok && eq(s, real_uv);
    for (;;) {
        if (rd_lit(r, "unset ")) {
            if (!rd_name(r, &name) || !rd_lit(r, "\n")) return FALSE;
            ok = ok && env_get(name) == NULL;
        } else if (rd_lit(r, "env ")) {
            if (!rd_name(r, &name) || !rd_lit(r, " ") || !rd_str(r, &s) || !rd_lit(r, "\n"))
                return FALSE;
            wchar_t *v = ok ? env_get(name) : NULL;
            ok = ok && v && eq(v, s);
        } else {
            break;
        }
    }
    while (rd_lit(r, "absent ")) {
        if (!rd_str(r, &s) || !rd_lit(r, "\n") || !*s) return FALSE;
        ok = ok && still_absent(s);
    }
    while (rd_lit(r, "mtime ")) {
        if (!rd_num(r, 0x7fffffffffffffffULL, &ft) || !rd_lit(r, " ") || !rd_str(r, &s) ||
            !rd_lit(r, "\n") || !*s)
            return FALSE;
        ok = ok && mtime_of(s, &now) && now == ft;
    }
    if (!rd_lit(r, "end\n")) return FALSE;
    *hit = ok;
    return TRUE;
}

static BOOL cached_keep(const wchar_t *home, const wchar_t *cwd, const Args *args,
                        const wchar_t *real_uv) {
    char key[17], sum[17];
    hex16(fnv1a((const unsigned char *)cwd, wlen(cwd) * sizeof(wchar_t)), key);
    wchar_t wkey[17];
    for (int i = 0; i < 17; i++) wkey[i] = (wchar_t)key[i];
    char *data;
    DWORD size;
    if (!read_small_file(join(join(home, L"fast"), cat(wkey, L".verdicts", NULL)), &data, &size))
        return FALSE;
    /* The last line is `sum <fnv1a-64 of everything before it>`. */
    if (size < 21) return FALSE;
    const char *tail = data + size - 21;
    hex16(fnv1a((const unsigned char *)data, size - 21), sum);
    Rd t = {tail, data + size};
    if (!rd_lit(&t, "sum ") || !rd_lit(&t, sum) || !rd_lit(&t, "\n")) return FALSE;
    Rd r = {data, tail};
    wchar_t *file_cwd;
    if (!rd_lit(&r, "venvshim-winverdicts 1\n") || !rd_field(&r, "cwd", &file_cwd) ||
        !eq(file_cwd, cwd))
        return FALSE;
    BOOL found = FALSE;
    while (r.p < r.end) {
        BOOL hit = FALSE;
        if (!read_entry(&r, args, real_uv, !found, &hit)) return FALSE;
        found = found || hit;
    }
    return found;
}

static wchar_t *state_home(const Config *cfg, BOOL have_cfg) {
    wchar_t *home = env_get(L"VENVSHIM_HOME");
    if (home && *home) return home;
    if (!have_cfg) return NULL;
    DWORD n = ExpandEnvironmentStringsW(cfg->state, NULL, 0);
    if (n == 0) return NULL;
    home = xalloc((SIZE_T)n * sizeof(wchar_t));
    if (ExpandEnvironmentStringsW(cfg->state, home, n) == 0 || !*home) return NULL;
    for (wchar_t *c = home; *c; c++)
        if (*c == L'%') return NULL; /* a variable left unexpanded: no state root to trust */
    return home;
}

/* ---- running the child ---- */

static BOOL WINAPI ignore_event(DWORD type) {
    (void)type;
    return TRUE; /* the child, in the same console, gets the event and decides */
}

static HANDLE inheritable(DWORD which) {
    HANDLE h = GetStdHandle(which);
    if (h != NULL && h != INVALID_HANDLE_VALUE)
        SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    return h;
}

/* Runs `app` with `cmdline`; returns only if it could not be started (error in *err). */
static void run_and_exit(const wchar_t *app, wchar_t *cmdline, DWORD *err) {
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = inheritable(STD_INPUT_HANDLE);
    si.hStdOutput = inheritable(STD_OUTPUT_HANDLE);
    si.hStdError = inheritable(STD_ERROR_HANDLE);
    /* Kill the child if this process dies; its own children may leave the job (as uv's
     * trampoline does), so a program uv started and that outlives uv keeps running. */
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (job) {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
        ZeroMemory(&limits, sizeof limits);
        limits.BasicLimitInformation.LimitFlags =
            JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK;
        if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                     sizeof limits)) {
            CloseHandle(job);
            job = NULL;
        }
    }
    /* A handler, not SetConsoleCtrlHandler(NULL, TRUE): that flag is inherited and would make
     * uv itself ignore Ctrl+C. */
    SetConsoleCtrlHandler(ignore_event, TRUE);
    if (!CreateProcessW(app, cmdline, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
        *err = GetLastError();
        return;
    }
    if (job) AssignProcessToJobObject(job, pi.hProcess); /* best effort, as libuv does */
    if (ResumeThread(pi.hThread) == (DWORD)-1) {
        *err = GetLastError();
        TerminateProcess(pi.hProcess, 1);
        return;
    }
    CloseHandle(pi.hThread);
    DWORD code = 1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    ExitProcess(code);
}

int wmain(int argc, wchar_t **argv) {
    (void)argc;
    (void)argv; /* the CRT's parse (msvcrt rules) is not uv's: parse_args below is */
    wchar_t *self = self_path();
    wchar_t *guard = env_get(L"VENVSHIM_GUARD");
    if (guard && *guard && same_file(guard, self))
        die(L"the uv this shim found on PATH is another venvshim shim (it would call itself)",
            L"set VENVSHIM_REAL_UV to the real uv binary, then run 'venvshim doctor'");
    wchar_t *real_uv = find_real_uv(self);
    const wchar_t *tail = skip_argv0(GetCommandLineW());
    Args args = parse_args(tail);
    wchar_t *disable = env_get(L"VENVSHIM_DISABLE");
    BOOL decide = !(disable && eq(disable, L"1")) && needs_decision(&args);
    Config cfg;
    ZeroMemory(&cfg, sizeof cfg);
    wchar_t *cfg_path = join(parent_dir(self), CONFIG);
    BOOL have_cfg = FALSE;
    wchar_t *cwd = NULL;
    if (decide) {
        DWORD n = GetCurrentDirectoryW(0, NULL);
        cwd = xalloc((SIZE_T)(n + 1) * sizeof(wchar_t));
        if (n == 0 || GetCurrentDirectoryW(n, cwd) >= n) cwd = cat(L"", NULL);
        have_cfg = load_config(cfg_path, &cfg);
        wchar_t *home = state_home(&cfg, have_cfg);
        if (*cwd && home && cached_keep(home, cwd, &args, real_uv)) decide = FALSE;
    }
    /* The guard: uv.sh puts its pid there, which exec keeps for uv (and for Python, and its uv).
     * No exec here: it names the uv that this front end, or the Python half, starts next; a
     * front end that finds itself named is a shim that another shim took for the real uv. */
    SetEnvironmentVariableW(L"VENVSHIM_GUARD", real_uv);
    DWORD err = 0;
    Str cmd = {0};
    if (!decide) {
        add_program(&cmd, real_uv);
        if (*tail) str_add(&cmd, L" ", 1), str_addz(&cmd, tail);
        run_and_exit(real_uv, cmd.s, &err);
        die(cat(L"cannot run the real uv `", real_uv, L"`: ", os_error(err), NULL),
            L"check VENVSHIM_REAL_UV and PATH, then run `venvshim doctor`");
    }
    if (!have_cfg)
        die(cat(L"cannot read the shim's configuration `", cfg_path, L"`", NULL),
            L"run `venvshim install` again (install.ps1 does), or set VENVSHIM_DISABLE=1 to "
            L"run uv without venvshim");
    if (same_file(cfg.python, self) || exists(join(parent_dir(cfg.python), STAMP)))
        die(cat(L"the shim's configuration `", cfg_path, L"` names venvshim's shim as its Python",
                NULL),
            L"run `venvshim install` again (install.ps1 does)");
    /* uv.sh: exec PYTHON -I -S -c BOOT REAL_UV SHIM PWD ARGS... */
    add_program(&cmd, cfg.python);
    for (int i = 0; i < cfg.n_args; i++) str_add(&cmd, L" ", 1), add_quoted(&cmd, cfg.args[i]);
    const wchar_t *extra[] = {real_uv, self, cwd};
    for (int i = 0; i < 3; i++) str_add(&cmd, L" ", 1), add_quoted(&cmd, extra[i]);
    if (*tail) str_add(&cmd, L" ", 1), str_addz(&cmd, tail);
    run_and_exit(cfg.python, cmd.s, &err);
    die(cat(L"cannot start venvshim's Python `", cfg.python, L"`: ", os_error(err), NULL),
        L"reinstall venvshim (install.ps1), or set VENVSHIM_DISABLE=1 to run uv without "
        L"venvshim");
    return EXIT_SHIM_ERROR;
}
