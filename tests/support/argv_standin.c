/* A stand-in for uv.exe in the Wine tests: shows exactly what it was started with.
 *   default          one line per argument (`arg <UTF-16LE hex>`, as the C runtime parsed the
 *                    command line), `tail <hex>` (the raw command line after argv[0]) and
 *                    `argv0 <hex>`; then exits with STANDIN_EXIT (default 0)
 *   STANDIN_CAT=1    copies stdin to stdout, byte for byte, and nothing else
 *   STANDIN_ENV=1    prints the environment block, one `env <hex>` line per variable
 *   STANDIN_SLEEP=1  prints `ready`, then sleeps until killed
 */
#include <windows.h>

static HANDLE out;

static void put(const char *s, DWORD n) {
    DWORD done;
    WriteFile(out, s, n, &done, NULL);
}

static void put_hex(const char *tag, const wchar_t *s, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char buf[8];
    put(tag, (DWORD)lstrlenA(tag));
    put(" ", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v = s[i];
        buf[0] = digits[(v >> 4) & 15];
        buf[1] = digits[v & 15];
        buf[2] = digits[(v >> 12) & 15];
        buf[3] = digits[(v >> 8) & 15];
        put(buf, 4);
    }
    put("\n", 1);
}

static BOOL env_is(const wchar_t *name, const wchar_t *value) {
    wchar_t buf[32];
    DWORD n = GetEnvironmentVariableW(name, buf, 32);
    return n > 0 && n < 32 && lstrcmpW(buf, value) == 0;
}

int wmain(int argc, wchar_t **argv) {
    out = GetStdHandle(STD_OUTPUT_HANDLE);
    if (env_is(L"STANDIN_CAT", L"1")) {
        HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
        char buf[4096];
        DWORD n;
        while (ReadFile(in, buf, sizeof buf, &n, NULL) && n > 0) put(buf, n);
        return 0;
    }
    if (env_is(L"STANDIN_SLEEP", L"1")) {
        put("ready\n", 6);
        Sleep(INFINITE);
    }
    if (env_is(L"STANDIN_ENV", L"1")) {
        wchar_t *block = GetEnvironmentStringsW();
        for (wchar_t *v = block; *v; v += lstrlenW(v) + 1) put_hex("env", v, lstrlenW(v));
        return 0;
    }
    const wchar_t *line = GetCommandLineW();
    const wchar_t *p = line;
    BOOL quoted = FALSE;
    for (; *p; p++) {
        if (*p == L'"') quoted = !quoted;
        else if ((*p == L' ' || *p == L'\t') && !quoted) break;
    }
    put_hex("argv0", line, (size_t)(p - line));
    while (*p == L' ' || *p == L'\t') p++;
    put_hex("tail", p, lstrlenW(p));
    for (int i = 1; i < argc; i++) put_hex("arg", argv[i], lstrlenW(argv[i]));
    wchar_t code[16];
    DWORD n = GetEnvironmentVariableW(L"STANDIN_EXIT", code, 16);
    int rc = 0;
    for (DWORD i = 0; i < n && i < 15 && code[i] >= L'0' && code[i] <= L'9'; i++)
        rc = rc * 10 + (code[i] - L'0');
    return rc;
}
