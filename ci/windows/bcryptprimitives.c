/*
 * A stand-in for bcryptprimitives.dll, for running sockmodes' Windows build
 * under Wine.
 *
 * Why it exists: Rust's standard library (since 1.78) gets random bytes from
 * ProcessPrng in bcryptprimitives.dll, which every Windows 10 and 11 has.
 * Wine 8.0 (Debian 12) has no such DLL, so every Rust program fails to start
 * there. This DLL exports ProcessPrng and forwards it to RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has. It is only for testing
 * under Wine; real Windows never loads it.
 *
 * Built by scripts/test-windows:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a 32-bit length: fill large requests in pieces. */
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
