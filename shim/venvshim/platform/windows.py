"""Windows side of the platform seam.

There is no exec on Windows: the shim runs uv as a child, ignores console control events (the
child, in the same console, gets Ctrl+C itself and decides), and exits with the child's code, as
rustup and uv's own trampoline do (windows-and-holders.md, "Precedents").
"""

from __future__ import annotations

import sys

assert sys.platform == "win32"  # also tells mypy on other platforms to skip this module

import msvcrt
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

CREATE_NEW_PROCESS_GROUP = 0x00000200
DETACHED_PROCESS = 0x00000008
CREATE_NO_WINDOW = 0x08000000


_HANDLER: object = None  # the installed handler, kept alive (ctypes frees what nothing holds)


def _ignore_console_events() -> None:
    """Answer "handled" to every console control event: this process lives on through Ctrl+C
    while uv, its child in the same console, gets the event and decides. Never
    SetConsoleCtrlHandler(NULL, TRUE): children inherit that, and uv would ignore Ctrl+C too
    (uv's own trampoline and the native front end install a handler for the same reason)."""
    global _HANDLER
    if _HANDLER is not None:
        return
    import ctypes
    from ctypes import wintypes

    handler = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)(lambda _event: True)  # type: ignore[attr-defined]
    ctypes.windll.kernel32.SetConsoleCtrlHandler(handler, True)  # type: ignore[attr-defined]
    _HANDLER = handler


def _kernel32() -> Any:
    import ctypes

    return ctypes.windll.kernel32  # type: ignore[attr-defined]


JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK = 0x1000
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
_JOBS: list[object] = []  # job handles, open for this process's lifetime


def _dies_with_us(child: subprocess.Popen[bytes]) -> None:
    """Put uv in a job object that kills it when this process ends, however it ends (the native
    front end does the same for us); programs uv starts break away from it silently and survive,
    as with uv's own trampoline. Best effort: without it uv would only outlive a killed shim."""
    import ctypes
    from ctypes import wintypes

    class Basic(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", wintypes.LARGE_INTEGER),
            ("PerJobUserTimeLimit", wintypes.LARGE_INTEGER),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class Extended(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", Basic),
            ("IoInfo", ctypes.c_ulonglong * 6),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    kernel32 = _kernel32()
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return
    info = Extended()
    info.BasicLimitInformation.LimitFlags = (
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK
    )
    kernel32.SetInformationJobObject(
        job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(info), ctypes.sizeof(info)
    )
    kernel32.AssignProcessToJobObject(job, int(child._handle))  # type: ignore[attr-defined]
    _JOBS.append(job)


def run_supervised(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    _ignore_console_events()
    child = subprocess.Popen(list(argv), env=None if env is None else dict(env))
    _dies_with_us(child)
    return child


def exec_uv(real_uv: str, argv: Sequence[str]) -> NoReturn:
    child = run_supervised([real_uv, *argv])
    exit_like(child.wait())


def exit_like(returncode: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(returncode & 0xFFFFFFFF)


def try_lock(path: str) -> int | None:
    """A lock on the first byte of `path` (created if needed), or None if another process holds
    it. Never `LK_LOCK`: it gives up after ~10 s with EDEADLOCK; platform.lock polls instead,
    as pre-commit's file_lock.py does."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # not inheritable (PEP 446)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        os.close(fd)
        return None
    return fd


def unlock_fd(fd: int) -> None:
    os.close(fd)


def is_locked_by_other(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return True
    else:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return False
    finally:
        os.close(fd)


def spawn_detached(argv: Sequence[str], *, env: Mapping[str, str]) -> None:
    """A background process with no console, outside our console's Ctrl+C group."""
    subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env),
        creationflags=CREATE_NEW_PROCESS_GROUP | DETACHED_PROCESS | CREATE_NO_WINDOW,
        close_fds=True,
    )


def pid_alive(pid: int) -> bool:
    # Never os.kill(pid, 0) here: on Windows it terminates the process.
    import psutil

    return pid > 0 and bool(psutil.pid_exists(pid))


def spawn_stderr_reader(argv: Sequence[str], *, env: Mapping[str, str]) -> None:
    """No early dry-run on Windows: the shim asks uv after its imports (askuv.dry_run)."""
    return None
