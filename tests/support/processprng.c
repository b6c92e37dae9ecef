/* bcryptprimitives.dll for Wine 8.0, which lacks ProcessPrng: Rust (>= 1.78) programs such as
 * uv.exe import it and would not load (c0000135). Built by tests/support/wine.py with mingw and
 * put next to the uv.exe the Wine tests run; never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
